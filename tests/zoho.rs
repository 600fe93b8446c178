//! The Zoho source against the fake: paging past both limits, incremental
//! sync with deletions, every fault, a killed sync, and `zoho auth`.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};

use crate::support::zoho_fake::{Fault, GRANT_CODE, REFRESH_TOKEN, Target, ZohoFake};
use crate::support::{Workspace, describe};

fn with_fake(workspace: &Workspace, fake: &ZohoFake, args: &[&str]) -> Command {
    let mut command = workspace.command(args);
    for (key, value) in fake.env() {
        command.env(key, value);
    }
    command
}

fn sync(workspace: &Workspace, fake: &ZohoFake, vars: &[(&str, &str)]) -> Output {
    let mut command = with_fake(workspace, fake, &["--run-once", "sync-deals"]);
    command.envs(vars.iter().copied());
    command.output().expect("run a sync")
}

/// Every stored deal as (id, fingerprint, deleted), and the version count.
type Table = (Vec<(String, String, bool)>, i64);

fn stored(workspace: &Workspace) -> Table {
    workspace.database(async |db| {
        let deals: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT id, fingerprint, deleted_at FROM deals ORDER BY id")
                .fetch_all(&mut *db)
                .await
                .expect("read deals");
        let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deal_versions")
            .fetch_one(&mut *db)
            .await
            .expect("count versions");
        (
            deals
                .into_iter()
                .map(|(id, print, deleted)| (id, print, deleted.is_some()))
                .collect(),
            versions,
        )
    })
}

fn live_ids(table: &Table) -> Vec<String> {
    table
        .0
        .iter()
        .filter(|(_, _, deleted)| !deleted)
        .map(|(id, _, _)| id.clone())
        .collect()
}

#[test]
fn a_full_sync_pages_past_the_2000_and_100000_record_limits() {
    let fake = ZohoFake::start();
    fake.add_deals(250_000);
    let workspace = Workspace::new();
    // A chain start sorts 250,000 deals in the fake: on a loaded machine
    // that can take longer than the suite's short timeout.
    let output = sync(
        &workspace,
        &fake,
        &[
            ("API_RATE_LIMIT_PER_HOUR", "100000"),
            ("HTTP_TIMEOUT_SECS", "60"),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let table = stored(&workspace);
    assert_eq!(table.0.len(), 250_000);
    assert_eq!(live_ids(&table), fake.live_ids());
    assert_eq!(table.1, 250_000, "one version per deal");
    let stats = fake.stats();
    // Two restarts past the 100,000-record token limit, each re-reading the
    // page that holds the second it starts at.
    assert!((1250..=1253).contains(&stats.record_requests), "{stats:?}");
    assert_eq!(stats.tokens_issued, 1, "{stats:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("250000 new"), "{stdout}");
}

#[test]
fn an_incremental_sync_applies_exactly_37_changes_and_5_deletions() {
    let fake = ZohoFake::start();
    fake.add_deals(1_000);
    let workspace = Workspace::new();
    let first = sync(&workspace, &fake, &[]);
    assert_eq!(first.status.code(), Some(0), "{}", describe(&first));
    let before = stored(&workspace);
    assert_eq!(before.0.len(), 1_000);

    let now = Utc
        .with_ymd_and_hms(2026, 11, 25, 9, 0, 0)
        .single()
        .expect("time");
    fake.modify(0..37, now);
    fake.delete(500..505, now);
    let calls_before = fake.stats();
    let second = sync(&workspace, &fake, &[]);
    assert_eq!(second.status.code(), Some(0), "{}", describe(&second));
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(stdout.contains("0 new, 37 changed, 5 deleted"), "{stdout}");

    let after = stored(&workspace);
    assert_eq!(
        after.0.len(),
        1_000,
        "deleted deals are kept, marked deleted"
    );
    assert_eq!(live_ids(&after), fake.live_ids());
    assert_eq!(after.1, 1_000 + 37, "a new version per changed deal only");
    let changed = before
        .0
        .iter()
        .zip(&after.0)
        .filter(|(old, new)| old.1 != new.1)
        .count();
    assert_eq!(changed, 37);

    let stats = fake.stats();
    let calls = (stats.token_requests - calls_before.token_requests)
        + (stats.record_requests - calls_before.record_requests)
        + (stats.deleted_requests - calls_before.deleted_requests);
    assert!(calls <= 3, "an incremental sync took {calls} calls");
    assert_eq!(
        stats.token_requests, calls_before.token_requests,
        "the access token is reused from the database"
    );

    let runs = workspace.run(&["runs", "--limit", "1"], &[]);
    let latest = String::from_utf8_lossy(&runs.stdout)
        .lines()
        .nth(1)
        .map(str::to_owned);
    let api_column = latest
        .as_deref()
        .and_then(|line| line.split_whitespace().nth(7))
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        api_column,
        calls.to_string(),
        "API calls recorded with the run: {latest:?}"
    );

    let unchanged = sync(&workspace, &fake, &[]);
    assert_eq!(unchanged.status.code(), Some(0), "{}", describe(&unchanged));
    assert_eq!(
        stored(&workspace),
        after,
        "nothing changed, nothing written"
    );

    workspace.write(
        "jobs/full-sync.toml",
        "name = \"full-sync\"\ncron = \"0 0 3 * * Sun\"\ntimezone = \"UTC\"\nsteps = [\"sync\"]\n\n[sync]\nmode = \"full\"\n",
    );
    let full = with_fake(&workspace, &fake, &["--run-once", "full-sync"])
        .output()
        .expect("run a full sync");
    assert_eq!(full.status.code(), Some(0), "{}", describe(&full));
    let stdout = String::from_utf8_lossy(&full.stdout);
    assert!(
        stdout.contains("995 records read"),
        "a full sync reads every live deal: {stdout}"
    );
    assert_eq!(
        stored(&workspace),
        after,
        "and changes nothing that is current"
    );
}

#[test]
fn every_fault_is_survived_without_loss_or_duplicates() {
    let faults = [
        (Target::Data, Fault::TooManyRequests(Some(1))),
        (Target::Data, Fault::TooManyRequests(None)),
        (Target::Data, Fault::InvalidToken),
        (Target::Data, Fault::ServerError),
        (Target::Data, Fault::Html),
        (Target::Data, Fault::TruncatedJson),
        (Target::Data, Fault::Stall(Duration::from_secs(4))),
        (Target::Token, Fault::TokenThrottled),
        (Target::Token, Fault::Stall(Duration::from_secs(4))),
    ];
    for (target, fault) in faults {
        let fake = ZohoFake::start();
        fake.add_deals(1_000);
        // The third data call is the second page of records: the fault
        // lands in the middle of a page-token chain.
        let after = if target == Target::Data { 2 } else { 0 };
        fake.push_fault_after(target, after, fault.clone());
        let workspace = Workspace::new();
        let output = sync(&workspace, &fake, &[]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{fault:?}: {}",
            describe(&output)
        );
        assert_eq!(fake.stats().faults_served, 1, "{fault:?}");
        let table = stored(&workspace);
        assert_eq!(table.0.len(), 1_000, "{fault:?}");
        assert_eq!(table.1, 1_000, "{fault:?}");
        assert_eq!(live_ids(&table), fake.live_ids(), "{fault:?}");
    }
}

#[test]
fn a_fault_that_outlasts_the_retries_fails_the_run_and_says_what_to_do() {
    let fake = ZohoFake::start();
    fake.add_deals(500);
    // The first page of records, and every retry of it, fails.
    fake.push_fault_after(Target::Data, 1, Fault::ServerError);
    for _ in 0..4 {
        fake.push_fault_after(Target::Data, 0, Fault::ServerError);
    }
    let workspace = Workspace::new();
    let output = sync(&workspace, &fake, &[("SYNC_MAX_RETRIES", "2")]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "GET /crm/v8/Deals",
        "HTTP 500 INTERNAL_ERROR",
        "after 3 attempts",
        "SYNC_MAX_RETRIES",
    ] {
        assert!(stderr.contains(expected), "missing `{expected}`:\n{stderr}");
    }
    let runs = workspace.run(&["runs"], &[]);
    assert!(String::from_utf8_lossy(&runs.stdout).contains("failed"));
}

#[test]
fn a_sync_killed_mid_way_and_rerun_gives_the_same_table() {
    let fake = ZohoFake::start();
    fake.add_deals(20_000);
    let reference = Workspace::new();
    let output = sync(&reference, &fake, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let expected = stored(&reference);

    fake.set_latency(Duration::from_millis(20));
    let workspace = Workspace::new();
    let mut child = with_fake(&workspace, &fake, &["--run-once", "sync-deals"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a sync");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let partial = workspace.join("data/pipeline-pulse.db").exists()
            && stored(&workspace).0.len() >= 4_000;
        if partial {
            break;
        }
        assert!(Instant::now() < deadline, "the sync made no progress");
        assert!(
            child.try_wait().expect("poll").is_none(),
            "the sync ended before it was killed"
        );
    }
    child.kill().expect("kill the sync");
    child.wait().expect("reap the sync");
    let partial = stored(&workspace);
    assert!(
        partial.0.len() < 20_000,
        "killed too late to prove anything"
    );

    fake.set_latency(Duration::ZERO);
    let rerun = sync(&workspace, &fake, &[]);
    assert_eq!(rerun.status.code(), Some(0), "{}", describe(&rerun));
    assert_eq!(stored(&workspace), expected);
}

#[test]
fn zoho_auth_stores_the_refresh_token_without_printing_it() {
    let fake = ZohoFake::start();
    fake.add_deals(10);
    let workspace = Workspace::new();
    let run = |args: &[&str]| {
        with_fake(&workspace, &fake, args)
            .env_remove("ZOHO_REFRESH_TOKEN")
            .output()
            .expect("run")
    };
    let missing = run(&["--run-once", "sync-deals"]);
    assert_eq!(missing.status.code(), Some(1), "{}", describe(&missing));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("zoho auth --grant-code"),
        "{}",
        describe(&missing)
    );

    let auth = run(&["zoho", "auth", "--grant-code", GRANT_CODE]);
    assert_eq!(auth.status.code(), Some(0), "{}", describe(&auth));
    let all = describe(&auth);
    assert!(
        !all.contains("1000.refresh-") && !all.contains("1000.access-"),
        "{all}"
    );

    let synced = run(&["--run-once", "sync-deals"]);
    assert_eq!(synced.status.code(), Some(0), "{}", describe(&synced));
    assert_eq!(stored(&workspace).0.len(), 10);

    let reused = run(&["zoho", "auth", "--grant-code", GRANT_CODE]);
    assert_eq!(reused.status.code(), Some(1), "{}", describe(&reused));
    let stderr = String::from_utf8_lossy(&reused.stderr);
    assert!(
        stderr.contains("invalid_code") && stderr.contains("ZOHO_REGION"),
        "{stderr}"
    );
    assert!(!stderr.contains(REFRESH_TOKEN));
}

#[test]
fn the_weekly_pipeline_runs_on_zoho_by_configuration_alone() {
    let fake = ZohoFake::start();
    fake.add_deals(600);
    let workspace = Workspace::new();
    let output = with_fake(
        &workspace,
        &fake,
        &["--run-once", "weekly-pipeline", "--as-of", "2026-11-23"],
    )
    .output()
    .expect("run the weekly pipeline");
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "{}",
        describe(&output)
    );
    let outbox = workspace.files_in("out/outbox");
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    let email =
        String::from_utf8_lossy(&workspace.read(&format!("out/outbox/{}", outbox[0]))).into_owned();
    assert!(
        !email.contains("SAMPLE DATA"),
        "a Zoho report is not sample data"
    );
    let deals = workspace.read("out/bucket/pipeline-pulse/weekly-pipeline/latest/deals.csv");
    assert_eq!(
        String::from_utf8_lossy(&deals).lines().count(),
        601,
        "a header and one row per deal"
    );
}
