//! Convert: exchange rates (the rate provider port and its adapters) and
//! the conversion of every deal into the base currency.

mod bundled;
mod convert;
mod currency;
pub mod money;
mod rates;

use async_trait::async_trait;
use chrono::NaiveDate;

pub use bundled::BundledRates;
pub use convert::{Conversion, convert};
pub use currency::CurrencyCode;
pub use rates::RateSet;

/// Why rates could not be had.
#[derive(Debug, thiserror::Error)]
pub enum FxError {
    /// The provider answered with something that is not a rate set.
    #[error("rates from {provider} are unusable: {detail}")]
    BadResponse {
        /// The provider.
        provider: String,
        /// What is wrong.
        detail: String,
    },
}

/// Where exchange rates come from.
#[async_trait]
pub trait RateProvider: Send + Sync {
    /// For logs and provenance lines.
    fn describe(&self) -> String;
    /// The rate set for `date`, or the nearest one the provider has.
    async fn rates_for(&self, date: NaiveDate) -> Result<RateSet, FxError>;
}
