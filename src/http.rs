//! What every HTTP client of the worker shares: one configuration, retry
//! timing, and how a failed exchange is described.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Exponential backoff stops growing here.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// A client with a timeout on every request (connection included) that
/// never follows redirects: a redirect would carry credentials elsewhere.
pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("pipeline-pulse/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Full jitter between half and all of an exponentially growing wait.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let grown = base
        .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
        .min(MAX_BACKOFF);
    grown.mul_f64(0.5 + fastrand::f64() / 2.0)
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
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

pub fn transport_error(error: reqwest::Error) -> String {
    // Without the URL: its query string may hold an API key.
    let error = error.without_url();
    if error.is_timeout() {
        "no answer within HTTP_TIMEOUT_SECS".to_owned()
    } else if error.is_connect() {
        format!("cannot connect: {error}")
    } else {
        error.to_string()
    }
}

/// The start of a body that is not what was expected, printable.
pub fn snippet(body: &[u8]) -> String {
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
    fn snippets_are_short_and_printable() {
        assert_eq!(
            snippet(b"<html><body>Bad gateway</body></html>"),
            "`<html><body>Bad gateway</body></html>`"
        );
        assert_eq!(snippet(b""), "empty");
        assert!(snippet("x".repeat(500).as_bytes()).ends_with("…`"));
    }
}
