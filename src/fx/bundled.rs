//! The CurrencyFreaks snapshot bundled with the binary, for runs without
//! network access or an API key.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::{FxError, RateProvider, RateSet};

const SNAPSHOT: &str = include_str!("bundled/currencyfreaks-2026-11-23.json");
const SOURCE: &str = "bundled CurrencyFreaks snapshot";

/// Serves the bundled snapshot for every date.
#[derive(Debug, Clone, Copy, Default)]
pub struct BundledRates;

#[async_trait]
impl RateProvider for BundledRates {
    fn describe(&self) -> String {
        SOURCE.to_owned()
    }

    async fn rates_for(&self, _date: NaiveDate) -> Result<RateSet, FxError> {
        RateSet::from_currencyfreaks(SNAPSHOT, SOURCE)
    }
}
