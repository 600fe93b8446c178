//! Pipeline and results per owner.

use chrono::{Days, NaiveDate};
use polars::prelude::*;
use rust_decimal::Decimal;

use super::Period;
use super::frame::{DealsFrame, class_is, count_where, day, int_at, name_at, sum_where};
use crate::config::StageClass;
use crate::fx::money::from_minor;

/// One owner's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerRow {
    /// Owner's name; empty for deals without one.
    pub owner: String,
    /// Open deals.
    pub open_count: i64,
    /// Their base amount.
    pub open_amount: Decimal,
    /// Their weighted amount.
    pub open_weighted: Decimal,
    /// Deals won with a closing date in the period.
    pub won_count: i64,
    /// Their amount.
    pub won_amount: Decimal,
    /// Deals lost with a closing date in the period.
    pub lost_count: i64,
    /// Their amount.
    pub lost_amount: Decimal,
    /// Won ÷ (won + lost) by count over the win-rate window; empty when
    /// nothing closed.
    pub win_rate_count: Option<Decimal>,
}

/// Every owner with a deal, the largest open pipeline first, then by name.
pub fn by_owner(
    deals: &DealsFrame<'_>,
    as_of: NaiveDate,
    period: &Period,
    win_rate_days: u32,
    minor_units: u32,
) -> PolarsResult<Vec<OwnerRow>> {
    let class = |c: StageClass| class_is("class", c);
    let closing_in = |from: NaiveDate, to: NaiveDate| {
        col("closing")
            .gt_eq(lit(day(from)))
            .and(col("closing").lt_eq(lit(day(to))))
    };
    let in_period = closing_in(period.start, period.end);
    let window_start = as_of - Days::new(u64::from(win_rate_days.saturating_sub(1)));
    let in_window = closing_in(window_start, as_of);
    let grouped = deals
        .frame
        .clone()
        .lazy()
        .group_by([col("owner")])
        .agg([
            count_where(class(StageClass::Open)).alias("open_count"),
            sum_where("amount", class(StageClass::Open)).alias("open_amount"),
            sum_where("weighted", class(StageClass::Open)).alias("open_weighted"),
            count_where(class(StageClass::Won).and(in_period.clone())).alias("won_count"),
            sum_where("amount", class(StageClass::Won).and(in_period.clone())).alias("won_amount"),
            count_where(class(StageClass::Lost).and(in_period.clone())).alias("lost_count"),
            sum_where("amount", class(StageClass::Lost).and(in_period)).alias("lost_amount"),
            count_where(class(StageClass::Won).and(in_window.clone())).alias("won_w"),
            count_where(class(StageClass::Lost).and(in_window)).alias("lost_w"),
        ])
        // Group order is not stable in polars; the report's must be.
        .sort(
            ["open_amount", "owner"],
            SortMultipleOptions::default()
                .with_order_descending_multi([true, false])
                .with_nulls_last(true),
        )
        .collect()?;
    let money = |column: &str, row: usize| -> PolarsResult<Decimal> {
        Ok(from_minor(int_at(&grouped, column, row)?, minor_units))
    };
    (0..grouped.height())
        .map(|row| {
            let (won_w, lost_w) = (
                int_at(&grouped, "won_w", row)?,
                int_at(&grouped, "lost_w", row)?,
            );
            Ok(OwnerRow {
                owner: name_at(&grouped, "owner", row, &deals.owners)?.to_owned(),
                open_count: int_at(&grouped, "open_count", row)?,
                open_amount: money("open_amount", row)?,
                open_weighted: money("open_weighted", row)?,
                won_count: int_at(&grouped, "won_count", row)?,
                won_amount: money("won_amount", row)?,
                lost_count: int_at(&grouped, "lost_count", row)?,
                lost_amount: money("lost_amount", row)?,
                win_rate_count: (won_w + lost_w > 0)
                    .then(|| Decimal::from(won_w) / Decimal::from(won_w + lost_w)),
            })
        })
        .collect()
}
