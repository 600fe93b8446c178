//! A set of exchange rates for one date and cross rates derived from it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate};
use foldhash::HashMap;
use rust_decimal::Decimal;
use serde::Deserialize;
use tracing::warn;

use super::FxError;

/// The rates of one date, quoted as CurrencyFreaks does: units of each
/// currency per one unit of `base` (USD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateSet {
    /// The date the rates are for.
    pub date: NaiveDate,
    /// Where they came from, for provenance lines.
    pub source: String,
    /// The quoting currency, normally USD.
    pub base: String,
    /// Units of each currency per one unit of `base`.
    pub rates: BTreeMap<String, Decimal>,
}

/// A CurrencyFreaks `rates/latest` or `rates/historical` response.
#[derive(Deserialize)]
struct Response {
    date: String,
    base: String,
    rates: BTreeMap<String, String>,
}

impl RateSet {
    /// Parses a CurrencyFreaks response body. Rates are strings and are read
    /// as decimals directly; a rate that is not a positive number is an error.
    pub fn from_currencyfreaks(body: &str, source: &str) -> Result<RateSet, FxError> {
        let bad = |detail: String| FxError::BadResponse {
            provider: source.to_owned(),
            detail,
        };
        let response: Response =
            serde_json::from_str(body).map_err(|e| bad(format!("not a rates response: {e}")))?;
        let date = DateTime::parse_from_str(&response.date, "%Y-%m-%d %H:%M:%S%#z")
            .map(|t| t.date_naive())
            .or_else(|_| {
                NaiveDate::parse_from_str(response.date.get(..10).unwrap_or(""), "%Y-%m-%d")
            })
            .map_err(|_| {
                bad(format!(
                    "`date` is `{}`, expected YYYY-MM-DD HH:MM:SS+00",
                    response.date
                ))
            })?;
        let mut rates = BTreeMap::new();
        for (code, text) in response.rates {
            match text.trim().parse::<Decimal>() {
                Ok(rate) if rate > Decimal::ZERO => {
                    rates.insert(code.to_ascii_uppercase(), rate);
                }
                // One odd quote among a thousand currencies costs that
                // currency, not the set: its deals show as missing_rate.
                _ => {
                    warn!(provider = source, currency = %code, rate = %text, "Ignored a rate that is not a positive number.")
                }
            }
        }
        if rates.is_empty() {
            return Err(bad("the set holds no usable rate".to_owned()));
        }
        let base = response.base.to_ascii_uppercase();
        rates.entry(base.clone()).or_insert(Decimal::ONE);
        Ok(RateSet {
            date,
            source: source.to_owned(),
            base,
            rates,
        })
    }

    /// Units of `to` per one unit of `from`: `base→to ÷ base→from` at full
    /// `Decimal` precision, exactly 1 for a currency to itself. `None` when
    /// either currency has no rate.
    pub fn cross_rate(&self, from: &str, to: &str) -> Option<Decimal> {
        if from == to {
            return Some(Decimal::ONE);
        }
        let to_rate = self.rates.get(to)?;
        let from_rate = self.rates.get(from)?;
        to_rate.checked_div(*from_rate)
    }
}

/// Every currency's rate to one base currency, computed once per report
/// rather than once per deal.
#[derive(Debug, Clone)]
pub struct CrossRates<'a> {
    /// The set they come from.
    pub set: &'a RateSet,
    /// The currency they convert to.
    pub base: &'a str,
    // Looked up once per deal: hashing a currency code beats walking a
    // tree of a hundred and seventy.
    to_base: HashMap<&'a str, Decimal>,
}

impl RateSet {
    /// The cross rate of every currency of the set to `base`.
    pub fn to_base<'a>(&'a self, base: &'a str) -> CrossRates<'a> {
        let to_base = self
            .rates
            .keys()
            .filter_map(|from| Some((from.as_str(), self.cross_rate(from, base)?)))
            .collect();
        CrossRates {
            set: self,
            base,
            to_base,
        }
    }
}

impl CrossRates<'_> {
    /// Units of the base currency per one unit of `from`, as
    /// [`RateSet::cross_rate`] gives it.
    pub fn rate(&self, from: &str) -> Option<Decimal> {
        if from == self.base {
            return Some(Decimal::ONE);
        }
        self.to_base.get(from).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"date":"2026-11-23 00:00:00+00","base":"USD","rates":{"EUR":"0.9340084415835656","SGD":"1.2934","USD":"1.0","JPY":"154.2365"}}"#;

    #[test]
    fn derives_cross_rates_from_a_usd_base() {
        let set = RateSet::from_currencyfreaks(BODY, "test").expect("valid");
        assert_eq!(
            set.date,
            NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
        );
        // 1.2934 / 0.9340084415835656, by hand to 28 significant digits.
        let eur_sgd = set.cross_rate("EUR", "SGD").expect("both quoted");
        assert_eq!(eur_sgd.round_dp(15).to_string(), "1.384784058061728");
        assert_eq!(set.cross_rate("SGD", "SGD"), Some(Decimal::ONE));
        assert_eq!(
            set.cross_rate("USD", "SGD"),
            Some("1.2934".parse().expect("decimal"))
        );
        assert_eq!(set.cross_rate("VND", "SGD"), None);
    }

    #[test]
    fn rejects_what_is_not_a_rates_response() {
        assert!(RateSet::from_currencyfreaks("<html>502 Bad Gateway</html>", "test").is_err());
        let negative = BODY.replace("\"1.2934\"", "\"-1\"");
        let set = RateSet::from_currencyfreaks(&negative, "test").expect("the other rates");
        assert_eq!(
            set.cross_rate("EUR", "SGD"),
            None,
            "the bad quote is left out"
        );
        assert!(set.cross_rate("EUR", "JPY").is_some());
    }
}
