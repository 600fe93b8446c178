//! The command line: exit codes, error messages, run history.

use crate::support::{Workspace, describe};

#[test]
fn validate_passes_on_the_shipped_configuration() {
    let workspace = Workspace::new();
    let output = workspace.run(&["jobs", "validate"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("3 jobs, 1 report definitions"));
}

#[test]
fn validate_prints_every_error_with_its_file_and_key() {
    let workspace = Workspace::new();
    workspace.write(
        "jobs/weekly-pipeline.toml",
        r#"
name = "weekly-pipeline"
crom = "0 0 7 * * Mon"
cron = "0 0 7 * *"
timezone = "Asia/Singapur"
steps = ["sync", "report"]
report = "pipeline-sumary"

[publish.email]
to = ["not an address"]
from = "Pipeline Pulse <pulse@example.com>"
atach_csv = true
"#,
    );
    workspace.write(
        "reports/pipeline-summary.toml",
        &String::from_utf8_lossy(&workspace.read("reports/pipeline-summary.toml"))
            .replace("win_rate_days = 90", "win_rate_days = 90\nstale_dayz = 30"),
    );
    let output = workspace.run(&["jobs", "validate"], &[("BASE_CURRENCY", "SGDX")]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "BASE_CURRENCY: `SGDX` is not an ISO 4217 currency code",
        "reports/pipeline-summary.toml: windows.stale_dayz: unknown key",
        "jobs/weekly-pipeline.toml: crom: unknown key",
        "jobs/weekly-pipeline.toml: publish.email.atach_csv: unknown key",
        "jobs/weekly-pipeline.toml: cron: `0 0 7 * *` is not a cron expression",
        "jobs/weekly-pipeline.toml: timezone: `Asia/Singapur` is not an IANA timezone",
        "jobs/weekly-pipeline.toml: publish.email.to: `not an address` is not an email address",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
    assert!(stderr.contains("configuration problems"), "{stderr}");
}

#[test]
fn a_report_reference_to_a_missing_definition_is_an_error() {
    let workspace = Workspace::new();
    let job = String::from_utf8_lossy(&workspace.read("jobs/weekly-pipeline.toml")).replace(
        "report = \"pipeline-summary\"",
        "report = \"pipeline-sumary\"",
    );
    workspace.write("jobs/weekly-pipeline.toml", &job);
    let output = workspace.run(&["jobs", "validate"], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("jobs/weekly-pipeline.toml: report: no report definition `pipeline-sumary`")
    );
}

#[test]
fn an_unreachable_database_is_one_clear_line_and_exit_2() {
    let workspace = Workspace::new();
    let output = workspace.run(
        &["--run-once", "weekly-pipeline"],
        &[("DATABASE_URL", "postgres://pulse:hunter2@127.0.0.1:1/pulse")],
    );
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot open the database at postgres://pulse:***@127.0.0.1:1/pulse"),
        "{stderr}"
    );
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(
        !stderr.contains("hunter2") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let workspace = Workspace::new();
    let unknown = workspace.run(&["--run-once", "no-such-job"], &[]);
    assert_eq!(unknown.status.code(), Some(2), "{}", describe(&unknown));
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("the jobs are: refresh-rates, sync-deals, weekly-pipeline")
    );
    let bad_date = workspace.run(
        &["--run-once", "weekly-pipeline", "--as-of", "23/11/2026"],
        &[],
    );
    assert_eq!(bad_date.status.code(), Some(2), "{}", describe(&bad_date));
    let nothing = workspace.run(&[], &[]);
    assert_eq!(nothing.status.code(), Some(2), "{}", describe(&nothing));
}

#[test]
fn secrets_never_appear_in_help_or_errors() {
    let workspace = Workspace::new();
    let secret = [
        ("ZOHO_CLIENT_SECRET", "zs-very-secret"),
        ("BASE_CURRENCY", "nope"),
    ];
    for args in [&["--help"][..], &["jobs", "validate"][..]] {
        let output = workspace.run(args, &secret);
        let all = describe(&output);
        assert!(!all.contains("zs-very-secret"), "{all}");
    }
}

#[test]
fn runs_shows_the_history_with_status_and_counts() {
    let workspace = Workspace::new();
    let empty = workspace.run(&["runs"], &[]);
    assert!(
        String::from_utf8_lossy(&empty.stdout).contains("No runs recorded yet."),
        "{}",
        describe(&empty)
    );
    workspace.run(&["--run-once", "sync-deals"], &[]);
    workspace.run(
        &[
            "--run-once",
            "weekly-pipeline",
            "--as-of",
            "2026-11-23",
            "--dry-run",
        ],
        &[],
    );
    let output = workspace.run(&["runs", "--limit", "5"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[1].contains("weekly-pipeline") && lines[1].contains("warnings (dry)"),
        "{stdout}"
    );
    assert!(
        lines[2].contains("sync-deals")
            && lines[2].contains("succeeded")
            && lines[2].contains(" 460 "),
        "{stdout}"
    );
    let only_sync = workspace.run(&["runs", "--job", "sync-deals"], &[]);
    assert_eq!(
        String::from_utf8_lossy(&only_sync.stdout).lines().count(),
        2
    );
}

#[test]
fn jobs_list_shows_next_fire_times_in_the_job_timezone_and_utc() {
    let workspace = Workspace::new();
    let output = workspace.run(&["jobs", "list"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "weekly-pipeline  [sync, rates, report]  cron \"0 0 7 * * Mon\" in Asia/Singapore"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("next: Mon")
            && stdout.contains("07:00:00 +08  (")
            && stdout.contains("23:00:00 UTC)"),
        "{stdout}"
    );
}

#[test]
fn json_logs_carry_the_run_id_and_job_on_every_line_of_a_run() {
    let workspace = Workspace::new();
    let output = workspace.run(
        &["--run-once", "refresh-rates"],
        &[("LOG_FORMAT", "json"), ("LOG_LEVEL", "info")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let run_id = stdout
        .split("(run ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("the run id in the summary");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let in_run: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| line["spans"][0]["name"] == "run")
        .collect();
    assert!(in_run.len() >= 2, "{lines:?}");
    for line in in_run {
        assert_eq!(line["spans"][0]["run.id"], run_id, "{line}");
        assert_eq!(line["spans"][0]["job"], "refresh-rates", "{line}");
    }
}

#[test]
fn a_bad_report_definition_names_the_stage_and_key() {
    let workspace = Workspace::new();
    let definition = String::from_utf8_lossy(&workspace.read("reports/pipeline-summary.toml"))
        .replace(
            "name = \"Closed Lost\"\nclass = \"lost\"\nprobability = 0",
            "name = \"Closed Lost\"\nclass = \"lost\"\nprobability = 0\nforecast = \"commit\"",
        )
        .replace(
            "probability = 20\nforecast = \"pipeline\"",
            "probability = 20",
        );
    workspace.write("reports/pipeline-summary.toml", &definition);
    let output = workspace.run(&["jobs", "validate"], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "reports/pipeline-summary.toml: stages[8].forecast: `Closed Lost` is lost: lost deals are in no forecast category: remove it",
        "reports/pipeline-summary.toml: stages[1].forecast: once one stage has a forecast category, every open and won stage needs one",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }

    workspace.write(
        "reports/pipeline-summary.toml",
        &definition.replace("kind = \"slipped\"", "kind = \"slippage\""),
    );
    let output = workspace.run(&["jobs", "validate"], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("reports/pipeline-summary.toml")
            && stderr.contains("slippage")
            && stderr.contains("by_close_month"),
        "the unknown section kind and the known ones are named:\n{stderr}"
    );
}
