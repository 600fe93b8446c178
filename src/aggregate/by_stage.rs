//! Open pipeline by stage, in the report definition's order.

use polars::prelude::*;
use rust_decimal::Decimal;

use super::frame::{DealsFrame, class_is, day, int_at, name_at};
use crate::config::{ForecastCategory, ReportDefinition, StageClass};
use crate::fx::money::from_minor;

/// One stage's open pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRow {
    /// Stage name.
    pub stage: String,
    /// False for a stage the definition does not list.
    pub known: bool,
    /// Its forecast category when the definition uses them (a stage the
    /// definition does not list counts as `pipeline`).
    pub forecast: Option<ForecastCategory>,
    /// Open deals in the stage.
    pub count: i64,
    /// Their base amount.
    pub amount: Decimal,
    /// Their weighted amount.
    pub weighted: Decimal,
    /// Stage amount ÷ open amount.
    pub share: Option<Decimal>,
    /// Mean days since creation.
    pub average_age_days: Option<Decimal>,
}

/// The open stages of the definition in order (empty ones included), then
/// stages the definition does not know, by name.
pub fn by_stage(
    deals: &DealsFrame<'_>,
    definition: &ReportDefinition,
    as_of: chrono::NaiveDate,
    minor_units: u32,
) -> PolarsResult<Vec<StageRow>> {
    let grouped = deals
        .frame
        .clone()
        .lazy()
        .filter(class_is("class", StageClass::Open))
        .group_by([col("stage")])
        .agg([
            len().cast(DataType::Int64).alias("count"),
            col("amount").sum().alias("amount"),
            col("weighted").sum().alias("weighted"),
            (lit(day(as_of)) - col("created"))
                .cast(DataType::Int64)
                .sum()
                .alias("age_sum"),
            col("created").count().cast(DataType::Int64).alias("age_n"),
        ])
        .sort(["stage"], SortMultipleOptions::default())
        .collect()?;

    let mut found = Vec::with_capacity(grouped.height());
    for row in 0..grouped.height() {
        found.push((
            name_at(&grouped, "stage", row, &deals.stages)?,
            [
                int_at(&grouped, "count", row)?,
                int_at(&grouped, "amount", row)?,
                int_at(&grouped, "weighted", row)?,
                int_at(&grouped, "age_sum", row)?,
                int_at(&grouped, "age_n", row)?,
            ],
        ));
    }
    let open_total: i64 = found.iter().map(|(_, v)| v[1]).sum();
    let categorised = definition.stages.iter().any(|s| s.forecast.is_some());
    let row = |stage: &str, known: bool, v: [i64; 5]| StageRow {
        stage: stage.to_owned(),
        known,
        forecast: categorised.then(|| {
            definition
                .stage(stage)
                .and_then(|s| s.forecast)
                .unwrap_or(ForecastCategory::Pipeline)
        }),
        count: v[0],
        amount: from_minor(v[1], minor_units),
        weighted: from_minor(v[2], minor_units),
        share: (open_total != 0).then(|| Decimal::from(v[1]) / Decimal::from(open_total)),
        average_age_days: (v[4] > 0).then(|| Decimal::from(v[3]) / Decimal::from(v[4])),
    };
    let lookup = |stage: &str| {
        found
            .iter()
            .find(|(s, _)| *s == stage)
            .map_or([0; 5], |(_, v)| *v)
    };
    let mut rows: Vec<StageRow> = definition
        .stages
        .iter()
        .filter(|s| s.class == StageClass::Open)
        .map(|s| row(&s.name, true, lookup(&s.name)))
        .collect();
    rows.extend(
        found
            .iter()
            .filter(|(stage, _)| definition.stage(stage).is_none())
            .map(|(stage, v)| row(stage, false, *v)),
    );
    Ok(rows)
}
