//! The deals as a polars frame: amounts as integer minor units (exact sums),
//! dates as day numbers.

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use rayon::prelude::*;
use rust_decimal::Decimal;

use super::ReportDeal;
use crate::config::StageClass;
use crate::fx::money::to_minor;

/// Day number of a date (days since 0001-01-01), comparable and subtractable.
pub fn day(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// The date of a day number.
pub fn from_day(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day)
}

/// Month number of a date (year × 12 + month − 1), for monthly buckets.
pub fn month(date: NaiveDate) -> i32 {
    date.year() * 12 + date.month0() as i32
}

/// Builds the frame every section queries, a column per task on all cores.
pub fn deals_frame(deals: &[ReportDeal], minor_units: u32) -> PolarsResult<DataFrame> {
    type Build<'a> = Box<dyn Fn() -> Column + Send + Sync + 'a>;
    let minor = move |value: Option<Decimal>| value.and_then(|v| to_minor(v, minor_units));
    let builds: Vec<(&str, Build<'_>)> = vec![
        (
            "row",
            Box::new(|| {
                Column::new(
                    PlSmallStr::EMPTY,
                    (0..deals.len() as u32).collect::<Vec<_>>(),
                )
            }),
        ),
        ("key", Box::new(|| column(deals, |d| numeric_id(&d.id)))),
        ("stage", Box::new(|| column(deals, |d| d.stage.as_str()))),
        ("owner", Box::new(|| column(deals, |d| d.owner.as_str()))),
        ("class", Box::new(|| column(deals, |d| class_code(d.class)))),
        (
            "amount",
            Box::new(move || column(deals, |d| minor(d.amount_base))),
        ),
        (
            "weighted",
            Box::new(move || column(deals, |d| minor(d.weighted_base))),
        ),
        (
            "closing",
            Box::new(|| column(deals, |d| d.closing_date.map(day))),
        ),
        (
            "closing_month",
            Box::new(|| column(deals, |d| d.closing_date.map(month))),
        ),
        (
            "created",
            Box::new(|| column(deals, |d| d.created_date.map(day))),
        ),
        (
            "modified",
            Box::new(|| column(deals, |d| d.modified_date.map(day))),
        ),
    ];
    let columns = builds
        .par_iter()
        .map(|(name, build)| build().with_name((*name).into()))
        .collect();
    DataFrame::new(deals.len(), columns)
}

fn column<'a, T>(deals: &'a [ReportDeal], value: impl Fn(&'a ReportDeal) -> T) -> Column
where
    Series: NamedFrom<Vec<T>, [T]>,
{
    Column::new(
        PlSmallStr::EMPTY,
        deals.iter().map(value).collect::<Vec<_>>(),
    )
}

/// A Zoho record id as a number: joins on it are several times faster
/// than on text. `None` for an id that is not exactly one (a file
/// source's `D01`, or `007`, which would not print back the same).
pub fn numeric_id(id: &str) -> Option<u64> {
    let canonical = !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && (id == "0" || !id.starts_with('0'));
    canonical.then(|| id.parse().ok()).flatten()
}

/// A stage class as the frames hold it: a small number, a quarter the size
/// of its name and quicker to compare.
pub fn class_code(class: StageClass) -> i32 {
    match class {
        StageClass::Open => 0,
        StageClass::Won => 1,
        StageClass::Lost => 2,
    }
}

/// The rows of `column` (a class column) whose class is `class`.
pub fn class_is(column: &str, class: StageClass) -> Expr {
    col(column).eq(lit(class_code(class)))
}

/// Reads an integer cell, treating null as 0.
pub fn int_at(frame: &DataFrame, column: &str, row: usize) -> PolarsResult<i64> {
    let column = frame.column(column)?.cast(&DataType::Int64)?;
    Ok(column.i64()?.get(row).unwrap_or(0))
}

/// Reads a string cell.
pub fn str_at(frame: &DataFrame, column: &str, row: usize) -> PolarsResult<String> {
    Ok(frame
        .column(column)?
        .str()?
        .get(row)
        .unwrap_or_default()
        .to_owned())
}

/// A boolean mask counted as a number of rows.
pub fn count_where(mask: Expr) -> Expr {
    mask.cast(DataType::Int64).sum()
}

/// The sum of an integer column over the rows of a mask.
pub fn sum_where(column: &str, mask: Expr) -> Expr {
    col(column).filter(mask).cast(DataType::Int64).sum()
}
