//! Report throughput on synthetic deals (a deterministic generator):
//!
//! 1. every section and every CSV for 100,000 and 1,000,000 deals, from
//!    parsed deals to CSV bytes, in a child process each so that its peak
//!    RSS is its own;
//! 2. `--run-once weekly-pipeline` end to end with 1,000,000 deals already
//!    stored with a week of history (5 % of them changed during the week),
//!    on SQLite and on PostgreSQL (`TEST_DATABASE_URL`, as for the tests).
//!
//! `cargo bench --bench report` (`-- sections` or `-- end-to-end` for one
//! part; `BENCH_DEALS` overrides the deal counts).

use std::path::Path;

use std::process::Command;
use std::time::Instant;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use nix::sys::resource::{UsageWho, getrusage};
use pipeline_pulse::aggregate::period::start_of_day;
use pipeline_pulse::aggregate::{Baseline, Period, Preparation, ReportContext, build_report};
use pipeline_pulse::config::Config;
use pipeline_pulse::extract::{ChangeBatch, Deal};
use pipeline_pulse::fx::{CurrencyCode, RateMode, RateSet};
use pipeline_pulse::render::csv_files;
use pipeline_pulse::store::Store;
use rayon::prelude::*;
use serde_json::{Value, json};

#[path = "support/workspace.rs"]
mod workspace;

const STAGES: [&str; 11] = [
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
    "Closed-Lost to Competition",
    "Verbal Commit",
];
const CURRENCIES: [&str; 8] = ["SGD", "USD", "EUR", "JPY", "GBP", "AUD", "INR", "VND"];
const AS_OF: (i32, u32, u32) = (2026, 11, 25);

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(AS_OF.0, AS_OF.1, AS_OF.2).expect("date")
}

/// Deal `i` as Zoho sends it. `changed` gives the version written during
/// the report's week for one deal in twenty: a new amount, stage or
/// closing date.
fn record(i: u64, changed: bool) -> Value {
    let mut rng = fastrand::Rng::with_seed(i);
    let singapore = chrono::FixedOffset::east_opt(8 * 3600).expect("offset");
    let created = singapore
        .with_ymd_and_hms(2025, 1, 1, 9, 0, 0)
        .single()
        .expect("time")
        + Duration::minutes(rng.i64(0..(660 * 24 * 60)));
    let mut modified = created + Duration::minutes(rng.i64(0..(20 * 24 * 60)));
    let cap = singapore
        .with_ymd_and_hms(2026, 11, 14, 12, 0, 0)
        .single()
        .expect("time");
    modified = modified.min(cap);
    let mut cents = rng.i64(50_000..500_000_000);
    let mut stage = STAGES[rng.usize(0..STAGES.len())];
    let mut closing = as_of() + Duration::days(rng.i64(-200..300));
    let currency = CURRENCIES[rng.usize(0..CURRENCIES.len())];
    let probability = if i.is_multiple_of(3) {
        Value::Null
    } else {
        json!(rng.u8(0..=100))
    };
    if changed {
        modified = singapore
            .with_ymd_and_hms(2026, 11, 16, 9, 0, 0)
            .single()
            .expect("time")
            + Duration::minutes(fastrand::Rng::with_seed(!i).i64(0..(6 * 24 * 60)));
        match i % 3 {
            0 => cents = cents * 11 / 10,
            1 => {
                stage = if i.is_multiple_of(2) {
                    "Closed Won"
                } else {
                    "Closed Lost"
                }
            }
            _ => closing += Duration::days(30),
        }
    }
    let amount: Value =
        serde_json::from_str(&format!("{}.{:02}", cents / 100, cents % 100)).expect("a number");
    json!({
        "id": format!("{}", 5_725_767_000_000_000_000_u64 + i),
        "Deal_Name": format!("Deal {i} – renewal"),
        "Owner": {"name": format!("Owner {}", i % 40), "id": format!("{}", i % 40), "email": "owner@example.com"},
        "Amount": if i.is_multiple_of(97) { Value::Null } else { amount },
        "Currency": currency,
        "Exchange_Rate": 1,
        "Stage": stage,
        "Probability": probability,
        "Closing_Date": closing.to_string(),
        "Pipeline": "Standard",
        "Type": "New Business",
        "Account_Name": {"name": format!("Account {}", i % 5000), "id": format!("{}", i % 5000)},
        "Created_Time": created.to_rfc3339(),
        "Modified_Time": modified.to_rfc3339(),
    })
}

fn changed(i: u64) -> bool {
    i % 20 == 7
}

fn config() -> Config {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let vars = std::collections::BTreeMap::from([
        (
            "JOBS_DIR".to_owned(),
            root.join("jobs").display().to_string(),
        ),
        (
            "REPORTS_DIR".to_owned(),
            root.join("reports").display().to_string(),
        ),
    ]);
    Config::load(&vars).expect("the shipped configuration")
}

/// Child process: prepares, aggregates and writes every CSV for `n` deals.
fn sections(n: u64) {
    let config = config();
    let definition = &config.reports["pipeline-summary"];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rates = RateSet::from_currencyfreaks(
        &std::fs::read_to_string(root.join("src/fx/bundled/currencyfreaks-2026-11-23.json"))
            .expect("bundled rates"),
        "bundled",
    )
    .expect("rates");
    let timezone = chrono_tz::Asia::Singapore;
    let preparation = Preparation::new(
        definition,
        &rates,
        CurrencyCode::SGD,
        CurrencyCode::SGD,
        timezone,
        RateMode::Provider,
    );
    // The job parses and prepares deals batch by batch as it reads them;
    // so does this, timing only the preparing.
    let then: Vec<_> = (0..n)
        .filter_map(|i| Deal::from_record(&record(i, false)))
        .map(|deal| preparation.snapshot(&deal))
        .collect();
    let mut deals = Vec::with_capacity(n as usize);
    let mut prepared = std::time::Duration::ZERO;
    let mut cpu = std::time::Duration::ZERO;
    for first in (0..n).step_by(100_000) {
        let batch: Vec<Deal> = (first..(first + 100_000).min(n))
            .filter_map(|i| Deal::from_record(&record(i, changed(i))))
            .collect();
        let (start, cpu_start) = (Instant::now(), cpu_time());
        deals.par_extend(batch.into_par_iter().map(|d| preparation.prepare(d)));
        prepared += start.elapsed();
        cpu += cpu_time() - cpu_start;
    }

    let (start, cpu_start) = (Instant::now() - prepared, cpu_time() - cpu);
    let period = Period::ending_by(definition.period, as_of());
    let baseline = Baseline::Snapshot {
        period_start: start_of_day(period.start, timezone),
        deals: then,
    };
    let context = ReportContext {
        run_id: "bench".to_owned(),
        job: "weekly-pipeline".to_owned(),
        title: definition.title.clone(),
        as_of: as_of(),
        timezone,
        period,
        base: CurrencyCode::SGD,
        rates_date: rates.date,
        rates_source: rates.source.clone(),
        deal_source: "synthetic".to_owned(),
        sample: false,
        last_sync: None,
        stale_data: None,
        csv_bom: false,
    };
    let report = build_report(context, definition, deals, &baseline).expect("report");
    // As the job does: the period-start deals are not needed past here.
    drop(baseline);
    let aggregated = start.elapsed();
    let files = csv_files(&report);
    let total = start.elapsed();
    let cpu = cpu_time() - cpu_start;
    let bytes: usize = files.iter().map(|f| f.bytes.len()).sum();
    println!(
        "{n:>9} deals: {:>6.2} s  (prepare {:.2} s, sections {:.2} s, CSVs {:.2} s; {:.0} MB of CSV; {:.2} CPU-s)",
        total.as_secs_f64(),
        prepared.as_secs_f64(),
        (aggregated - prepared).as_secs_f64(),
        (total - aggregated).as_secs_f64(),
        bytes as f64 / 1e6,
        cpu.as_secs_f64(),
    );
}

/// User and system time of this process so far, every thread's: beside
/// the wall time, what the work cost on a machine shared with others.
fn cpu_time() -> std::time::Duration {
    getrusage(UsageWho::RUSAGE_SELF)
        .map(|usage| {
            let duration = |t: nix::sys::time::TimeVal| {
                std::time::Duration::from_micros(t.tv_sec() as u64 * 1_000_000 + t.tv_usec() as u64)
            };
            duration(usage.user_time()) + duration(usage.system_time())
        })
        .unwrap_or_default()
}

fn peak_rss_of_children_mb() -> f64 {
    getrusage(UsageWho::RUSAGE_CHILDREN)
        .map(|usage| usage.max_rss() as f64 / 1024.0)
        .unwrap_or(f64::NAN)
}

fn counts() -> Vec<u64> {
    std::env::var("BENCH_DEALS")
        .ok()
        .map(|text| {
            text.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| vec![100_000, 1_000_000])
}

fn run_sections() {
    println!("Every section and every CSV (prepare, aggregate, write), one process per size:");
    for n in counts() {
        let status = Command::new(std::env::current_exe().expect("bench binary"))
            .args(["--child-sections", &n.to_string()])
            .status()
            .expect("run the child");
        assert!(status.success(), "the child for {n} deals failed");
        // RUSAGE_CHILDREN is the largest of the children so far; sizes
        // grow, so it is this child's.
        println!(
            "{:>9}        peak RSS {:.0} MB",
            "",
            peak_rss_of_children_mb()
        );
    }
}

/// Stores `n` deals as a first sync before the week, then the week's
/// changes as a second.
async fn seed(store: &Store, n: u64) {
    let source = "sample";
    let chunk = 2_000;
    let base_time = Utc
        .with_ymd_and_hms(2026, 11, 14, 4, 0, 0)
        .single()
        .expect("time");
    for first in (0..n).step_by(chunk) {
        let records = (first..(first + chunk as u64).min(n))
            .map(|i| record(i, false))
            .collect();
        let batch = ChangeBatch {
            records,
            deletions: Vec::new(),
            deletions_through: None,
        };
        store
            .apply_batch(source, &batch, base_time)
            .await
            .expect("store a batch");
    }
    store.finish_sync(source, base_time).await.expect("finish");
    let changes: Vec<u64> = (0..n).filter(|i| changed(*i)).collect();
    for ids in changes.chunks(chunk) {
        let batch = ChangeBatch {
            records: ids.iter().map(|&i| record(i, true)).collect(),
            deletions: Vec::new(),
            deletions_through: None,
        };
        store
            .apply_batch(source, &batch, base_time + Duration::days(8))
            .await
            .expect("store the week's changes");
    }
    store
        .finish_sync(source, base_time + Duration::days(8))
        .await
        .expect("finish");
}

fn workspace() -> tempfile::TempDir {
    let dir = workspace::workspace();
    // An empty response page: the job's sync step finds nothing new.
    std::fs::create_dir_all(dir.path().join("pages")).expect("pages");
    std::fs::write(
        dir.path().join("pages/empty.json"),
        r#"{"data": [], "info": {"per_page": 200, "count": 0, "more_records": false}}"#,
    )
    .expect("page");
    dir
}

fn end_to_end(label: &str, url: &str, dir: &Path, n: u64) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let seeded = Instant::now();
    runtime.block_on(async {
        let store = Store::connect(url).await.expect("connect");
        seed(&store, n).await;
    });
    let seeding = seeded.elapsed();
    if url.starts_with("postgres") {
        // A database that has held its deals for more than a minute has
        // been through autovacuum; the first scan after a bulk load would
        // otherwise also write every page back to set its hint bits.
        runtime
            .block_on(PostgresSchema::execute(url, "VACUUM ANALYZE deal_versions"))
            .expect("vacuum");
    }
    let start = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_pipeline-pulse"))
        .args(["--run-once", "weekly-pipeline", "--as-of", "2026-11-25"])
        .current_dir(dir)
        .env_clear()
        .env("LOG_LEVEL", "warn")
        .env("DATABASE_URL", url)
        .env("SAMPLE_DATA_DIR", dir.join("pages"))
        .output()
        .expect("run the worker");
    let wall = start.elapsed();
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "the run failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!(
        "{label:>10}: {n} deals stored (+{} changed in the week; seeding took {:.0} s): --run-once weekly-pipeline {:.2} s, peak RSS {:.0} MB",
        (0..n).filter(|i| changed(*i)).count(),
        seeding.as_secs_f64(),
        wall.as_secs_f64(),
        peak_rss_of_children_mb(),
    );
}

/// A schema of its own on the test server, dropped when done.
struct PostgresSchema {
    base: String,
    name: String,
}

impl PostgresSchema {
    async fn create() -> Option<PostgresSchema> {
        let base = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| {
            "postgres://pipeline_pulse:pipeline_pulse@127.0.0.1:5432/pipeline_pulse_test".to_owned()
        });
        let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
        if let Err(e) = Self::execute(&base, &format!("CREATE SCHEMA {name}")).await {
            println!(
                "PostgreSQL at TEST_DATABASE_URL is not reachable ({e}); start it as .ci/test does"
            );
            return None;
        }
        Some(PostgresSchema { base, name })
    }

    fn url(&self) -> String {
        let separator = if self.base.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options=-c%20search_path%3D{}",
            self.base, self.name
        )
    }

    async fn drop_schema(self) {
        Self::execute(&self.base, &format!("DROP SCHEMA {} CASCADE", self.name))
            .await
            .expect("drop the benchmark's schema");
    }

    async fn execute(url: &str, sql: &str) -> Result<(), sqlx::Error> {
        use sqlx::Connection as _;
        let mut connection = sqlx::PgConnection::connect(url).await?;
        sqlx::query(sql).execute(&mut connection).await?;
        Ok(())
    }
}

fn run_end_to_end() {
    let n = counts().into_iter().max().unwrap_or(1_000_000);
    println!("End to end, release binary, as of 2026-11-25 (period 2026-W47):");
    let dir = workspace();
    std::fs::create_dir_all(dir.path().join("data")).expect("data");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("data/pipeline-pulse.db").display()
    );
    end_to_end("SQLite", &url, dir.path(), n);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    if let Some(schema) = runtime.block_on(PostgresSchema::create()) {
        let dir = workspace();
        end_to_end("PostgreSQL", &schema.url(), dir.path(), n);
        runtime.block_on(schema.drop_schema());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child-sections") {
        let n = args
            .get(i + 1)
            .and_then(|n| n.parse().ok())
            .expect("a deal count");
        sections(n);
        return;
    }
    let only = |part: &str| args.iter().any(|a| a == part);
    let all = !only("sections") && !only("end-to-end");
    if all || only("sections") {
        run_sections();
    }
    if all || only("end-to-end") {
        run_end_to_end();
    }
}
