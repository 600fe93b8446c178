//! CurrencyFreaks over HTTPS: `rates/latest` for today, `rates/historical`
//! for a back-dated run, always with the USD base (the free plan's only
//! one) so any pair is derived as a cross rate.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use tracing::warn;

use super::{FxError, RateProvider, RateSet};
use crate::config::Secret;
use crate::http::{backoff, retry_after, snippet, transport_error};

/// The provenance name of sets from this provider.
const SOURCE: &str = "CurrencyFreaks";

/// The CurrencyFreaks client.
pub struct CurrencyFreaks {
    http: reqwest::Client,
    base_url: String,
    api_key: Secret,
    max_retries: u32,
    backoff: Duration,
}

impl CurrencyFreaks {
    /// A client of `base_url` (e.g. `https://api.currencyfreaks.com/v2.0`).
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        api_key: Secret,
        max_retries: u32,
        backoff: Duration,
    ) -> Self {
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            max_retries,
            backoff,
        }
    }

    async fn fetch(&self, path: &str, date: Option<NaiveDate>) -> Result<RateSet, FxError> {
        let endpoint = format!("GET /{path}");
        let mut query = vec![("apikey", self.api_key.expose().to_owned())];
        if let Some(date) = date {
            query.push(("date", date.to_string()));
        }
        let mut attempt = 0;
        loop {
            let failure = match self
                .http
                .get(format!("{}/{path}", self.base_url))
                .query(&query)
                .send()
                .await
            {
                Err(e) => (transport_error(e), None),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let wait = retry_after(response.headers());
                    match response.bytes().await {
                        Err(e) => (
                            format!("HTTP {status}, body cut off: {}", transport_error(e)),
                            wait,
                        ),
                        Ok(body) if (200..300).contains(&status) => {
                            match RateSet::from_currencyfreaks(
                                &String::from_utf8_lossy(&body),
                                SOURCE,
                            ) {
                                Ok(set) => return Ok(set),
                                // A proxy's page or a cut-off body: retry.
                                Err(_) => (
                                    format!(
                                        "HTTP {status} with a body that is not a rates response ({})",
                                        snippet(&body)
                                    ),
                                    wait,
                                ),
                            }
                        }
                        Ok(body) if status < 500 => {
                            return Err(refusal(&endpoint, status, &body, date));
                        }
                        Ok(body) => (format!("HTTP {status} ({})", snippet(&body)), wait),
                    }
                }
            };
            attempt += 1;
            let (detail, wait) = failure;
            if attempt > self.max_retries {
                return Err(FxError::GaveUp {
                    provider: SOURCE.to_owned(),
                    endpoint,
                    attempts: attempt,
                    last: detail,
                });
            }
            let wait = backoff(self.backoff, attempt).max(wait.unwrap_or_default());
            if wait > Duration::from_secs(300) {
                return Err(FxError::GaveUp {
                    provider: SOURCE.to_owned(),
                    endpoint,
                    attempts: attempt,
                    last: format!("{detail}; asked to wait {} s", wait.as_secs()),
                });
            }
            warn!(endpoint, attempt, failure = %detail, "CurrencyFreaks call failed; retrying.");
            tokio::time::sleep(wait).await;
        }
    }
}

/// A 4xx: a bad key, the quota, or a plan restriction. Retrying does not help.
fn refusal(endpoint: &str, status: u16, body: &[u8], date: Option<NaiveDate>) -> FxError {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.pointer("/error/message"))
                .or_else(|| v.get("error"))
                .and_then(|m| m.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| snippet(body));
    let hint = match status {
        401 => "check CURRENCY_API_KEY",
        429 => {
            "the plan's request quota is used up (the free plan allows 1,000 a month): raise CURRENCY_CACHE_DAYS, wait for the quota to renew, or upgrade the plan"
        }
        _ if date.is_some() => {
            "historical rates need a paid plan: store rates for that date by running `refresh-rates` on it, or upgrade the plan"
        }
        _ => "check CURRENCY_API_KEY and the plan's limits",
    };
    FxError::Refused {
        provider: SOURCE.to_owned(),
        endpoint: endpoint.to_owned(),
        status,
        message,
        hint,
        historical: date.is_some() && !matches!(status, 401 | 429),
    }
}

#[async_trait]
impl RateProvider for CurrencyFreaks {
    fn describe(&self) -> String {
        format!("CurrencyFreaks at {}", self.base_url)
    }

    async fn rates_for(&self, date: NaiveDate) -> Result<RateSet, FxError> {
        if date >= Utc::now().date_naive() {
            self.fetch("rates/latest", None).await
        } else {
            self.fetch("rates/historical", Some(date)).await
        }
    }
}
