//! The `rates` step: a rate set for the as-of date, from the cache or the
//! provider.

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use tracing::info;

use super::Environment;
use crate::fx::RateSet;

/// The stored set for `as_of` if it is younger than `CURRENCY_CACHE_DAYS`,
/// else a new set from the provider, stored for the next run.
pub async fn ensure_rates(env: &Environment, as_of: NaiveDate) -> anyhow::Result<(RateSet, bool)> {
    let cache_days = i64::from(env.config.settings.currency.cache_days);
    if let Some(stored) = env.store.rates_on_or_before(as_of).await?
        && (as_of - stored.date).num_days() < cache_days
    {
        info!(rates_date = %stored.date, source = %stored.source, "Using stored rates.");
        return Ok((stored, false));
    }
    let set = env.rates.rates_for(as_of).await.with_context(|| {
        format!(
            "getting exchange rates for {as_of} from {}",
            env.rates.describe()
        )
    })?;
    env.store.save_rates(&set, Utc::now()).await?;
    info!(rates_date = %set.date, source = %set.source, currencies = set.rates.len(), "Stored new rates.");
    Ok((set, true))
}
