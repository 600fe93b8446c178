//! Converting one deal's amount into the base currency.

use compact_str::CompactString;
use rust_decimal::Decimal;

use super::money::mul_round;
use super::{CrossRates, CurrencyCode, RateSet};
use crate::extract::{Amount, Deal};
use crate::quality::{Problem, ProblemKind};

/// A deal's amount in its own currency and in the base currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// The currency the amount is in (the home currency when the CRM left
    /// it empty).
    pub currency: CompactString,
    /// The amount in that currency.
    pub amount: Option<Decimal>,
    /// Units of base currency per unit of `currency`.
    pub rate: Option<Decimal>,
    /// `round_half_even(amount × rate)` to the base currency's minor units.
    pub amount_base: Option<Decimal>,
    /// Why there is no base amount, if there is none.
    pub problems: Vec<Problem>,
}

/// Which rate converts a deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateMode {
    /// The rate provider's set: `USD→base ÷ USD→currency`.
    #[default]
    Provider,
    /// The deal's own Zoho `Exchange_Rate`, read as Zoho defines it: units
    /// of the deal's currency per one unit of the org's home currency. So
    /// `currency→base = (home→base) ÷ Exchange_Rate`, with `home→base` from
    /// the provider's set (exactly 1 when the base is the home currency).
    Zoho,
}

/// Converts once, rounding once. A deal without a usable amount or rate
/// has no base amount and says why; it is never converted at 1:1.
pub fn convert(
    deal: &Deal,
    rates: &RateSet,
    base: CurrencyCode,
    home: CurrencyCode,
    mode: RateMode,
) -> Conversion {
    convert_at(deal, &rates.to_base(base.code()), base, home, mode)
}

/// [`convert`] with the cross rates computed beforehand, for many deals.
pub fn convert_at(
    deal: &Deal,
    cross: &CrossRates<'_>,
    base: CurrencyCode,
    home: CurrencyCode,
    mode: RateMode,
) -> Conversion {
    let rates = cross.set;
    let currency = deal.currency.clone().unwrap_or_else(|| home.code().into());
    let rate = match mode {
        RateMode::Provider => cross.rate(&currency),
        // A deal in the home currency needs no Exchange_Rate of its own.
        RateMode::Zoho if currency == home.code() => cross.rate(home.code()),
        RateMode::Zoho => deal
            .exchange_rate
            .filter(|x| *x > Decimal::ZERO)
            .zip(cross.rate(home.code()))
            .and_then(|(exchange_rate, home_to_base)| home_to_base.checked_div(exchange_rate)),
    };
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
        let detail = match mode {
            RateMode::Provider => format!(
                "no {currency}→{base} rate in the {} set of {}; excluded from {base} totals",
                rates.source, rates.date
            ),
            RateMode::Zoho => format!(
                "no usable Zoho Exchange_Rate (or no {home}→{base} rate); excluded from {base} totals"
            ),
        };
        problems.push(Problem {
            kind: ProblemKind::MissingRate,
            detail,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().expect("decimal literal")
    }

    fn deal(currency: &str, amount: &str, exchange_rate: Option<&str>) -> Deal {
        let mut record = serde_json::json!({
            "id": "1", "Deal_Name": "Acme", "Currency": currency,
            "Amount": amount.parse::<serde_json::Number>().expect("number"),
        });
        if let Some(rate) = exchange_rate {
            record["Exchange_Rate"] = serde_json::Value::Number(rate.parse().expect("number"));
        }
        Deal::from_record(&record).expect("a deal")
    }

    fn rates() -> RateSet {
        RateSet::from_currencyfreaks(
            r#"{"date":"2026-11-23 00:00:00+00","base":"USD","rates":{"SGD":"1.3384","EUR":"0.9340084415835656","JPY":"154.2365","KWD":"0.30745"}}"#,
            "test",
        )
        .expect("rates")
    }

    fn code(text: &str) -> CurrencyCode {
        CurrencyCode::parse(text).expect("currency")
    }

    #[test]
    fn rounds_once_to_the_base_currency_minor_units() {
        let sgd = convert(
            &deal("EUR", "12500", None),
            &rates(),
            code("SGD"),
            code("SGD"),
            RateMode::Provider,
        );
        // 12500 × 1.3384 ÷ 0.9340084415835656 = 17912.04367…
        assert_eq!(sgd.amount_base, Some(d("17912.04")));
        let jpy = convert(
            &deal("SGD", "1000", None),
            &rates(),
            code("JPY"),
            code("SGD"),
            RateMode::Provider,
        );
        // 1000 × 154.2365 ÷ 1.3384 = 115239.4650…: no minor units.
        assert_eq!(jpy.amount_base, Some(d("115239")));
        let kwd = convert(
            &deal("SGD", "1000", None),
            &rates(),
            code("KWD"),
            code("SGD"),
            RateMode::Provider,
        );
        // 1000 × 0.30745 ÷ 1.3384 = 229.71458…: three places.
        assert_eq!(kwd.amount_base, Some(d("229.715")));
        let tie = convert(
            &deal("SGD", "0.125", None),
            &rates(),
            code("SGD"),
            code("SGD"),
            RateMode::Provider,
        );
        assert_eq!(
            tie.amount_base,
            Some(d("0.12")),
            "a tie goes to the even cent"
        );
    }

    #[test]
    fn zoho_exchange_rates_are_units_of_the_deal_currency_per_home_unit() {
        // Home SGD, base SGD: 12500 EUR at 0.92 EUR per SGD = 13586.9565… SGD.
        let same = convert(
            &deal("EUR", "12500", Some("0.92")),
            &rates(),
            code("SGD"),
            code("SGD"),
            RateMode::Zoho,
        );
        assert_eq!(same.amount_base, Some(d("13586.96")));
        // Home USD, base SGD: through the provider's USD→SGD.
        let cross = convert(
            &deal("EUR", "12500", Some("0.92")),
            &rates(),
            code("SGD"),
            code("USD"),
            RateMode::Zoho,
        );
        // 12500 ÷ 0.92 × 1.3384 = 18184.78260…
        assert_eq!(cross.amount_base, Some(d("18184.78")));
        let missing = convert(
            &deal("EUR", "12500", None),
            &rates(),
            code("SGD"),
            code("SGD"),
            RateMode::Zoho,
        );
        assert_eq!(missing.amount_base, None);
        assert_eq!(missing.problems[0].kind, ProblemKind::MissingRate);
    }
}
