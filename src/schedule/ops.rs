//! The operations endpoint of `serve`: `/healthz` and `/metrics`.
//!
//! Metrics are read from the run history at each scrape, so they survive
//! restarts and agree with `pipeline-pulse runs`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tracing::{info, warn};

use crate::store::Store;

/// The scheduler is taken for dead when it has not beaten for this long.
const SCHEDULER_SILENCE_SECS: i64 = 30;

type Labels = Vec<(String, String)>;

/// What the endpoint reads.
#[derive(Clone)]
pub struct Ops {
    store: Store,
    /// Unix time of the scheduler's last beat.
    scheduler_beat: Arc<AtomicI64>,
}

impl Ops {
    /// An endpoint over `store`; the scheduler calls [`Ops::beat`].
    pub fn new(store: Store) -> Self {
        Self {
            store,
            scheduler_beat: Arc::new(AtomicI64::new(Utc::now().timestamp())),
        }
    }

    /// Records that the scheduler is alive.
    pub fn beat(&self) {
        self.scheduler_beat
            .store(Utc::now().timestamp(), Ordering::Relaxed);
    }

    /// Serves `/healthz` and `/metrics` on `addr` until the task is dropped.
    pub async fn serve(self, addr: SocketAddr) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        info!(addr = %listener.local_addr()?, "Serving /healthz and /metrics.");
        let router = Router::new()
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics))
            .with_state(self);
        axum::serve(listener, router).await
    }
}

async fn healthz(State(ops): State<Ops>) -> Response {
    let silent = Utc::now().timestamp() - ops.scheduler_beat.load(Ordering::Relaxed);
    if silent > SCHEDULER_SILENCE_SECS {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("scheduler silent for {silent} s\n"),
        )
            .into_response();
    }
    if ops.store.ping().await {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
    }
}

async fn metrics(State(ops): State<Ops>) -> Response {
    let totals = match ops.store.run_totals().await {
        Ok(totals) => totals,
        Err(e) => {
            warn!(error = %e, "Could not read the run history for /metrics.");
            return (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response();
        }
    };
    let runs = Family::<Labels, Counter<u64, AtomicU64>>::default();
    let deals = Family::<Labels, Counter<u64, AtomicU64>>::default();
    let calls = Family::<Labels, Counter<u64, AtomicU64>>::default();
    let last_success = Family::<Labels, Gauge<f64, AtomicU64>>::default();
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    for row in &totals {
        let job = vec![("job".to_owned(), row.job.clone())];
        let mut by_status = job.clone();
        by_status.push(("status".to_owned(), row.status.clone()));
        runs.get_or_create(&by_status).inc_by(count(row.runs));
        deals.get_or_create(&job).inc_by(count(row.deals_extracted));
        calls.get_or_create(&job).inc_by(count(row.api_calls));
        if matches!(row.status.as_str(), "succeeded" | "warnings")
            && let Some(finished) = row.last_finished
        {
            let gauge = last_success.get_or_create(&job);
            let seconds = finished.timestamp_millis() as f64 / 1000.0;
            if seconds > gauge.get() {
                gauge.set(seconds);
            }
        }
    }
    let last_duration = Family::<Labels, Gauge<f64, AtomicU64>>::default();
    let mut jobs: Vec<&str> = totals.iter().map(|row| row.job.as_str()).collect();
    jobs.dedup();
    for job in jobs {
        let latest = ops
            .store
            .runs(Some(job), 1)
            .await
            .ok()
            .and_then(|runs| runs.into_iter().next());
        if let Some((start, end)) = latest.and_then(|run| run.started_at.zip(run.finished_at)) {
            last_duration
                .get_or_create(&vec![("job".to_owned(), job.to_owned())])
                .set((end - start).num_milliseconds() as f64 / 1000.0);
        }
    }
    let mut registry = Registry::with_prefix("pipeline_pulse");
    registry.register(
        "last_run_duration_seconds",
        "How long the job's latest finished run took",
        last_duration,
    );
    registry.register("runs", "Runs by job and final status", runs);
    registry.register("deals_extracted", "Deals read from the CRM", deals);
    registry.register("api_calls", "Calls made to external APIs", calls);
    registry.register(
        "last_success_timestamp_seconds",
        "When the job last finished without failing",
        last_success,
    );
    let mut body = String::new();
    if let Err(e) = encode(&mut body, &registry) {
        return (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
