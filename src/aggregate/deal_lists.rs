//! Sections that list deals: the top open deals and the stale ones.

use chrono::{Days, NaiveDate};
use polars::prelude::*;

use super::frame::{by_day_then_row, class_is, day, int_at};
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

/// The `n` largest open deals with a base amount (ties by row, that is by
/// deal id), and how many open deals have one. Sorting on the amount and
/// the row with a limit is a top-k: the other deals are never sorted.
pub fn top_deals(frame: &DataFrame, n: usize) -> PolarsResult<(Vec<usize>, usize)> {
    let ranked = open(frame).filter(col("amount").is_not_null());
    let count = ranked.clone().select([len().alias("deals")]).collect()?;
    let count = usize::try_from(int_at(&count, "deals", 0)?).unwrap_or_default();
    let largest = SortMultipleOptions::default().with_order_descending_multi([true, false]);
    let top = rows(
        ranked
            .sort(["amount", "row"], largest)
            .limit(IdxSize::try_from(n).unwrap_or(IdxSize::MAX)),
    )?;
    Ok((top, count))
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
            .sort_by_exprs(
                [by_day_then_row("modified")],
                SortMultipleOptions::default(),
            ),
    )
}
