//! The weekly pipeline end to end on the embedded defaults.

use std::collections::BTreeMap;
use std::process::Command;

use rust_decimal::Decimal;

use crate::support::{Workspace, describe, postgres_url};

const WEEK: &str = "out/bucket/pipeline-pulse/weekly-pipeline/2026/W47";
const CSVS: [&str; 11] = [
    "by_close_month.csv",
    "by_currency.csv",
    "by_owner.csv",
    "by_stage.csv",
    "data_quality.csv",
    "deals.csv",
    "movement.csv",
    "slipped.csv",
    "stale.csv",
    "summary.csv",
    "top_deals.csv",
];

fn run_weekly(
    workspace: &Workspace,
    extra: &[&str],
    vars: &[(&str, &str)],
) -> std::process::Output {
    let mut args = vec!["--run-once", "weekly-pipeline", "--as-of", "2026-11-23"];
    args.extend_from_slice(extra);
    workspace.run(&args, vars)
}

fn records(csv: &[u8]) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv);
    let headers = reader.headers().expect("header row").clone();
    reader
        .records()
        .map(|r| {
            let record = r.expect("csv record");
            headers
                .iter()
                .map(str::to_owned)
                .zip(record.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn decimal(text: &str) -> Decimal {
    text.parse()
        .unwrap_or_else(|_| panic!("`{text}` is not a decimal"))
}

#[test]
fn the_weekly_pipeline_publishes_pdf_csvs_manifest_and_email() {
    let workspace = Workspace::new();
    let output = run_weekly(&workspace, &[], &[]);
    // The sample holds deliberately bad records: exit 3 and say why.
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout
            .contains("warning: data warnings: 1 invalid_amount, 2 missing_rate, 1 unknown_stage"),
        "{stdout}"
    );

    let mut expected: Vec<&str> = CSVS
        .iter()
        .copied()
        .chain(["manifest.json", "pipeline-summary.pdf"])
        .collect();
    expected.sort_unstable();
    assert_eq!(workspace.files_in(WEEK), expected);
    assert_eq!(
        workspace.files_in("out/bucket/pipeline-pulse/weekly-pipeline/latest"),
        expected
    );

    let manifest: serde_json::Value =
        serde_json::from_slice(&workspace.read(&format!("{WEEK}/manifest.json")))
            .expect("manifest is JSON");
    assert_eq!(manifest["period"]["label"], "2026-W47");
    assert_eq!(manifest["rates"]["date"], "2026-11-23");
    assert_eq!(manifest["sample_data"], true);
    let files = manifest["files"].as_array().expect("files");
    assert_eq!(files.len(), CSVS.len() + 1, "every CSV and the PDF");
    for file in files {
        let name = file["name"].as_str().expect("name");
        let bytes = workspace.read(&format!("{WEEK}/{name}"));
        use sha2::Digest;
        assert_eq!(
            file["sha256"],
            hex::encode(sha2::Sha256::digest(&bytes)),
            "{name}"
        );
        assert_eq!(file["bytes"], bytes.len(), "{name}");
    }
    assert_eq!(
        files
            .iter()
            .find(|f| f["name"] == "deals.csv")
            .expect("deals")["rows"],
        460
    );

    let pdf = workspace.join(&format!("{WEEK}/pipeline-summary.pdf"));
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let text = String::from_utf8_lossy(&text.stdout);
    for expected in [
        "Weekly pipeline summary",
        "SAMPLE DATA",
        "Negotiation/Review",
        "Verbal Commit",
        "2026-W47",
        "page 1 of ",
    ] {
        assert!(text.contains(expected), "PDF lacks `{expected}`:\n{text}");
    }
    let summary = records(&workspace.read(&format!("{WEEK}/summary.csv")));
    let open_amount = &summary
        .iter()
        .find(|r| r["metric"] == "open_amount")
        .expect("open_amount")["value"];
    let grouped = pipeline_pulse::render::format::grouped(decimal(open_amount), 2);
    assert!(
        text.contains(&grouped),
        "PDF lacks the open amount {grouped}"
    );

    let outbox = workspace.files_in("out/outbox");
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    let eml =
        String::from_utf8_lossy(&workspace.read(&format!("out/outbox/{}", outbox[0]))).into_owned();
    assert!(
        eml.contains("Subject: [SAMPLE DATA] Weekly pipeline 2026-W47"),
        "{eml}"
    );
    assert!(eml.contains("To: Leadership <leadership@example.com>"));
    assert!(eml.contains("Content-Type: application/pdf"));
    assert!(eml.contains("filename=\"pipeline-summary.pdf\""));
    assert!(eml.contains("Content-Type: text/html") && eml.contains("Content-Type: text/plain"));
}

#[test]
fn totals_tie_exactly_to_the_per_deal_amounts() {
    let workspace = Workspace::new();
    run_weekly(&workspace, &["--dry-run"], &[]);
    let dir = "out/dry-run/weekly-pipeline/2026-W47";
    let deals = records(&workspace.read(&format!("{dir}/deals.csv")));
    let summary: BTreeMap<String, String> = records(&workspace.read(&format!("{dir}/summary.csv")))
        .into_iter()
        .map(|r| (r["metric"].clone(), r["value"].clone()))
        .collect();
    let open: Vec<_> = deals
        .iter()
        .filter(|d| d["stage_class"] == "open")
        .collect();
    let sum = |rows: &[&BTreeMap<String, String>], column: &str| -> Decimal {
        rows.iter()
            .filter(|d| !d[column].is_empty())
            .map(|d| decimal(&d[column]))
            .sum()
    };
    assert_eq!(sum(&open, "amount_base"), decimal(&summary["open_amount"]));
    assert_eq!(
        sum(&open, "weighted_base"),
        decimal(&summary["weighted_amount"])
    );
    assert_eq!(open.len().to_string(), summary["open_count"]);
    let by_stage = records(&workspace.read(&format!("{dir}/by_stage.csv")));
    let stage_total: Decimal = by_stage.iter().map(|r| decimal(&r["amount"])).sum();
    assert_eq!(stage_total, decimal(&summary["open_amount"]));
    // Every amount has exactly the base currency's two decimals.
    for deal in &deals {
        let amount = &deal["amount_base"];
        assert!(
            amount.is_empty() || amount.split('.').nth(1).map(str::len) == Some(2),
            "{amount}"
        );
    }
    // Deals without a base amount still count, and say why.
    let vnd: Vec<_> = deals.iter().filter(|d| d["currency"] == "VND").collect();
    assert_eq!(vnd.len(), 2);
    assert!(
        vnd.iter()
            .all(|d| d["amount_base"].is_empty() && d["problems"].contains("missing_rate"))
    );
}

#[test]
fn reruns_for_the_same_date_give_byte_identical_csvs() {
    let first = Workspace::new();
    run_weekly(&first, &[], &[]);
    let before: Vec<Vec<u8>> = CSVS
        .iter()
        .map(|f| first.read(&format!("{WEEK}/{f}")))
        .collect();
    let again = run_weekly(&first, &[], &[]);
    assert_eq!(again.status.code(), Some(3), "{}", describe(&again));
    let fresh = Workspace::new();
    run_weekly(&fresh, &[], &[]);
    for (file, bytes) in CSVS.iter().zip(&before) {
        assert_eq!(
            &first.read(&format!("{WEEK}/{file}")),
            bytes,
            "{file} changed on a rerun"
        );
        assert_eq!(
            &fresh.read(&format!("{WEEK}/{file}")),
            bytes,
            "{file} differs in a fresh database"
        );
    }
}

#[test]
fn a_delivered_period_is_not_emailed_again_unless_forced() {
    let workspace = Workspace::new();
    run_weekly(&workspace, &[], &[]);
    let second = run_weekly(&workspace, &[], &[]);
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("already delivered"),
        "{}",
        describe(&second)
    );
    assert_eq!(workspace.files_in("out/outbox").len(), 1);
    run_weekly(&workspace, &["--force"], &[]);
    assert_eq!(workspace.files_in("out/outbox").len(), 2);
    run_weekly(&workspace, &["--no-email", "--force"], &[]);
    assert_eq!(workspace.files_in("out/outbox").len(), 2);
}

#[test]
fn a_dry_run_writes_locally_and_publishes_nothing() {
    let workspace = Workspace::new();
    let output = run_weekly(&workspace, &["--dry-run"], &[]);
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    assert!(workspace.files_in("out/bucket").is_empty());
    assert!(workspace.files_in("out/outbox").is_empty());
    assert_eq!(
        workspace
            .files_in("out/dry-run/weekly-pipeline/2026-W47")
            .len(),
        CSVS.len() + 2,
        "every CSV, the PDF and the manifest"
    );
}

#[tokio::test]
async fn postgres_and_sqlite_give_the_same_report() {
    let url = postgres_url().await;
    let on_postgres = Workspace::new();
    let output = run_weekly(&on_postgres, &[], &[("DATABASE_URL", &url)]);
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let on_sqlite = Workspace::new();
    run_weekly(&on_sqlite, &[], &[]);
    for file in CSVS {
        let path = format!("{WEEK}/{file}");
        assert_eq!(on_postgres.read(&path), on_sqlite.read(&path), "{file}");
    }
    let runs = on_postgres.run(&["runs"], &[("DATABASE_URL", &url)]);
    assert!(
        String::from_utf8_lossy(&runs.stdout).contains("weekly-pipeline"),
        "{}",
        describe(&runs)
    );
}

#[test]
fn a_report_on_stale_data_fails_or_warns_as_the_job_says() {
    let workspace = Workspace::new();
    let shipped =
        String::from_utf8_lossy(&workspace.read("jobs/weekly-pipeline.toml")).into_owned();
    let job = |on_stale: &str| {
        shipped.replace(
            "steps = [\"sync\", \"rates\", \"report\"]",
            "steps = [\"rates\", \"report\"]",
        ) + &format!("\n[freshness]\nmax_sync_age_minutes = 60\non_stale = \"{on_stale}\"\n")
    };
    let original = job("fail");
    assert!(
        original.contains("steps = [\"rates\", \"report\"]"),
        "{original}"
    );
    workspace.write("jobs/weekly-pipeline.toml", &original);
    let refused = run_weekly(&workspace, &[], &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", describe(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("no sync has ever finished"),
        "{}",
        describe(&refused)
    );
    assert!(
        workspace.files_in("out/outbox").is_empty(),
        "nothing published"
    );

    workspace.write("jobs/weekly-pipeline.toml", &job("warn"));
    let warned = run_weekly(&workspace, &[], &[]);
    assert_eq!(warned.status.code(), Some(3), "{}", describe(&warned));
    let outbox = workspace.files_in("out/outbox");
    assert_eq!(outbox.len(), 1);
    let email =
        String::from_utf8_lossy(&workspace.read(&format!("out/outbox/{}", outbox[0]))).into_owned();
    assert!(email.contains("[STALE DATA]"), "the subject says so");

    let synced = workspace.run(&["--run-once", "sync-deals"], &[]);
    assert_eq!(synced.status.code(), Some(0), "{}", describe(&synced));
    workspace.write("jobs/weekly-pipeline.toml", &original);
    let fresh = run_weekly(&workspace, &["--force"], &[]);
    assert_eq!(
        fresh.status.code(),
        Some(3),
        "fresh data, only the sample's warnings: {}",
        describe(&fresh)
    );
    assert!(!String::from_utf8_lossy(&fresh.stdout).contains("stale data"));
}

#[test]
fn csv_text_is_safe_in_spreadsheets_and_a_bom_is_written_on_request() {
    let workspace = Workspace::new();
    let output = run_weekly(&workspace, &["--no-email"], &[]);
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let deals = workspace.read(&format!("{WEEK}/deals.csv"));
    let text = String::from_utf8_lossy(&deals);
    assert!(
        !deals.starts_with("\u{feff}".as_bytes()),
        "no BOM unless asked"
    );
    assert!(
        text.contains("\"'=HYPERLINK("),
        "the sample's formula-like name is neutralised"
    );
    assert!(!text.contains(",\"=HYPERLINK(") && !text.contains(",=HYPERLINK("));

    let job = String::from_utf8_lossy(&workspace.read("jobs/weekly-pipeline.toml")).replace(
        "[publish.object_store]",
        "[publish]\ncsv_bom = true\n\n[publish.object_store]",
    );
    workspace.write("jobs/weekly-pipeline.toml", &job);
    let output = run_weekly(&workspace, &["--no-email"], &[]);
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    for file in CSVS {
        let bytes = workspace.read(&format!("{WEEK}/{file}"));
        assert!(
            bytes.starts_with("\u{feff}".as_bytes()),
            "{file} starts with a BOM"
        );
    }
}
