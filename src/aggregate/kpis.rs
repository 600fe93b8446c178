//! Headline figures.

use chrono::Days;
use polars::prelude::*;
use rust_decimal::Decimal;

use super::frame::{class_is, count_where, day, int_at, sum_where};
use super::period::Period;
use crate::config::StageClass;
use crate::fx::money::{from_minor, round};

/// The KPI section. Amounts in the base currency; a ratio, average or
/// velocity is `None` when there is nothing to measure (never zero or NaN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kpis {
    /// Open deals.
    pub open_count: i64,
    /// Their base amount.
    pub open_amount: Decimal,
    /// Σ weighted amounts of open deals.
    pub weighted_amount: Decimal,
    /// Open deals with no base amount (not in `open_amount`).
    pub open_without_amount: i64,
    /// Deals of any class with no base amount: in no total.
    pub without_amount: i64,
    /// Deals won in the period.
    pub won_count: i64,
    /// Their amount.
    pub won_amount: Decimal,
    /// Deals lost in the period.
    pub lost_count: i64,
    /// Their amount.
    pub lost_amount: Decimal,
    /// Won ÷ (won + lost) in the win-rate window, by count.
    pub win_rate_count: Option<Decimal>,
    /// The same by amount.
    pub win_rate_amount: Option<Decimal>,
    /// Won amount ÷ won deals with an amount, in the window.
    pub average_won_size: Option<Decimal>,
    /// Mean days from creation to closing of won deals in the window.
    pub average_cycle_days: Option<Decimal>,
    /// Open count × win rate × average won size ÷ cycle days: base currency
    /// per day.
    pub velocity_per_day: Option<Decimal>,
}

/// Computes the KPIs from the deals frame.
pub fn kpis(
    frame: &DataFrame,
    as_of: chrono::NaiveDate,
    period: &Period,
    win_rate_days: u32,
    minor_units: u32,
) -> PolarsResult<Kpis> {
    let window_start = as_of - Days::new(u64::from(win_rate_days.saturating_sub(1)));
    let class = |class: StageClass| class_is("class", class);
    let closing_in = |from: chrono::NaiveDate, to: chrono::NaiveDate| {
        col("closing")
            .gt_eq(lit(day(from)))
            .and(col("closing").lt_eq(lit(day(to))))
    };
    let in_period = closing_in(period.start, period.end);
    let in_window = closing_in(window_start, as_of);
    let won_in_window = class(StageClass::Won).and(in_window.clone());
    let lost_in_window = class(StageClass::Lost).and(in_window);
    let row = frame
        .clone()
        .lazy()
        .select([
            count_where(class(StageClass::Open)).alias("open_count"),
            sum_where("amount", class(StageClass::Open)).alias("open_amount"),
            sum_where("weighted", class(StageClass::Open)).alias("weighted"),
            count_where(class(StageClass::Open).and(col("amount").is_null()))
                .alias("open_without_amount"),
            count_where(col("amount").is_null()).alias("without_amount"),
            count_where(class(StageClass::Won).and(in_period.clone())).alias("won_count"),
            sum_where("amount", class(StageClass::Won).and(in_period.clone())).alias("won_amount"),
            count_where(class(StageClass::Lost).and(in_period.clone())).alias("lost_count"),
            sum_where("amount", class(StageClass::Lost).and(in_period)).alias("lost_amount"),
            count_where(won_in_window.clone()).alias("won_w"),
            count_where(lost_in_window.clone()).alias("lost_w"),
            sum_where("amount", won_in_window.clone()).alias("won_amount_w"),
            sum_where("amount", lost_in_window).alias("lost_amount_w"),
            count_where(won_in_window.clone().and(col("amount").is_not_null()))
                .alias("won_with_amount_w"),
            (col("closing") - col("created"))
                .filter(won_in_window.clone())
                .cast(DataType::Int64)
                .sum()
                .alias("cycle_sum"),
            count_where(
                won_in_window
                    .and(col("created").is_not_null())
                    .and(col("closing").is_not_null()),
            )
            .alias("cycle_n"),
        ])
        .collect()?;
    let get = |name: &str| int_at(&row, name, 0);
    let money = |minor: i64| from_minor(minor, minor_units);
    let ratio = |num: Decimal, den: Decimal| (den > Decimal::ZERO).then(|| num / den);

    let won_w = Decimal::from(get("won_w")?);
    let lost_w = Decimal::from(get("lost_w")?);
    let won_amount_w = money(get("won_amount_w")?);
    let lost_amount_w = money(get("lost_amount_w")?);
    let win_rate_count = ratio(won_w, won_w + lost_w);
    let win_rate_amount = ratio(won_amount_w, won_amount_w + lost_amount_w);
    let average_won_size = ratio(won_amount_w, Decimal::from(get("won_with_amount_w")?));
    let average_cycle_days = ratio(
        Decimal::from(get("cycle_sum")?),
        Decimal::from(get("cycle_n")?),
    );
    let open_count = get("open_count")?;
    let velocity_per_day = match (win_rate_count, average_won_size, average_cycle_days) {
        (Some(rate), Some(size), Some(days)) if days > Decimal::ZERO => Some(round(
            Decimal::from(open_count) * rate * size / days,
            minor_units,
        )),
        _ => None,
    };
    Ok(Kpis {
        open_count,
        open_amount: money(get("open_amount")?),
        weighted_amount: money(get("weighted")?),
        open_without_amount: get("open_without_amount")?,
        without_amount: get("without_amount")?,
        won_count: get("won_count")?,
        won_amount: money(get("won_amount")?),
        lost_count: get("lost_count")?,
        lost_amount: money(get("lost_amount")?),
        win_rate_count,
        win_rate_amount,
        average_won_size: average_won_size.map(|v| round(v, minor_units)),
        average_cycle_days,
        velocity_per_day,
    })
}
