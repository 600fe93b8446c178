//! A Zoho CRM fake on loopback that follows the API facts the client is
//! built against: the token endpoint, `GET /crm/v8/Deals` with mandatory
//! `fields`, the 2,000-record `page` limit, `page_token` chains bound to
//! their parameters and limited to 100,000 records, `If-Modified-Since`
//! (inclusive; 304 and 204), `Deals/deleted`, and switchable faults.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

use super::loopback::Loopback;

/// Client credentials the fake accepts.
pub const CLIENT_ID: &str = "1000.FAKECLIENT";
/// The client secret.
pub const CLIENT_SECRET: &str = "fake-client-secret";
/// A refresh token the fake accepts from the start.
pub const REFRESH_TOKEN: &str = "1000.fake-refresh-token";
/// A grant code the fake exchanges once.
pub const GRANT_CODE: &str = "1000.fake-grant-code";

const STAGES: [(&str, u8); 10] = [
    ("Qualification", 10),
    ("Needs Analysis", 20),
    ("Value Proposition", 40),
    ("Id. Decision Makers", 60),
    ("Perception Analysis", 70),
    ("Proposal/Price Quote", 75),
    ("Negotiation/Review", 90),
    ("Closed Won", 100),
    ("Closed Lost", 0),
    ("Closed-Lost to Competition", 0),
];
const CURRENCIES: [&str; 5] = ["SGD", "USD", "EUR", "JPY", "GBP"];
const OWNERS: [&str; 6] = [
    "Ana Ruiz",
    "Bjørn Olsen",
    "Chen Wei",
    "Dana Whitfield",
    "Élodie Martin",
    "Farhan Iqbal",
];

/// Which calls a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `POST /oauth/v2/token`.
    Token,
    /// `GET /crm/v8/Deals` and `GET /crm/v8/Deals/deleted`.
    Data,
}

/// A fault served instead of the next call to its target.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 `TOO_MANY_REQUESTS`, with `Retry-After` seconds when given.
    TooManyRequests(Option<u64>),
    /// 401 `INVALID_TOKEN`: the access token is revoked.
    InvalidToken,
    /// 500 `INTERNAL_ERROR`.
    ServerError,
    /// 502 with a proxy's HTML page.
    Html,
    /// 200 with the first half of the real body.
    TruncatedJson,
    /// Waits this long before answering normally.
    Stall(Duration),
    /// The token endpoint's throttle, HTTP 400.
    TokenThrottled,
}

/// Counts of what the fake served.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Token requests, answered or not.
    pub token_requests: u64,
    /// Access tokens issued.
    pub tokens_issued: u64,
    /// `GET /crm/v8/Deals` requests.
    pub record_requests: u64,
    /// `GET /crm/v8/Deals/deleted` requests.
    pub deleted_requests: u64,
    /// Records sent.
    pub records_sent: u64,
    /// Faults served.
    pub faults_served: u64,
}

#[derive(Debug, Clone)]
struct FakeDeal {
    id: u64,
    revision: u32,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
}

struct Chain {
    ids: Arc<Vec<u64>>,
    offset: usize,
    bound: String,
}

struct FakeState {
    deals: BTreeMap<u64, FakeDeal>,
    deleted: Vec<(u64, DateTime<Utc>)>,
    refresh_tokens: HashSet<String>,
    grant_codes: HashSet<String>,
    access_tokens: HashSet<String>,
    chains: HashMap<String, Chain>,
    faults: VecDeque<(Target, u64, Fault)>,
    latency: Duration,
    stats: Stats,
    serial: u64,
    url: String,
    /// Records rendered ahead for one `fields` list, by id and revision, so
    /// that a benchmark measures the client rather than the fake.
    rendered_fields: String,
    rendered: HashMap<(u64, u32), Arc<str>>,
}

type Shared = Arc<Mutex<FakeState>>;

/// A running fake; stops when dropped.
pub struct ZohoFake {
    state: Shared,
    server: Loopback,
}

/// The first deal id: Zoho ids are long numeric strings.
const FIRST_ID: u64 = 5_725_767_000_001_000_000;

fn deal_time(index: u64) -> DateTime<Utc> {
    // Three deals share each second, so page and chain boundaries fall
    // inside a second; seven minutes between seconds, so a sync's overlap
    // re-reads a few deals, as with real data.
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("valid time")
        + chrono::Duration::seconds((index / 3) as i64 * 420)
}

impl ZohoFake {
    /// Starts the fake on a free loopback port, on its own runtime.
    pub fn start() -> ZohoFake {
        let state = Arc::new(Mutex::new(FakeState {
            deals: BTreeMap::new(),
            deleted: Vec::new(),
            refresh_tokens: HashSet::from([REFRESH_TOKEN.to_owned()]),
            grant_codes: HashSet::from([GRANT_CODE.to_owned()]),
            access_tokens: HashSet::new(),
            chains: HashMap::new(),
            faults: VecDeque::new(),
            latency: Duration::ZERO,
            stats: Stats::default(),
            serial: 0,
            url: String::new(),
            rendered_fields: String::new(),
            rendered: HashMap::new(),
        }));
        let router = Router::new()
            .route("/oauth/v2/token", post(token))
            .route("/crm/v8/Deals", get(records))
            .route("/crm/v8/Deals/deleted", get(deleted))
            .route("/crm/v8/{module}", get(unknown_module))
            .with_state(Arc::clone(&state));
        let server = Loopback::serve(router);
        state.lock().expect("fake state").url = server.url();
        ZohoFake { state, server }
    }

    /// `http://127.0.0.1:<port>`: accounts server and API domain alike.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The variables that point the worker at this fake.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("DEAL_SOURCE", "zoho".to_owned()),
            ("ZOHO_CLIENT_ID", CLIENT_ID.to_owned()),
            ("ZOHO_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("ZOHO_REFRESH_TOKEN", REFRESH_TOKEN.to_owned()),
            ("ZOHO_ACCOUNTS_URL", self.url()),
            ("SYNC_RETRY_BASE_MS", "10".to_owned()),
            ("HTTP_TIMEOUT_SECS", "2".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> T {
        f(&mut self.state.lock().expect("fake state"))
    }

    /// Adds `count` deals after the existing ones.
    pub fn add_deals(&self, count: u64) {
        self.with(|s| {
            let start = s.deals.len() as u64;
            for index in start..start + count {
                let time = deal_time(index);
                s.deals.insert(
                    FIRST_ID + index,
                    FakeDeal {
                        id: FIRST_ID + index,
                        revision: 0,
                        created: time,
                        modified: time,
                    },
                );
            }
        });
    }

    /// Edits the deals at these positions (amount and stage change) at `at`.
    pub fn modify(&self, positions: impl IntoIterator<Item = u64>, at: DateTime<Utc>) {
        self.with(|s| {
            for position in positions {
                if let Some(deal) = s.deals.get_mut(&(FIRST_ID + position)) {
                    deal.revision += 1;
                    deal.modified = at;
                }
            }
        });
    }

    /// Deletes the deals at these positions at `at`.
    pub fn delete(&self, positions: impl IntoIterator<Item = u64>, at: DateTime<Utc>) {
        self.with(|s| {
            for position in positions {
                if s.deals.remove(&(FIRST_ID + position)).is_some() {
                    s.deleted.push((FIRST_ID + position, at));
                }
            }
        });
    }

    /// Serves `fault` after `calls` more calls to `target` went through.
    pub fn push_fault_after(&self, target: Target, calls: u64, fault: Fault) {
        self.with(|s| s.faults.push_back((target, calls, fault)));
    }

    /// Renders every deal's JSON for this `fields` list now, so that
    /// serving pages of it costs the fake next to nothing.
    #[allow(dead_code, reason = "used by the sync benchmark")]
    pub fn prerender(&self, fields: &[&str]) {
        self.with(|s| {
            s.rendered_fields = fields.join(",");
            s.rendered = s
                .deals
                .values()
                .map(|deal| {
                    (
                        (deal.id, deal.revision),
                        Arc::from(deal_json(deal, fields).to_string()),
                    )
                })
                .collect();
        });
    }

    /// Adds `latency` to every call.
    pub fn set_latency(&self, latency: Duration) {
        self.with(|s| s.latency = latency);
    }

    /// What was served so far.
    pub fn stats(&self) -> Stats {
        self.with(|s| s.stats)
    }

    /// The ids of the live deals.
    pub fn live_ids(&self) -> Vec<String> {
        self.with(|s| s.deals.keys().map(u64::to_string).collect())
    }
}

fn zoho_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "details": {}, "message": message, "status": "error"})),
    )
        .into_response()
}

/// Takes the next fault for `target`, if one is queued.
fn next_fault(state: &Shared, target: Target) -> Option<Fault> {
    let mut s = state.lock().expect("fake state");
    let position = s.faults.iter().position(|(t, _, _)| *t == target)?;
    if let Some((_, calls, _)) = s
        .faults
        .get_mut(position)
        .filter(|(_, calls, _)| *calls > 0)
    {
        *calls -= 1;
        return None;
    }
    let fault = s.faults.remove(position).map(|(_, _, f)| f);
    if fault.is_some() {
        s.stats.faults_served += 1;
    }
    fault
}

/// Applies latency and a fault; `Some` is the response to send instead.
async fn before(state: &Shared, target: Target) -> Option<Response> {
    let latency = state.lock().expect("fake state").latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match next_fault(state, target)? {
        Fault::TooManyRequests(retry_after) => {
            let mut response = zoho_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_REQUESTS",
                "too many requests",
            );
            if let Some(seconds) = retry_after {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_str(&seconds.to_string()).expect("header"),
                );
            }
            Some(response)
        }
        Fault::InvalidToken => {
            state.lock().expect("fake state").access_tokens.clear();
            None
        }
        Fault::ServerError => Some(zoho_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Internal Server Error",
        )),
        Fault::Html => Some(
            (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>",
            )
                .into_response(),
        ),
        Fault::TruncatedJson => Some(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"data":[{"id":"5725767000001000000","Deal_Name":"Acme","Amount":12"#,
            )
                .into_response(),
        ),
        Fault::Stall(duration) => {
            tokio::time::sleep(duration).await;
            None
        }
        Fault::TokenThrottled => Some(
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({
                    "error_description": "You have made too many requests continuously. Please try again after some time.",
                    "error": "Access Denied",
                    "status": "failure"
                })),
            )
                .into_response(),
        ),
    }
}

async fn token(State(state): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
    state.lock().expect("fake state").stats.token_requests += 1;
    if let Some(response) = before(&state, Target::Token).await {
        return response;
    }
    let mut s = state.lock().expect("fake state");
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("client_id") != CLIENT_ID || field("client_secret") != CLIENT_SECRET {
        return (
            StatusCode::OK,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let refresh_token = match field("grant_type") {
        "refresh_token" if s.refresh_tokens.contains(field("refresh_token")) => None,
        "authorization_code" if s.grant_codes.remove(field("code")) => {
            s.serial += 1;
            let refresh = format!("1000.refresh-{}", s.serial);
            s.refresh_tokens.insert(refresh.clone());
            Some(refresh)
        }
        // Zoho answers a bad code or refresh token with HTTP 200.
        _ => return (StatusCode::OK, axum::Json(json!({"error": "invalid_code"}))).into_response(),
    };
    s.serial += 1;
    let access = format!("1000.access-{}", s.serial);
    s.access_tokens.insert(access.clone());
    s.stats.tokens_issued += 1;
    let mut body = json!({
        "access_token": access,
        "api_domain": s.url,
        "token_type": "Bearer",
        "expires_in": 3600
    });
    if let Some(refresh) = refresh_token {
        body["refresh_token"] = Value::String(refresh);
    }
    axum::Json(body).into_response()
}

fn authorized(state: &Shared, headers: &HeaderMap) -> Option<Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Zoho-oauthtoken "));
    let known = token.is_some_and(|t| state.lock().expect("fake state").access_tokens.contains(t));
    (!known).then(|| {
        zoho_error(
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
            "invalid oauth token",
        )
    })
}

/// What every data call goes through: latency, a queued fault, the access
/// token, and `If-Modified-Since`.
async fn admit_data(
    state: &Shared,
    headers: &HeaderMap,
) -> Result<Option<DateTime<Utc>>, Box<Response>> {
    if let Some(response) = before(state, Target::Data).await {
        return Err(Box::new(response));
    }
    if let Some(response) = authorized(state, headers) {
        return Err(Box::new(response));
    }
    modified_since(headers).map_err(|()| Box::new(bad_modified_since()))
}

/// The `If-Modified-Since` instant; `Err` when the header is not one.
fn modified_since(headers: &HeaderMap) -> Result<Option<DateTime<Utc>>, ()> {
    match headers.get(header::IF_MODIFIED_SINCE) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| Some(t.with_timezone(&Utc)))
            .ok_or(()),
    }
}

fn bad_modified_since() -> Response {
    zoho_error(
        StatusCode::BAD_REQUEST,
        "INVALID_DATA",
        "invalid If-Modified-Since",
    )
}

fn deal_json(deal: &FakeDeal, fields: &[&str]) -> Value {
    let n = deal.id - FIRST_ID;
    let (stage, probability) =
        STAGES[((n + u64::from(deal.revision)) % STAGES.len() as u64) as usize];
    let currency = CURRENCIES[(n % CURRENCIES.len() as u64) as usize];
    let owner = OWNERS[(n % OWNERS.len() as u64) as usize];
    let amount = if n % 97 == 13 {
        Value::Null
    } else {
        json!(((n * 7919 + u64::from(deal.revision) * 1_000) % 500_000) as f64 + 0.5)
    };
    let closing = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
        + chrono::Duration::days(((n * 13) % 700) as i64);
    // Mostly Zoho's `+08:00` form; some `Z`-suffixed, as proxies and
    // exports write them.
    let zoho_time = |t: DateTime<Utc>| {
        if n.is_multiple_of(11) {
            t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        } else {
            t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset"))
                .format("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        }
    };
    let mut record = serde_json::Map::new();
    record.insert("id".to_owned(), Value::String(deal.id.to_string()));
    for field in fields {
        let value = match *field {
            "Deal_Name" => json!(format!("Deal {n} – Ünïcødé Kft.")),
            "Owner" => {
                json!({"name": owner, "id": format!("57257670000004{:05}", n % OWNERS.len() as u64), "email": "owner@example.com"})
            }
            "Amount" => amount.clone(),
            // A single-currency org leaves Currency empty.
            "Currency" if n % 53 == 7 => Value::Null,
            "Currency" => json!(currency),
            "Exchange_Rate" => json!(1.0),
            "Stage" => json!(stage),
            "Probability" => json!(probability),
            "Closing_Date" => json!(closing.to_string()),
            "Pipeline" => json!("Standard Pipeline"),
            "Account_Name" => {
                json!({"name": format!("Account {}", n % 50), "id": "5725767000000987001"})
            }
            "Created_Time" => json!(zoho_time(deal.created)),
            "Modified_Time" => json!(zoho_time(deal.modified)),
            _ => Value::Null,
        };
        record.insert((*field).to_owned(), value);
    }
    Value::Object(record)
}

async fn records(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    state.lock().expect("fake state").stats.record_requests += 1;
    let since = match admit_data(&state, &headers).await {
        Ok(since) => since,
        Err(response) => return *response,
    };
    let Some(fields) = query.get("fields") else {
        return zoho_error(
            StatusCode::BAD_REQUEST,
            "REQUIRED_PARAM_MISSING",
            "One of the expected parameter is missing",
        );
    };
    let fields: Vec<&str> = fields.split(',').collect();
    if fields.len() > 50 {
        return zoho_error(
            StatusCode::BAD_REQUEST,
            "LIMIT_EXCEEDED",
            "fields limit exceeded",
        );
    }
    let per_page: usize = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(200);
    if per_page > 200 {
        return zoho_error(
            StatusCode::BAD_REQUEST,
            "INVALID_DATA",
            "per_page must be at most 200",
        );
    }
    let sort_by = query.get("sort_by").map(String::as_str).unwrap_or("id");
    let ascending = query.get("sort_order").map(String::as_str) == Some("asc");
    let bound = format!(
        "{}|{per_page}|{sort_by}|{ascending}|{since:?}",
        query.get("fields").cloned().unwrap_or_default()
    );

    let mut s = state.lock().expect("fake state");
    let (ids, offset) = match (query.get("page"), query.get("page_token")) {
        (Some(_), Some(_)) => {
            return zoho_error(
                StatusCode::BAD_REQUEST,
                "AMBIGUITY_DURING_PROCESSING",
                "page and page_token together",
            );
        }
        (_, Some(token)) => {
            // Tokens stay valid for their lifetime: a retried request may
            // present one again.
            let Some(chain) = s.chains.get(token) else {
                return zoho_error(
                    StatusCode::BAD_REQUEST,
                    "EXPIRED_VALUE",
                    "page_token expired",
                );
            };
            if chain.bound != bound {
                return zoho_error(
                    StatusCode::BAD_REQUEST,
                    "TOKEN_BOUND_DATA_MISMATCH",
                    "the parameters differ from the token's",
                );
            }
            if chain.offset >= 100_000 {
                return zoho_error(
                    StatusCode::BAD_REQUEST,
                    "PAGINATION_LIMIT_EXCEEDED",
                    "page_token reaches 100000 records",
                );
            }
            (Arc::clone(&chain.ids), chain.offset)
        }
        (page, None) => {
            let page: usize = page.and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
            if page * per_page > 2_000 {
                return zoho_error(
                    StatusCode::BAD_REQUEST,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "use page_token beyond 2000 records",
                );
            }
            let mut matching: Vec<&FakeDeal> = s
                .deals
                .values()
                .filter(|d| since.is_none_or(|since| d.modified >= since))
                .collect();
            match sort_by {
                "Modified_Time" => matching.sort_by_key(|d| (d.modified, d.id)),
                "Created_Time" => matching.sort_by_key(|d| (d.created, d.id)),
                _ => matching.sort_by_key(|d| d.id),
            }
            if !ascending {
                matching.reverse();
            }
            let ids: Vec<u64> = matching.iter().map(|d| d.id).collect();
            if ids.is_empty() {
                return if since.is_some() && !s.deals.is_empty() {
                    StatusCode::NOT_MODIFIED.into_response()
                } else {
                    StatusCode::NO_CONTENT.into_response()
                };
            }
            (Arc::new(ids), (page - 1) * per_page)
        }
    };
    let end = (offset + per_page).min(ids.len());
    let fields_key = fields.join(",");
    let use_cache = fields_key == s.rendered_fields;
    let data: Vec<Arc<str>> = ids[offset.min(end)..end]
        .iter()
        .filter_map(|id| s.deals.get(id))
        .map(|deal| match s.rendered.get(&(deal.id, deal.revision)) {
            Some(text) if use_cache => Arc::clone(text),
            _ => Arc::from(deal_json(deal, &fields).to_string()),
        })
        .collect();
    let more = end < ids.len();
    let next_page_token = more.then(|| {
        s.serial += 1;
        let token = format!("pt-{}", s.serial);
        s.chains.insert(
            token.clone(),
            Chain {
                ids: Arc::clone(&ids),
                offset: end,
                bound,
            },
        );
        token
    });
    s.stats.records_sent += data.len() as u64;
    let info = json!({
        "per_page": per_page,
        "count": data.len(),
        "page": offset / per_page + 1,
        "sort_by": sort_by,
        "sort_order": if ascending { "asc" } else { "desc" },
        "more_records": more,
        "next_page_token": next_page_token,
        "previous_page_token": null,
        "page_token_expiry": "2026-11-27T09:00:00+00:00",
        "call": false,
        "email": false
    });
    let mut body = String::with_capacity(data.iter().map(|d| d.len() + 1).sum::<usize>() + 512);
    body.push_str("{\"data\":[");
    for (i, record) in data.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(record);
    }
    body.push_str("],\"info\":");
    body.push_str(&info.to_string());
    body.push('}');
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn deleted(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    state.lock().expect("fake state").stats.deleted_requests += 1;
    let since = match admit_data(&state, &headers).await {
        Ok(since) => since,
        Err(response) => return *response,
    };
    let page: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let per_page: usize = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(200)
        .min(200);
    let s = state.lock().expect("fake state");
    let mut items: Vec<&(u64, DateTime<Utc>)> = s
        .deleted
        .iter()
        .filter(|(_, at)| since.is_none_or(|since| *at >= since))
        .collect();
    items.sort_by_key(|(id, at)| (std::cmp::Reverse(*at), *id));
    if items.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    let start = (page - 1) * per_page;
    let data: Vec<Value> = items
        .iter()
        .skip(start)
        .take(per_page)
        .map(|(id, at)| {
            json!({
                "id": id.to_string(),
                "display_name": format!("Deal {}", id - FIRST_ID),
                "type": "recycle",
                "deleted_time": at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
                "deleted_by": {"name": "Ana Ruiz", "id": "5725767000000411001"},
                "created_by": null
            })
        })
        .collect();
    let count = data.len();
    axum::Json(json!({
        "data": data,
        "info": {"per_page": per_page, "count": count, "page": page, "more_records": start + count < items.len()}
    }))
    .into_response()
}

async fn unknown_module(Path(module): Path<String>) -> Response {
    zoho_error(
        StatusCode::BAD_REQUEST,
        "INVALID_MODULE",
        &format!("the module name given seems to be invalid: {module}"),
    )
}
