//! The open pipeline by forecast category, when the report definition maps
//! stages to categories.

use rust_decimal::Decimal;

use super::{Kpis, StageRow};
use crate::config::ForecastCategory;

/// One forecast category's deals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastRow {
    /// The category.
    pub category: ForecastCategory,
    /// Open deals in its stages; for `closed`, deals won in the period.
    pub count: i64,
    /// Their base amount.
    pub amount: Decimal,
    /// Their weighted amount (a won deal weighs its whole amount).
    pub weighted: Decimal,
}

/// Sums the by-stage rows per category, so the categories tie to the
/// by-stage section. `closed` holds the period's won deals.
pub fn forecast(by_stage: &[StageRow], kpis: &Kpis) -> Vec<ForecastRow> {
    if by_stage.iter().all(|s| s.forecast.is_none()) {
        return Vec::new();
    }
    ForecastCategory::ALL
        .iter()
        .map(|&category| {
            if category == ForecastCategory::Closed {
                return ForecastRow {
                    category,
                    count: kpis.won_count,
                    amount: kpis.won_amount,
                    weighted: kpis.won_amount,
                };
            }
            let mut row = ForecastRow {
                category,
                count: 0,
                amount: Decimal::ZERO,
                weighted: Decimal::ZERO,
            };
            for stage in by_stage {
                if stage.forecast == Some(category) {
                    row.count += stage.count;
                    row.amount += stage.amount;
                    row.weighted += stage.weighted;
                }
            }
            row
        })
        .collect()
}
