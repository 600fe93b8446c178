//! One Zoho API call: token, rate limit, timeout, retries, and the error
//! bodies Zoho and the proxies in front of it send.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, HeaderValue, IF_MODIFIED_SINCE};
use serde::Deserialize;
use serde_json::Value;
use tracing::warn;

use super::auth::TokenSource;
use super::error::ZohoError;
use super::limiter::RollingLimit;
use crate::http::{backoff, retry_after, snippet, transport_error};

/// A `Retry-After` longer than this fails the run instead of parking it.
const MAX_WAIT: Duration = Duration::from_secs(300);

/// A successful answer.
#[derive(Debug)]
pub enum Reply {
    /// A JSON object, checked to be one and not an error envelope.
    Json(Bytes),
    /// 304: nothing modified since `If-Modified-Since`.
    NotModified,
    /// 204: no records at all.
    NoContent,
}

/// A failure worth retrying.
struct Transient {
    detail: String,
    retry_after: Option<Duration>,
    rate_limited: bool,
}

/// Calls the Zoho API on the token's `api_domain`.
pub struct Api {
    http: reqwest::Client,
    tokens: Arc<TokenSource>,
    limit: RollingLimit,
    max_retries: u32,
    backoff: Duration,
}

/// How `If-Modified-Since` is written: Zoho's own ISO 8601 form. Seconds
/// are truncated, which only widens the inclusive filter.
pub fn zoho_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

impl Api {
    /// An API client; `backoff` is the first retry's wait.
    pub fn new(
        http: reqwest::Client,
        tokens: Arc<TokenSource>,
        limit: RollingLimit,
        max_retries: u32,
        backoff: Duration,
    ) -> Self {
        Self {
            http,
            tokens,
            limit,
            max_retries,
            backoff,
        }
    }

    /// `GET {api_domain}{path}`, counting every HTTP request in `calls`.
    pub async fn get(
        &self,
        calls: &AtomicU64,
        path: &str,
        query: &[(&str, String)],
        modified_since: Option<DateTime<Utc>>,
    ) -> Result<Reply, ZohoError> {
        let endpoint = format!("GET {path}");
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            // The limiter may wait long; the token is taken after it, fresh.
            self.limit.acquire().await;
            let token = self.tokens.access_token(calls).await?;
            calls.fetch_add(1, Ordering::Relaxed);
            let mut authorization =
                HeaderValue::from_str(&format!("Zoho-oauthtoken {}", token.secret.expose()))
                    .map_err(|_| ZohoError::Auth {
                        accounts_url: String::new(),
                        detail: "the access token holds characters a header cannot".to_owned(),
                        hint: "run `pipeline-pulse zoho auth` again",
                    })?;
            authorization.set_sensitive(true);
            let mut request = self
                .http
                .get(format!("{}{path}", token.api_domain))
                .query(query)
                .header(AUTHORIZATION, authorization);
            if let Some(since) = modified_since {
                request = request.header(IF_MODIFIED_SINCE, zoho_time(since));
            }
            let failure = match request.send().await {
                Err(e) => Transient {
                    detail: transport_error(e),
                    retry_after: None,
                    rate_limited: false,
                },
                Ok(response) => {
                    let status = response.status().as_u16();
                    match status {
                        304 => return Ok(Reply::NotModified),
                        204 => return Ok(Reply::NoContent),
                        _ => {}
                    }
                    let retry_after = retry_after(response.headers());
                    let body = match response.bytes().await {
                        Ok(body) => body,
                        Err(e) => {
                            let failure = Transient {
                                detail: format!(
                                    "HTTP {status}, body cut off: {}",
                                    transport_error(e)
                                ),
                                retry_after: None,
                                rate_limited: false,
                            };
                            self.wait_or_give_up(&endpoint, &mut attempt, failure)
                                .await?;
                            continue;
                        }
                    };
                    // One quick pass checks the syntax (HTML, a cut-off
                    // body) and reads the error envelope without building
                    // the records; callers parse those.
                    match serde_json::from_slice::<Envelope>(&body) {
                        Ok(envelope) if (200..300).contains(&status) && !envelope.is_error() => {
                            return Ok(Reply::Json(body));
                        }
                        Ok(envelope) => {
                            let (code, message) = envelope.code_and_message();
                            if code == "INVALID_TOKEN" && !refreshed {
                                // An access token revoked or expired early:
                                // one fresh token, one more try.
                                refreshed = true;
                                self.tokens.invalidate(&token).await?;
                                continue;
                            }
                            let rate_limited = status == 429 || code == "TOO_MANY_REQUESTS";
                            if !(rate_limited || status >= 500) {
                                return Err(ZohoError::Api {
                                    endpoint,
                                    status,
                                    code,
                                    message,
                                });
                            }
                            Transient {
                                detail: format!("HTTP {status} {code}: {message}"),
                                retry_after,
                                rate_limited,
                            }
                        }
                        Err(_) => Transient {
                            detail: format!(
                                "HTTP {status} with a body that is not Zoho's JSON ({})",
                                snippet(&body)
                            ),
                            retry_after,
                            rate_limited: status == 429,
                        },
                    }
                }
            };
            self.wait_or_give_up(&endpoint, &mut attempt, failure)
                .await?;
        }
    }

    async fn wait_or_give_up(
        &self,
        endpoint: &str,
        attempt: &mut u32,
        failure: Transient,
    ) -> Result<(), ZohoError> {
        *attempt += 1;
        // Never sooner than the backoff, even when told `Retry-After: 0`.
        let wait = backoff(self.backoff, *attempt).max(failure.retry_after.unwrap_or_default());
        if *attempt > self.max_retries || wait > MAX_WAIT {
            return Err(ZohoError::GaveUp {
                endpoint: endpoint.to_owned(),
                attempts: *attempt,
                last: failure.detail,
                rate_limited: failure.rate_limited,
            });
        }
        warn!(
            endpoint,
            attempt = *attempt,
            wait_ms = wait.as_millis() as u64,
            failure = %failure.detail,
            "Zoho call failed; retrying."
        );
        tokio::time::sleep(wait).await;
        Ok(())
    }
}

/// Zoho's error envelope, sometimes sent with a 2xx status. Reading a
/// body into it also checks the whole body is one JSON object.
#[derive(Debug, Default, Deserialize)]
struct Envelope {
    status: Option<String>,
    code: Option<String>,
    message: Option<String>,
    error: Option<Value>,
    error_description: Option<String>,
}

impl Envelope {
    fn is_error(&self) -> bool {
        self.status.as_deref() == Some("error") || self.error.is_some()
    }

    fn code_and_message(self) -> (String, String) {
        let error = self.error.and_then(|e| e.as_str().map(str::to_owned));
        (
            self.code.or(error).unwrap_or_else(|| "UNKNOWN".to_owned()),
            self.message.or(self.error_description).unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelopes_are_recognised_with_any_status() {
        let read = |body: &str| serde_json::from_str::<Envelope>(body);
        let error = read(r#"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}"#)
            .expect("an object");
        assert!(error.is_error());
        assert_eq!(
            error.code_and_message(),
            ("INVALID_TOKEN".to_owned(), "invalid oauth token".to_owned())
        );
        assert!(
            !read(r#"{"data":[{"id":"1"}],"info":{}}"#)
                .expect("an object")
                .is_error()
        );
        assert!(
            read(r#"{"data":[{"id":"1","Amount":12"#).is_err(),
            "cut off"
        );
        assert!(read("<html>Bad gateway</html>").is_err());
        assert!(read("[1, 2]").is_err(), "not an object");
    }
}
