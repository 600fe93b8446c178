//! A CurrencyFreaks fake on loopback: `rates/latest` and `rates/historical`
//! in the real response shape (rates as strings, a `+00` date), the API key
//! checked, historical rates switchable off as on the free plan, and faults.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde_json::json;

use super::loopback::Loopback;

/// The key the fake accepts.
pub const API_KEY: &str = "cf-test-key";

/// A fault served instead of the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatesFault {
    /// 401: a wrong key.
    Unauthorized,
    /// 429: the monthly quota is used up.
    QuotaExceeded,
    /// 500.
    ServerError,
    /// 502 with a proxy's HTML page.
    Html,
    /// 200 with half a body.
    Truncated,
}

struct FakeState {
    /// USD-based rates per date; `latest` serves the newest.
    sets: BTreeMap<NaiveDate, BTreeMap<String, String>>,
    historical_allowed: bool,
    faults: VecDeque<RatesFault>,
    calls: u64,
}

type Shared = Arc<Mutex<FakeState>>;

/// A running fake; stops when dropped.
pub struct CurrencyFreaksFake {
    state: Shared,
    server: Loopback,
}

impl CurrencyFreaksFake {
    /// Starts the fake with no rate sets.
    pub fn start() -> CurrencyFreaksFake {
        let state = Arc::new(Mutex::new(FakeState {
            sets: BTreeMap::new(),
            historical_allowed: true,
            faults: VecDeque::new(),
            calls: 0,
        }));
        let router = Router::new()
            .route("/v2.0/rates/latest", get(latest))
            .route("/v2.0/rates/historical", get(historical))
            .with_state(Arc::clone(&state));
        CurrencyFreaksFake {
            state,
            server: Loopback::serve(router),
        }
    }

    /// The variables that point the worker at this fake.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("RATE_SOURCE".to_owned(), "currencyfreaks".to_owned()),
            ("CURRENCY_API_KEY".to_owned(), API_KEY.to_owned()),
            (
                "CURRENCY_API_URL".to_owned(),
                format!("{}/v2.0", self.server.url()),
            ),
            ("SYNC_RETRY_BASE_MS".to_owned(), "10".to_owned()),
            ("HTTP_TIMEOUT_SECS".to_owned(), "2".to_owned()),
        ]
    }

    fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> T {
        f(&mut self.state.lock().expect("fake state"))
    }

    /// Publishes a USD-based set for `date`.
    pub fn set_rates(&self, date: NaiveDate, rates: &[(&str, &str)]) {
        self.with(|s| {
            let mut set: BTreeMap<String, String> = rates
                .iter()
                .map(|(code, rate)| ((*code).to_owned(), (*rate).to_owned()))
                .collect();
            set.entry("USD".to_owned())
                .or_insert_with(|| "1.0".to_owned());
            s.sets.insert(date, set);
        });
    }

    /// Whether `rates/historical` answers (a paid plan) or refuses (free).
    pub fn allow_historical(&self, allowed: bool) {
        self.with(|s| s.historical_allowed = allowed);
    }

    /// Serves `fault` instead of the next call.
    pub fn push_fault(&self, fault: RatesFault) {
        self.with(|s| s.faults.push_back(fault));
    }

    /// Calls received.
    pub fn calls(&self) -> u64 {
        self.with(|s| s.calls)
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(
            json!({"success": false, "error": {"status": status.as_u16(), "message": message}}),
        ),
    )
        .into_response()
}

/// Counts the call, checks the key, serves a queued fault.
fn admit(state: &Shared, query: &BTreeMap<String, String>) -> Option<Response> {
    let mut s = state.lock().expect("fake state");
    s.calls += 1;
    if let Some(fault) = s.faults.pop_front() {
        return Some(match fault {
            RatesFault::Unauthorized => error(StatusCode::UNAUTHORIZED, "Invalid API key"),
            RatesFault::QuotaExceeded => error(
                StatusCode::TOO_MANY_REQUESTS,
                "You have exceeded your monthly request quota",
            ),
            RatesFault::ServerError => error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error"),
            RatesFault::Html => (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body><h1>502 Bad Gateway</h1></body></html>",
            )
                .into_response(),
            RatesFault::Truncated => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"date":"2026-11-23 00:00:00+00","base":"USD","rates":{"SGD":"1.3"#,
            )
                .into_response(),
        });
    }
    (query.get("apikey").map(String::as_str) != Some(API_KEY))
        .then(|| error(StatusCode::UNAUTHORIZED, "Invalid API key"))
}

fn rates_response(
    date: NaiveDate,
    rates: &BTreeMap<String, String>,
    query: &BTreeMap<String, String>,
) -> Response {
    let wanted: Option<Vec<&str>> = query.get("symbols").map(|s| s.split(',').collect());
    let rates: BTreeMap<&String, &String> = rates
        .iter()
        .filter(|(code, _)| wanted.as_ref().is_none_or(|w| w.contains(&code.as_str())))
        .collect();
    axum::Json(json!({
        "date": format!("{date} 00:00:00+00"),
        "base": "USD",
        "rates": rates
    }))
    .into_response()
}

async fn latest(
    State(state): State<Shared>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(response) = admit(&state, &query) {
        return response;
    }
    let s = state.lock().expect("fake state");
    match s.sets.iter().next_back() {
        Some((date, rates)) => rates_response(*date, rates, &query),
        None => error(StatusCode::INTERNAL_SERVER_ERROR, "no rates"),
    }
}

async fn historical(
    State(state): State<Shared>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(response) = admit(&state, &query) {
        return response;
    }
    let s = state.lock().expect("fake state");
    if !s.historical_allowed {
        return error(
            StatusCode::FORBIDDEN,
            "Historical rates are not available on your current plan",
        );
    }
    let Some(date) = query
        .get("date")
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    else {
        return error(StatusCode::BAD_REQUEST, "date must be YYYY-MM-DD");
    };
    match s.sets.range(..=date).next_back() {
        Some((_, rates)) => rates_response(date, rates, &query),
        None => error(StatusCode::NOT_FOUND, "no rates for that date"),
    }
}
