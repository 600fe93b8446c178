//! Sections that list deals: the top open deals and the stale ones.

use chrono::{Days, NaiveDate};
use polars::prelude::*;

use super::frame::{class_is, day};
use crate::config::StageClass;

/// Rows (indexes into the report's deals) of a filtered, sorted frame.
fn rows(frame: LazyFrame) -> PolarsResult<Vec<usize>> {
    let picked = frame.select([col("row")]).collect()?;
    Ok(picked
        .column("row")?
        .u32()?
        .into_no_null_iter()
        .map(|row| row as usize)
        .collect())
}

fn open(frame: &DataFrame) -> LazyFrame {
    frame
        .clone()
        .lazy()
        .filter(class_is("class", StageClass::Open))
}

/// Sorted by one column, ties kept in row order (the frame is in row
/// order): the same as sorting by the column then by row, without
/// comparing rows two columns at a time.
fn in_row_order(descending: bool) -> SortMultipleOptions {
    SortMultipleOptions::default()
        .with_order_descending(descending)
        .with_maintain_order(true)
}

/// Every open deal with a base amount, largest first (ties by row, that is
/// by deal id). The report shows the first N and says how many more.
pub fn top_deals(frame: &DataFrame) -> PolarsResult<Vec<usize>> {
    rows(
        open(frame)
            .filter(col("amount").is_not_null())
            .sort(["amount"], in_row_order(true)),
    )
}

/// Open deals last modified before `as_of − stale_days`, the longest
/// untouched first.
pub fn stale_deals(
    frame: &DataFrame,
    as_of: NaiveDate,
    stale_days: u32,
) -> PolarsResult<Vec<usize>> {
    let cutoff = as_of - Days::new(u64::from(stale_days));
    rows(
        open(frame)
            .filter(col("modified").lt(lit(day(cutoff))))
            .sort(["modified"], in_row_order(false)),
    )
}
