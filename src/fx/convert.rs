//! Converting one deal's amount into the base currency.

use rust_decimal::Decimal;

use super::money::mul_round;
use super::{CurrencyCode, RateSet};
use crate::extract::{Amount, Deal};
use crate::quality::{Problem, ProblemKind};

/// A deal's amount in its own currency and in the base currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// The currency the amount is in (the home currency when the CRM left
    /// it empty).
    pub currency: String,
    /// The amount in that currency.
    pub amount: Option<Decimal>,
    /// Units of base currency per unit of `currency`.
    pub rate: Option<Decimal>,
    /// `round_half_even(amount × rate)` to the base currency's minor units.
    pub amount_base: Option<Decimal>,
    /// Why there is no base amount, if there is none.
    pub problems: Vec<Problem>,
}

/// Converts once, rounding once. A deal without a usable amount or rate
/// has no base amount and says why; it is never converted at 1:1.
pub fn convert(deal: &Deal, rates: &RateSet, base: CurrencyCode, home: CurrencyCode) -> Conversion {
    let currency = deal
        .currency
        .clone()
        .unwrap_or_else(|| home.code().to_owned());
    let rate = rates.cross_rate(&currency, base.code());
    let mut problems = Vec::new();
    let amount = match &deal.amount {
        Amount::Value(value) => Some(*value),
        Amount::Missing => {
            problems.push(Problem {
                kind: ProblemKind::NullAmount,
                detail: "Amount is empty".to_owned(),
            });
            None
        }
        Amount::Invalid(text) => {
            problems.push(Problem {
                kind: ProblemKind::InvalidAmount,
                detail: format!("Amount is `{text}`, not a number"),
            });
            None
        }
    };
    if rate.is_none() {
        problems.push(Problem {
            kind: ProblemKind::MissingRate,
            detail: format!(
                "no {currency}→{base} rate in the {} set of {}; excluded from {base} totals",
                rates.source, rates.date
            ),
        });
    }
    let amount_base = match (amount, rate) {
        (Some(amount), Some(rate)) => mul_round(amount, rate, base.minor_units()),
        _ => None,
    };
    if amount.is_some() && rate.is_some() && amount_base.is_none() {
        problems.push(Problem {
            kind: ProblemKind::InvalidAmount,
            detail: "Amount is too large to convert".to_owned(),
        });
    }
    Conversion {
        currency,
        amount,
        rate,
        amount_base,
        problems,
    }
}
