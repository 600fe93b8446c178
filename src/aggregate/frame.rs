//! The deals as a polars frame: amounts as integer minor units (exact sums),
//! dates as day numbers.

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use rust_decimal::Decimal;

use super::ReportDeal;
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

/// Builds the frame every section queries.
pub fn deals_frame(deals: &[ReportDeal], minor_units: u32) -> PolarsResult<DataFrame> {
    let minor = |value: Option<Decimal>| value.and_then(|v| to_minor(v, minor_units));
    df!(
        "row" => (0..deals.len() as u32).collect::<Vec<_>>(),
        "id" => deals.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        "stage" => deals.iter().map(|d| d.stage.as_str()).collect::<Vec<_>>(),
        "owner" => deals.iter().map(|d| d.owner.as_str()).collect::<Vec<_>>(),
        "class" => deals.iter().map(|d| d.class.as_str()).collect::<Vec<_>>(),
        "amount" => deals.iter().map(|d| minor(d.amount_base)).collect::<Vec<_>>(),
        "weighted" => deals.iter().map(|d| minor(d.weighted_base)).collect::<Vec<_>>(),
        "closing" => deals.iter().map(|d| d.closing_date.map(day)).collect::<Vec<_>>(),
        "closing_month" => deals.iter().map(|d| d.closing_date.map(month)).collect::<Vec<_>>(),
        "created" => deals.iter().map(|d| d.created_date.map(day)).collect::<Vec<_>>(),
        "modified" => deals.iter().map(|d| d.modified_date.map(day)).collect::<Vec<_>>(),
    )
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
