//! `serve`: jobs fire on their cron, and SIGTERM stops the worker cleanly.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{Workspace, describe};

#[test]
fn serve_runs_a_job_on_its_cron_and_stops_on_sigterm() {
    let workspace = Workspace::new();
    workspace.write(
        "jobs/every-second.toml",
        r#"
name = "every-second"
cron = "* * * * * *"
timezone = "Europe/London"
steps = ["rates"]
"#,
    );
    let mut worker = workspace
        .command(&["serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");

    // Generous: the suite runs many binaries at once on small machines.
    let deadline = Instant::now() + Duration::from_secs(90);
    let history = loop {
        let runs = workspace.run(&["runs", "--job", "every-second"], &[]);
        let stdout = String::from_utf8_lossy(&runs.stdout).into_owned();
        if stdout.contains("succeeded") {
            break stdout;
        }
        assert!(
            Instant::now() < deadline,
            "no scheduled run within 90 s:\n{}",
            describe(&runs)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(history.contains("every-second"), "{history}");

    let status = std::process::Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let exit = loop {
        if let Some(exit) = worker.try_wait().expect("wait for serve") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop within 60 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = worker.wait_with_output().expect("serve output");
    assert_eq!(exit.code(), Some(0), "{}", describe(&output));

    let after = workspace.run(&["runs", "--job", "every-second"], &[]);
    let after = String::from_utf8_lossy(&after.stdout);
    assert!(
        !after.contains("running"),
        "a run was left running:\n{after}"
    );
}

#[test]
fn sigterm_during_a_run_leaves_it_finished_or_interrupted_never_running() {
    let workspace = Workspace::new();
    let weekly = String::from_utf8_lossy(&workspace.read("jobs/weekly-pipeline.toml"))
        .replace("name = \"weekly-pipeline\"", "name = \"busy\"")
        .replace("cron = \"0 0 7 * * Mon\"", "cron = \"* * * * * *\"");
    workspace.write("jobs/busy.toml", &weekly);
    let mut worker = workspace
        .command(&["serve"])
        .env("SHUTDOWN_GRACE_SECS", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    // Runs follow each other back to back, so once one has finished the
    // next is going (or about to start) when SIGTERM arrives.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let runs = workspace.run(&["runs", "--job", "busy"], &[]);
        if String::from_utf8_lossy(&runs.stdout).contains("warnings") {
            break;
        }
        assert!(Instant::now() < deadline, "no run finished within 90 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(status.success());
    let output = loop {
        if worker.try_wait().expect("wait").is_some() {
            break worker.wait_with_output().expect("serve output");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let runs = workspace.run(&["runs", "--job", "busy"], &[]);
    let runs = String::from_utf8_lossy(&runs.stdout);
    assert!(!runs.contains("running"), "{runs}");
    assert!(
        runs.contains("interrupted") || runs.contains("warnings") || runs.contains("succeeded"),
        "{runs}"
    );
}
