//! One Zoho API call: token, rate limit, timeout, retries, and the error
//! bodies Zoho and the proxies in front of it send.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, HeaderMap, IF_MODIFIED_SINCE, RETRY_AFTER};
use serde_json::Value;
use tracing::warn;

use super::auth::TokenSource;
use super::error::ZohoError;
use super::limiter::RollingLimit;

/// A `Retry-After` longer than this fails the run instead of parking it.
const MAX_WAIT: Duration = Duration::from_secs(300);
/// Exponential backoff stops growing here.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// A successful answer.
#[derive(Debug)]
pub enum Reply {
    /// A JSON object.
    Json(Value),
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
            let token = self.tokens.access_token(calls).await?;
            self.limit.acquire().await;
            calls.fetch_add(1, Ordering::Relaxed);
            let mut request = self
                .http
                .get(format!("{}{path}", token.api_domain))
                .query(query)
                .header(
                    AUTHORIZATION,
                    format!("Zoho-oauthtoken {}", token.secret.expose()),
                );
            if let Some(since) = modified_since {
                request = request.header(IF_MODIFIED_SINCE, zoho_time(since));
            }
            let failure = match request.send().await {
                Err(e) => Transient {
                    detail: transport_error(&e),
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
                                    transport_error(&e)
                                ),
                                retry_after: None,
                                rate_limited: false,
                            };
                            self.wait_or_give_up(&endpoint, &mut attempt, failure)
                                .await?;
                            continue;
                        }
                    };
                    let json = serde_json::from_slice::<Value>(&body)
                        .ok()
                        .filter(Value::is_object);
                    match json {
                        Some(value) if (200..300).contains(&status) && !is_error(&value) => {
                            return Ok(Reply::Json(value));
                        }
                        Some(value) => {
                            let (code, message) = error_fields(&value);
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
                        None => Transient {
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
        let wait = failure
            .retry_after
            .unwrap_or_else(|| backoff(self.backoff, *attempt));
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

/// Zoho's error envelope, sometimes sent with a 2xx status.
fn is_error(value: &Value) -> bool {
    value.get("status").and_then(Value::as_str) == Some("error") || value.get("error").is_some()
}

fn error_fields(value: &Value) -> (String, String) {
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    (
        text("code")
            .or_else(|| text("error"))
            .unwrap_or_else(|| "UNKNOWN".to_owned()),
        text("message")
            .or_else(|| text("error_description"))
            .unwrap_or_default(),
    )
}

/// Full jitter between half and all of an exponentially growing wait.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let grown = base
        .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
        .min(MAX_BACKOFF);
    grown.mul_f64(0.5 + fastrand::f64() / 2.0)
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&Utc) - Utc::now())
            .to_std()
            .unwrap_or_default(),
    )
}

fn transport_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer within HTTP_TIMEOUT_SECS".to_owned()
    } else if error.is_connect() {
        format!("cannot connect: {error}")
    } else {
        error.to_string()
    }
}

/// The start of a body that is not what was expected, printable.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut short: String = text.chars().take(80).collect();
    short = short.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 80 {
        short.push('…');
    }
    if short.is_empty() {
        "empty".to_owned()
    } else {
        format!("`{short}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().expect("header"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("header"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO), "a past date");
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_ceiling() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4 {
            let full = base * 2u32.pow(attempt - 1);
            let wait = backoff(base, attempt);
            assert!(wait >= full / 2 && wait <= full, "{attempt}: {wait:?}");
        }
        assert!(backoff(base, 30) <= MAX_BACKOFF);
    }

    #[test]
    fn error_envelopes_are_recognised_with_any_status() {
        let body: Value = serde_json::json!({"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"});
        assert!(is_error(&body));
        assert_eq!(
            error_fields(&body),
            ("INVALID_TOKEN".to_owned(), "invalid oauth token".to_owned())
        );
        assert!(!is_error(&serde_json::json!({"data": [], "info": {}})));
        assert_eq!(
            snippet(b"<html><body>Bad gateway</body></html>"),
            "`<html><body>Bad gateway</body></html>`"
        );
    }
}
