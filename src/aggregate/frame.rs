//! The deals as a polars frame: amounts as integer minor units (exact sums),
//! dates as day numbers.

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use polars::series::IsSorted;
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

/// Builds the frame every section queries.
pub fn deals_frame(deals: &[ReportDeal], minor_units: u32) -> PolarsResult<DataFrame> {
    let mut frame = in_parts(deals, |chunk, first| frame_part(chunk, first, minor_units))?;
    frame.apply("row", sorted)?;
    flag_sorted_keys(&mut frame)?;
    Ok(frame)
}

fn sorted(column: &Column) -> Column {
    let mut column = column.clone();
    column.set_sorted_flag(IsSorted::Ascending);
    column
}

/// Flags the `key` column sorted when it is, so that joins on it merge
/// instead of hashing.
pub fn flag_sorted_keys(frame: &mut DataFrame) -> PolarsResult<()> {
    let keys = frame.column("key")?.u64()?;
    if keys.null_count() == 0 && keys.into_no_null_iter().is_sorted() {
        frame.apply("key", sorted)?;
    }
    Ok(())
}

/// A frame built by each core from its share of `items` in one pass
/// (`part` gets the share and the index of its first item): an item is
/// tens or hundreds of bytes, so reading every item once per column costs
/// more than building the columns.
pub fn in_parts<T: Sync>(
    items: &[T],
    part: impl Fn(&[T], usize) -> PolarsResult<DataFrame> + Sync,
) -> PolarsResult<DataFrame> {
    let share = items.len().div_ceil(rayon::current_num_threads()).max(1);
    let mut parts = items
        .par_chunks(share)
        .enumerate()
        .map(|(i, chunk)| part(chunk, i * share))
        .collect::<PolarsResult<Vec<_>>>()?
        .into_iter();
    let mut frame = match parts.next() {
        Some(first) => first,
        None => part(&[], 0)?,
    };
    for next in parts {
        frame.vstack_mut_owned(next)?;
    }
    frame.rechunk_mut_par();
    Ok(frame)
}

/// The columns of a run of deals, the first being deal `first`.
fn frame_part(deals: &[ReportDeal], first: usize, minor_units: u32) -> PolarsResult<DataFrame> {
    let n = deals.len();
    let minor = |value: Option<Decimal>| value.and_then(|v| to_minor(v, minor_units));
    let mut key = Vec::with_capacity(n);
    let mut stage = Vec::with_capacity(n);
    let mut owner = Vec::with_capacity(n);
    let mut class = Vec::with_capacity(n);
    let mut amount = Vec::with_capacity(n);
    let mut weighted = Vec::with_capacity(n);
    let mut closing = Vec::with_capacity(n);
    let mut closing_month = Vec::with_capacity(n);
    let mut created = Vec::with_capacity(n);
    let mut modified = Vec::with_capacity(n);
    for d in deals {
        key.push(numeric_id(&d.id));
        stage.push(d.stage.as_str());
        owner.push(d.owner.as_str());
        class.push(class_code(d.class));
        amount.push(minor(d.amount_base));
        weighted.push(minor(d.weighted_base));
        closing.push(d.closing_date.map(day));
        closing_month.push(d.closing_date.map(month));
        created.push(d.created_date.map(day));
        modified.push(d.modified_date.map(day));
    }
    let first = first as u32;
    let row: Vec<u32> = (first..first + n as u32).collect();
    DataFrame::new(
        n,
        vec![
            Column::new("row".into(), row),
            Column::new("key".into(), key),
            Column::new("stage".into(), stage),
            Column::new("owner".into(), owner),
            Column::new("class".into(), class),
            Column::new("amount".into(), amount),
            Column::new("weighted".into(), weighted),
            Column::new("closing".into(), closing),
            Column::new("closing_month".into(), closing_month),
            Column::new("created".into(), created),
            Column::new("modified".into(), modified),
        ],
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

/// A boolean mask counted as a number of rows (a bitmap count; casting
/// the mask to integers first would write a column per count).
pub fn count_where(mask: Expr) -> Expr {
    mask.sum()
}

/// The sum of an integer column over the rows of a mask.
pub fn sum_where(column: &str, mask: Expr) -> Expr {
    col(column).filter(mask).cast(DataType::Int64).sum()
}
