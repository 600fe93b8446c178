//! Exchange rates from CurrencyFreaks (the loopback fake): cache, history,
//! the plan's limits and every fault.

use std::process::Output;

use chrono::{NaiveDate, Utc};

use crate::support::currencyfreaks_fake::{CurrencyFreaksFake, RatesFault};
use crate::support::{Workspace, describe};

const NOV_16: &[(&str, &str)] = &[
    ("SGD", "1.3301"),
    ("EUR", "0.9302"),
    ("GBP", "0.79"),
    ("JPY", "153.1"),
    ("AUD", "1.52"),
    ("INR", "84.1"),
    ("MYR", "4.45"),
];
const NOV_23: &[(&str, &str)] = &[
    ("SGD", "1.3384"),
    ("EUR", "0.9340084415835656"),
    ("GBP", "0.79612"),
    ("JPY", "154.2365"),
    ("AUD", "1.53981"),
    ("INR", "84.42905"),
    ("MYR", "4.47250"),
];

fn date(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

fn run(
    workspace: &Workspace,
    fake: &CurrencyFreaksFake,
    args: &[&str],
    vars: &[(&str, &str)],
) -> Output {
    let mut command = workspace.command(args);
    command.envs(fake.env());
    command.envs(vars.iter().copied());
    command.output().expect("run pipeline-pulse")
}

fn weekly(
    workspace: &Workspace,
    fake: &CurrencyFreaksFake,
    as_of: &str,
    vars: &[(&str, &str)],
) -> Output {
    run(
        workspace,
        fake,
        &[
            "--run-once",
            "weekly-pipeline",
            "--as-of",
            as_of,
            "--no-email",
            "--force",
        ],
        vars,
    )
}

/// Every stored rate, as text.
fn stored_rates(workspace: &Workspace) -> Vec<(String, String, String, String)> {
    workspace.database(async |db| {
        sqlx::query_as(
            "SELECT rates_date, source, currency, rate FROM exchange_rates ORDER BY 1, 2, 3",
        )
        .fetch_all(db)
        .await
        .expect("read rates")
    })
}

fn summary_value(workspace: &Workspace, metric: &str) -> String {
    let csv = workspace.read("out/bucket/pipeline-pulse/weekly-pipeline/latest/summary.csv");
    String::from_utf8_lossy(&csv)
        .lines()
        .find_map(|line| {
            let mut cells = line.splitn(2, ',');
            (cells.next() == Some(metric)).then(|| cells.next().unwrap_or_default().to_owned())
        })
        .unwrap_or_else(|| panic!("no {metric} in summary.csv"))
}

#[test]
fn a_cached_set_makes_no_call_and_an_expired_one_exactly_one() {
    let fake = CurrencyFreaksFake::start();
    fake.set_rates(Utc::now().date_naive(), NOV_23);
    let workspace = Workspace::new();
    let first = run(&workspace, &fake, &["--run-once", "refresh-rates"], &[]);
    assert_eq!(first.status.code(), Some(0), "{}", describe(&first));
    assert_eq!(fake.calls(), 1);
    let cached = run(&workspace, &fake, &["--run-once", "refresh-rates"], &[]);
    assert_eq!(cached.status.code(), Some(0), "{}", describe(&cached));
    assert_eq!(
        fake.calls(),
        1,
        "a set younger than CURRENCY_CACHE_DAYS is reused"
    );
    assert!(String::from_utf8_lossy(&cached.stdout).contains("(stored)"));
    let expired = run(
        &workspace,
        &fake,
        &["--run-once", "refresh-rates"],
        &[("CURRENCY_CACHE_DAYS", "0")],
    );
    assert_eq!(expired.status.code(), Some(0), "{}", describe(&expired));
    assert_eq!(fake.calls(), 2, "an expired set costs exactly one call");
}

#[test]
fn a_past_as_of_uses_that_dates_rates_and_reruns_identically() {
    let fake = CurrencyFreaksFake::start();
    fake.set_rates(date("2026-11-16"), NOV_16);
    fake.set_rates(date("2026-11-23"), NOV_23);
    let workspace = Workspace::new();
    let first = weekly(&workspace, &fake, "2026-11-23", &[]);
    assert_eq!(first.status.code(), Some(3), "{}", describe(&first));
    assert_eq!(summary_value(&workspace, "rates_date"), "2026-11-23,date");
    let deals = workspace.read("out/bucket/pipeline-pulse/weekly-pipeline/latest/deals.csv");
    let by_currency =
        workspace.read("out/bucket/pipeline-pulse/weekly-pipeline/latest/by_currency.csv");
    assert!(
        String::from_utf8_lossy(&by_currency)
            .contains("EUR,62,62,7873355.34,1.432963494131603676554989744,"),
        "{}",
        String::from_utf8_lossy(&by_currency)
    );

    // A deal with no rate is kept, flagged and left out of every total,
    // and the summary says how many are.
    let mut reader = csv::Reader::from_reader(&deals[..]);
    let headers = reader.headers().expect("header").clone();
    let column = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let (base, problems) = (column("amount_base"), column("problems"));
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let excluded = rows.iter().filter(|r| r[base].is_empty()).count();
    assert!(
        rows.iter()
            .any(|r| r[base].is_empty() && r[problems].contains("missing_rate"))
    );
    assert_eq!(
        summary_value(&workspace, "deals_excluded_from_totals"),
        format!("{excluded},count")
    );

    // The 16th in between, then the 23rd again: its stored set, no call.
    let between = weekly(&workspace, &fake, "2026-11-16", &[]);
    assert_eq!(between.status.code(), Some(3), "{}", describe(&between));
    assert_eq!(summary_value(&workspace, "rates_date"), "2026-11-16,date");
    let calls = fake.calls();
    let again = weekly(&workspace, &fake, "2026-11-23", &[]);
    assert_eq!(again.status.code(), Some(3), "{}", describe(&again));
    assert_eq!(fake.calls(), calls);
    assert_eq!(
        workspace.read("out/bucket/pipeline-pulse/weekly-pipeline/latest/deals.csv"),
        deals,
        "a rerun reproduces the same amounts"
    );
}

#[test]
fn without_historical_rates_the_nearest_earlier_set_stands_in_and_says_so() {
    let fake = CurrencyFreaksFake::start();
    fake.set_rates(date("2026-11-16"), NOV_16);
    fake.set_rates(date("2026-11-23"), NOV_23);
    let workspace = Workspace::new();
    fake.allow_historical(false);
    let nothing_stored = weekly(&workspace, &fake, "2026-11-16", &[]);
    assert_eq!(
        nothing_stored.status.code(),
        Some(1),
        "{}",
        describe(&nothing_stored)
    );
    let stderr = String::from_utf8_lossy(&nothing_stored.stderr);
    assert!(
        stderr.contains("HTTP 403") && stderr.contains("historical rates need a paid plan"),
        "{stderr}"
    );

    fake.allow_historical(true);
    let stored = weekly(&workspace, &fake, "2026-11-16", &[]);
    assert_eq!(stored.status.code(), Some(3), "{}", describe(&stored));
    fake.allow_historical(false);
    let substituted = weekly(&workspace, &fake, "2026-11-23", &[]);
    assert_eq!(
        substituted.status.code(),
        Some(3),
        "{}",
        describe(&substituted)
    );
    assert!(
        String::from_utf8_lossy(&substituted.stdout)
            .contains("nearest earlier stored set, of 2026-11-16"),
        "{}",
        describe(&substituted)
    );
    assert_eq!(summary_value(&workspace, "rates_date"), "2026-11-16,date");
    assert!(
        summary_value(&workspace, "rates_source").contains("historical rates are not on the plan")
    );
}

#[test]
fn every_fault_gives_a_clear_error_and_leaves_stored_rates_untouched() {
    let cases: [(RatesFault, &str); 5] = [
        (RatesFault::Unauthorized, "HTTP 401"),
        (RatesFault::QuotaExceeded, "quota"),
        (RatesFault::ServerError, "HTTP 500"),
        (RatesFault::Html, "HTTP 502"),
        (RatesFault::Truncated, "not a rates response"),
    ];
    for (fault, expected) in cases {
        let fake = CurrencyFreaksFake::start();
        fake.set_rates(Utc::now().date_naive(), NOV_23);
        let workspace = Workspace::new();
        let first = run(&workspace, &fake, &["--run-once", "refresh-rates"], &[]);
        assert_eq!(first.status.code(), Some(0), "{}", describe(&first));
        let before = stored_rates(&workspace);
        fake.set_rates(Utc::now().date_naive(), NOV_16);
        for _ in 0..2 {
            fake.push_fault(fault);
        }
        let output = run(
            &workspace,
            &fake,
            &["--run-once", "refresh-rates"],
            &[("CURRENCY_CACHE_DAYS", "0"), ("SYNC_MAX_RETRIES", "1")],
        );
        assert_eq!(
            output.status.code(),
            Some(1),
            "{fault:?}: {}",
            describe(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{fault:?}: {stderr}");
        assert!(
            !stderr.contains("cf-test-key"),
            "the key is never printed: {stderr}"
        );
        assert_eq!(stored_rates(&workspace), before, "{fault:?}");
    }

    // One transient fault is retried and the run succeeds.
    let fake = CurrencyFreaksFake::start();
    fake.set_rates(Utc::now().date_naive(), NOV_23);
    fake.push_fault(RatesFault::ServerError);
    let workspace = Workspace::new();
    let output = run(&workspace, &fake, &["--run-once", "refresh-rates"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(fake.calls(), 2);
}
