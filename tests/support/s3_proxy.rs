//! A proxy in front of the S3 server that records every request in order
//! and can refuse writes of chosen keys with a real S3 error, so tests see
//! the order of writes and a failure the SDK meets over the wire.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::loopback::Loopback;

/// One request the proxy saw: method and path with query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `PUT`, `DELETE`, …
    pub method: String,
    /// `/bucket/key?query`.
    pub target: String,
    /// `x-amz-copy-source` of a copy made inside the store.
    pub copy_source: Option<String>,
    /// Bytes of the request body.
    pub body_bytes: usize,
}

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    seen: Arc<Mutex<Vec<Seen>>>,
    fail_suffix: Arc<Mutex<Option<String>>>,
    refuse_copies: Arc<Mutex<bool>>,
}

/// A running proxy; stops when dropped.
pub struct S3Proxy {
    state: ProxyState,
    server: Loopback,
}

impl S3Proxy {
    /// A proxy to `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> S3Proxy {
        let state = ProxyState {
            upstream: upstream.to_owned(),
            client: reqwest::Client::new(),
            seen: Arc::default(),
            fail_suffix: Arc::default(),
            refuse_copies: Arc::default(),
        };
        let router = Router::new().fallback(forward).with_state(state.clone());
        S3Proxy {
            state,
            server: Loopback::serve(router),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// From now on, PUTs (objects and parts) to paths ending in `suffix`
    /// fail with 403 AccessDenied; `None` lets everything through.
    pub fn fail_writes_to(&self, suffix: Option<&str>) {
        *self.state.fail_suffix.lock().expect("proxy state") = suffix.map(str::to_owned);
    }

    /// From now on, copies inside the store fail with 403 AccessDenied,
    /// as for a role that may write objects but not read them.
    pub fn refuse_copies(&self) {
        *self.state.refuse_copies.lock().expect("proxy state") = true;
    }

    /// The requests so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("proxy state").clone()
    }
}

async fn forward(State(state): State<ProxyState>, request: Request) -> Response {
    let method = request.method().clone();
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let refused = state
        .fail_suffix
        .lock()
        .expect("proxy state")
        .as_ref()
        .is_some_and(|suffix| path.ends_with(suffix.as_str()));
    let mut headers = HeaderMap::new();
    for (name, value) in request.headers() {
        if name != "host" && name != "content-length" {
            headers.append(name.clone(), value.clone());
        }
    }
    // The whole body is read first, as S3 does, so the client sees the
    // answer rather than a broken pipe.
    let body = match to_bytes(request.into_body(), 64 * 1024 * 1024).await {
        Ok(body) => body,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    state.seen.lock().expect("proxy state").push(Seen {
        method: method.to_string(),
        target: target.clone(),
        copy_source: headers
            .get("x-amz-copy-source")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        body_bytes: body.len(),
    });
    let copy = headers.contains_key("x-amz-copy-source");
    let refused = refused || (copy && *state.refuse_copies.lock().expect("proxy state"));
    if refused && method == "PUT" {
        // 403 is not retried by the SDK, so the test sees one refusal.
        return (
            StatusCode::FORBIDDEN,
            [("content-type", "application/xml")],
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        )
            .into_response();
    }
    let upstream = state
        .client
        .request(method, format!("{}{target}", state.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let upstream = match upstream {
        Ok(upstream) => upstream,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let mut response = Response::builder().status(upstream.status());
    for (name, value) in upstream.headers() {
        // Content-Length stays: a HEAD answer carries the object's size in it.
        if name != "transfer-encoding" && name != "connection" {
            response = response.header(name, value);
        }
    }
    let bytes = upstream.bytes().await.unwrap_or_default();
    response
        .body(Body::from(bytes))
        .unwrap_or_else(|e| (StatusCode::BAD_GATEWAY, e.to_string()).into_response())
}
