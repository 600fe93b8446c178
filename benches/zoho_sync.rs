//! Sync throughput against the Zoho fake with 20 ms added per call:
//! calls made, wall time and wall ÷ (calls × 20 ms) for full syncs, calls
//! and wall time for a small incremental sync, and the peak RSS of a
//! 250,000-deal sync.
//!
//! `cargo bench --bench zoho_sync`

#[allow(dead_code)]
#[path = "../tests/support/loopback.rs"]
mod loopback;
#[allow(dead_code)]
#[path = "../tests/support/zoho_fake.rs"]
mod zoho_fake;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use nix::sys::resource::{UsageWho, getrusage};
use zoho_fake::{Stats, ZohoFake};

#[path = "support/workspace.rs"]
mod workspace;
use workspace::workspace;

const LATENCY: Duration = Duration::from_millis(20);

fn calls(before: Stats, after: Stats) -> u64 {
    (after.token_requests - before.token_requests)
        + (after.record_requests - before.record_requests)
        + (after.deleted_requests - before.deleted_requests)
}

/// Runs `sync-deals` once; returns the wall time and the calls the fake saw.
fn sync(fake: &ZohoFake, dir: &Path) -> (Duration, u64) {
    let before = fake.stats();
    let start = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_pipeline-pulse"))
        .args(["--run-once", "sync-deals"])
        .current_dir(dir)
        .env_clear()
        .env(
            "LOG_LEVEL",
            std::env::var("BENCH_LOG_LEVEL").unwrap_or_else(|_| "warn".to_owned()),
        )
        .env("API_RATE_LIMIT_PER_HOUR", "1000000")
        .envs(fake.env())
        .output()
        .expect("run the sync");
    let wall = start.elapsed();
    assert!(
        output.status.success(),
        "sync failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    if std::env::var_os("BENCH_LOG_LEVEL").is_some() {
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
    }
    (wall, calls(before, fake.stats()))
}

/// Mean time of a page straight from the fake with its latency: the floor
/// any client's wall time per call stands on.
fn fake_page_time(fake: &ZohoFake) -> Duration {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let token = http
            .post(format!("{}/oauth/v2/token", fake.url()))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", zoho_fake::REFRESH_TOKEN),
                ("client_id", zoho_fake::CLIENT_ID),
                ("client_secret", zoho_fake::CLIENT_SECRET),
            ])
            .send()
            .await
            .expect("token")
            .bytes()
            .await
            .expect("token body");
        let token: serde_json::Value = serde_json::from_slice(&token).expect("token json");
        let auth = format!(
            "Zoho-oauthtoken {}",
            token["access_token"].as_str().expect("access token")
        );
        let fields = pipeline_pulse::extract::ZOHO_FIELDS.join(",");
        let mut page_token: Option<String> = None;
        let start = Instant::now();
        let mut pages = 0u32;
        loop {
            let mut query = vec![
                ("fields", fields.clone()),
                ("per_page", "200".to_owned()),
                ("sort_by", "Modified_Time".to_owned()),
                ("sort_order", "asc".to_owned()),
            ];
            if let Some(token) = &page_token {
                query.push(("page_token", token.clone()));
            }
            let body = http
                .get(format!("{}/crm/v8/Deals", fake.url()))
                .query(&query)
                .header("Authorization", &auth)
                .send()
                .await
                .expect("page")
                .bytes()
                .await
                .expect("page body");
            pages += 1;
            let page: serde_json::Value = serde_json::from_slice(&body).expect("json");
            match page["info"]["next_page_token"].as_str() {
                Some(next) if pages < 50 => page_token = Some(next.to_owned()),
                _ => break,
            }
        }
        start.elapsed() / pages
    })
}

fn main() {
    // First, so the children's peak RSS is this sync's; and without
    // prerendered pages, whose memory a forked child would count as its own
    // until it execs.
    let fake = ZohoFake::start();
    fake.add_deals(250_000);
    let dir = workspace();
    let (wall, calls) = sync(&fake, dir.path());
    let peak = getrusage(UsageWho::RUSAGE_CHILDREN)
        .expect("rusage")
        .max_rss();
    println!(
        "full sync, 250000 deals, no added latency: {calls} calls, {:.2} s, peak RSS {:.0} MB",
        wall.as_secs_f64(),
        peak as f64 / 1024.0
    );

    for deals in [10_000u64, 100_000] {
        let fake = ZohoFake::start();
        fake.add_deals(deals);
        fake.prerender(&pipeline_pulse::extract::ZOHO_FIELDS);
        fake.set_latency(LATENCY);
        if deals == 10_000 {
            let page = fake_page_time(&fake);
            println!(
                "the fake alone, 20 ms per call: {:.1} ms per page of 200, so a client that adds nothing has wall / (calls x 20 ms) = {:.2}",
                page.as_secs_f64() * 1000.0,
                page.as_secs_f64() / LATENCY.as_secs_f64()
            );
        }
        let dir = workspace();
        let (wall, calls) = sync(&fake, dir.path());
        let floor = calls as f64 * LATENCY.as_secs_f64();
        println!(
            "full sync, {deals} deals, 20 ms per call: {calls} calls (ceil(N/200) = {}), {:.2} s, wall / (calls x 20 ms) = {:.2}",
            deals.div_ceil(200),
            wall.as_secs_f64(),
            wall.as_secs_f64() / floor
        );
        if deals == 100_000 {
            let now = Utc
                .with_ymd_and_hms(2026, 11, 25, 9, 0, 0)
                .single()
                .expect("time");
            fake.modify((0..10).map(|i| i * 9_973), now);
            let (wall, calls) = sync(&fake, dir.path());
            println!(
                "incremental sync, 10 changes over 100000 stored deals, 20 ms per call: {calls} calls, {:.2} s",
                wall.as_secs_f64()
            );
        }
    }
}
