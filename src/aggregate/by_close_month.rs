//! Open pipeline by expected closing month: overdue first, then the next
//! months starting with the as-of month.

use chrono::NaiveDate;
use polars::prelude::*;
use rust_decimal::Decimal;

use super::frame::{class_is, day, int_at, month};
use crate::config::StageClass;
use crate::fx::money::from_minor;

/// One bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseMonthRow {
    /// `overdue`, or the month as `YYYY-MM`.
    pub bucket: String,
    /// Open deals in it.
    pub count: i64,
    /// Their base amount.
    pub amount: Decimal,
    /// Their weighted amount.
    pub weighted: Decimal,
}

/// Overdue (closing date before the as-of date), then `months` calendar
/// months from the as-of month, empty ones included. Deals closing later,
/// or without a closing date, are in no bucket.
pub fn by_close_month(
    frame: &DataFrame,
    as_of: NaiveDate,
    months: u32,
    minor_units: u32,
) -> PolarsResult<Vec<CloseMonthRow>> {
    const OVERDUE: i32 = -1;
    let first = month(as_of);
    let last = first + months as i32 - 1;
    let grouped = frame
        .clone()
        .lazy()
        .filter(class_is("class", StageClass::Open))
        .with_column(
            when(col("closing").lt(lit(day(as_of))))
                .then(lit(OVERDUE))
                .otherwise(col("closing_month"))
                .alias("bucket"),
        )
        .filter(
            col("bucket").eq(lit(OVERDUE)).or(col("bucket")
                .gt_eq(lit(first))
                .and(col("bucket").lt_eq(lit(last)))),
        )
        .group_by([col("bucket")])
        .agg([
            len().cast(DataType::Int64).alias("count"),
            col("amount").sum().alias("amount"),
            col("weighted").sum().alias("weighted"),
        ])
        .collect()?;
    let mut sums = std::collections::HashMap::new();
    for row in 0..grouped.height() {
        let bucket = i32::try_from(int_at(&grouped, "bucket", row)?).unwrap_or(OVERDUE);
        sums.insert(
            bucket,
            (
                int_at(&grouped, "count", row)?,
                int_at(&grouped, "amount", row)?,
                int_at(&grouped, "weighted", row)?,
            ),
        );
    }
    let label = |bucket: i32| {
        if bucket == OVERDUE {
            "overdue".to_owned()
        } else {
            format!(
                "{:04}-{:02}",
                bucket.div_euclid(12),
                bucket.rem_euclid(12) + 1
            )
        }
    };
    Ok(std::iter::once(OVERDUE)
        .chain(first..=last)
        .map(|bucket| {
            let (count, amount, weighted) = sums.get(&bucket).copied().unwrap_or_default();
            CloseMonthRow {
                bucket: label(bucket),
                count,
                amount: from_minor(amount, minor_units),
                weighted: from_minor(weighted, minor_units),
            }
        })
        .collect())
}
