//! The `rates` step: a rate set for the as-of date, from the cache or the
//! provider.

use chrono::{NaiveDate, Utc};
use tracing::{info, warn};

use super::Environment;
use crate::fx::{FxError, RateSet};

/// The rate set a run uses, and how it was had.
#[derive(Debug, Clone)]
pub struct Rates {
    /// The set; its `source` says where it came from.
    pub set: RateSet,
    /// True when the provider was called for it.
    pub fetched: bool,
    /// Set when the set is not the one asked for: it is stated in every
    /// output through the set's source, and the run ends with warnings.
    pub substitute: Option<String>,
}

/// The stored set for `as_of` if it is younger than `CURRENCY_CACHE_DAYS`,
/// else a new set from the provider (historical for a past date), stored
/// for the next run. When the plan refuses historical rates, the nearest
/// earlier stored set stands in, and says so.
pub async fn ensure_rates(env: &Environment, as_of: NaiveDate) -> anyhow::Result<Rates> {
    let cache_days = i64::from(env.config.settings.currency.cache_days);
    let stored = env.store.rates_on_or_before(as_of).await?;
    // A set is dated in the provider's calendar (UTC). East of UTC the
    // job's today starts hours before the provider's: until then, the
    // newest set there can be is dated the day before, and is not old.
    let newest_possible = as_of.min(Utc::now().date_naive());
    if let Some(stored) = &stored
        && (newest_possible - stored.date).num_days() < cache_days
    {
        info!(rates_date = %stored.date, source = %stored.source, "Using stored rates.");
        return Ok(Rates {
            set: stored.clone(),
            fetched: false,
            substitute: None,
        });
    }
    let context = || {
        format!(
            "getting exchange rates for {as_of} from {}",
            env.rates.describe()
        )
    };
    match env.rates.rates_for(as_of).await {
        Ok(set) => {
            env.store.save_rates(&set, Utc::now()).await?;
            info!(rates_date = %set.date, source = %set.source, currencies = set.rates.len(), "Stored new rates.");
            Ok(Rates {
                set,
                fetched: true,
                substitute: None,
            })
        }
        Err(
            error @ FxError::Refused {
                historical: true, ..
            },
        ) => {
            let Some(mut set) = stored else {
                return Err(anyhow::Error::new(error).context(format!(
                    "{}; no earlier rates are stored to stand in",
                    context()
                )));
            };
            let note = format!(
                "no rates of {as_of}: historical rates are not on the plan, so the nearest earlier stored set, of {}, is used",
                set.date
            );
            warn!(%note, "Using an earlier rate set.");
            set.source = format!("{} ({note})", set.source);
            Ok(Rates {
                set,
                fetched: false,
                substitute: Some(note),
            })
        }
        Err(error) => Err(anyhow::Error::new(error).context(context())),
    }
}
