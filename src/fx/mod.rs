//! Convert: exchange rates (the rate provider port and its adapters) and
//! the conversion of every deal into the base currency.

mod bundled;
mod convert;
mod currency;
mod currencyfreaks;
pub mod money;
mod rates;

use async_trait::async_trait;
use chrono::NaiveDate;

pub use bundled::BundledRates;
pub use convert::{Conversion, RateMode, convert, convert_at};
pub use currency::CurrencyCode;
pub use currencyfreaks::CurrencyFreaks;
pub use rates::{CrossRates, RateSet};

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
    /// The provider refused the request; retrying will not help.
    #[error("{provider} {endpoint} answered HTTP {status}: {message}; {hint}")]
    Refused {
        /// The provider.
        provider: String,
        /// Method and path.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// The provider's message.
        message: String,
        /// What to do.
        hint: &'static str,
        /// A historical set refused by the plan: an earlier stored set may
        /// stand in.
        historical: bool,
    },
    /// Transient failures outlasted every retry.
    #[error(
        "{provider} {endpoint} still failing after {attempts} attempts ({last}); try again later, or raise SYNC_MAX_RETRIES"
    )]
    GaveUp {
        /// The provider.
        provider: String,
        /// Method and path.
        endpoint: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
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
