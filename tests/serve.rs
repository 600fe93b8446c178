//! `serve`: jobs fire on their cron, and SIGTERM stops the worker cleanly.

use std::process::Stdio;
use std::time::{Duration, Instant};

use std::io::{Read, Write};

use crate::support::{Workspace, describe};

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `GET path` on loopback: the status code and the body.
fn get(port: u16, path: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Starts `serve` with its operations endpoint on a free port, and waits
/// until `/healthz` says it is up (the database is migrated by then).
fn start_serve(workspace: &Workspace, vars: &[(&str, &str)]) -> (std::process::Child, u16) {
    let port = free_port();
    let mut worker = workspace
        .command(&["serve"])
        .env("OPS_ADDR", format!("127.0.0.1:{port}"))
        .envs(vars.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let up = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && get(port, "/healthz").0 == 200;
        if up {
            return (worker, port);
        }
        if worker.try_wait().expect("poll serve").is_some() || Instant::now() > deadline {
            let _ = worker.kill();
            let output = worker.wait_with_output().expect("serve output");
            panic!("serve did not come up:\n{}", describe(&output));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value of one sample in Prometheus text, checking every line parses.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    let mut found = None;
    for line in metrics
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, value) = line.rsplit_once(' ').expect("`series value`");
        let value: f64 = value.parse().expect("a number");
        if name == series {
            found = Some(value);
        }
    }
    assert!(metrics.trim_end().ends_with("# EOF"), "{metrics}");
    found
}

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
    let (mut worker, port) = start_serve(&workspace, &[]);

    // Generous: the suite runs many binaries at once on small machines.
    let deadline = Instant::now() + Duration::from_secs(90);
    let history = loop {
        let runs = workspace.run(&["runs", "--job", "every-second"], &[]);
        let stdout = String::from_utf8_lossy(&runs.stdout).into_owned();
        if stdout.contains("succeeded") {
            break stdout;
        }
        if Instant::now() > deadline {
            let _ = worker.kill();
            let serve = worker.wait_with_output().expect("serve output");
            panic!(
                "no scheduled run within 90 s:\n{}\nserve: {}",
                describe(&runs),
                describe(&serve)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(history.contains("every-second"), "{history}");

    assert_eq!(get(port, "/healthz"), (200, "ok\n".to_owned()));
    let series = r#"pipeline_pulse_runs_total{job="every-second",status="succeeded"}"#;
    let (status, metrics) = get(port, "/metrics");
    assert_eq!(status, 200);
    let first = sample(&metrics, series).expect("the job's run count");
    assert!(
        sample(
            &metrics,
            r#"pipeline_pulse_last_success_timestamp_seconds{job="every-second"}"#
        )
        .is_some()
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let later = sample(&get(port, "/metrics").1, series).unwrap_or(0.0);
        if later > first {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "/metrics did not change after a run"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

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
    let (mut worker, _port) = start_serve(&workspace, &[("SHUTDOWN_GRACE_SECS", "0")]);
    // Runs follow each other back to back, so once one has finished the
    // next is going (or about to start) when SIGTERM arrives.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let runs = workspace.run(&["runs", "--job", "busy"], &[]);
        if String::from_utf8_lossy(&runs.stdout).contains("warnings") {
            break;
        }
        if Instant::now() > deadline {
            let _ = worker.kill();
            let serve = worker.wait_with_output().expect("serve output");
            panic!("no run finished within 90 s:\n{}", describe(&serve));
        }
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

/// (claims, distinct ticks claimed, runs) of a job, and when the last run
/// started, from the shared PostgreSQL schema.
fn tick_counts(url: &str, job: &str) -> (i64, i64, i64) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let mut db = <sqlx::PgConnection as sqlx::Connection>::connect(url)
                .await
                .expect("connect");
            let (claims, ticks): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COUNT(DISTINCT tick_at) FROM tick_claims WHERE job = $1",
            )
            .bind(job)
            .fetch_one(&mut db)
            .await
            .expect("count claims");
            let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM job_runs WHERE job = $1")
                .bind(job)
                .fetch_one(&mut db)
                .await
                .expect("count runs");
            (claims, ticks, runs)
        })
}

fn stop(worker: std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(status.success());
    let output = worker.wait_with_output().expect("serve output");
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

#[test]
fn two_replicas_on_postgresql_run_each_tick_once_and_survive_a_dead_holder() {
    let url = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(crate::support::postgres_url());
    let workspace = Workspace::new();
    workspace.write(
        "jobs/every-second.toml",
        "name = \"every-second\"\ncron = \"* * * * * *\"\ntimezone = \"America/New_York\"\nsteps = [\"rates\"]\n",
    );
    let vars = [("DATABASE_URL", url.as_str())];
    let (first, _) = start_serve(&workspace, &vars);
    let (second, _) = start_serve(&workspace, &vars);
    std::thread::sleep(Duration::from_secs(6));
    let (claims, ticks, runs) = tick_counts(&url, "every-second");
    assert_eq!(claims, ticks, "a tick is claimed once");
    assert!(runs >= 4, "ticks ran: {runs}");
    assert!(
        runs <= ticks + 2,
        "{runs} runs for {ticks} ticks: one replica per tick"
    );

    // The first replica dies without a word; the second carries on alone.
    let mut first = first;
    first.kill().expect("kill the first replica");
    first.wait().expect("reap it");
    let (_, _, before) = tick_counts(&url, "every-second");
    std::thread::sleep(Duration::from_secs(4));
    let (claims, ticks, after) = tick_counts(&url, "every-second");
    assert_eq!(claims, ticks);
    assert!(
        after >= before + 2,
        "the survivor runs the ticks: {before} then {after}"
    );
    stop(second);
}

#[test]
fn a_tick_missed_while_no_worker_ran_is_caught_up_or_recorded_as_missed() {
    let workspace = Workspace::new();
    for (name, cron) in [("ten-minutes", "0 */10 * * * *"), ("yearly", "0 0 0 1 1 *")] {
        workspace.write(
            &format!("jobs/{name}.toml"),
            &format!(
                "name = \"{name}\"\ncron = \"{cron}\"\ntimezone = \"UTC\"\nsteps = [\"rates\"]\n"
            ),
        );
    }
    let (worker, _) = start_serve(&workspace, &[]);
    stop(worker);

    // Both jobs ran before: a claim each on a tick before the last one.
    let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0);
    let last_ten = now - chrono::Duration::seconds(now.timestamp() % 600);
    let claimed = [
        ("ten-minutes", last_ten - chrono::Duration::minutes(10)),
        ("yearly", "2025-01-01T00:00:00Z".parse().expect("time")),
    ];
    workspace.database(async |db| {
        for (job, tick) in claimed {
            sqlx::query("INSERT INTO tick_claims (job, tick_at, holder, lease_until, finished_at) VALUES ($1, $2, 'old', $2, $2)")
                .bind(job)
                .bind(tick.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
                .execute(&mut *db)
                .await
                .expect("insert a claim");
        }
    });

    let (worker, _) = start_serve(&workspace, &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ten = workspace.run(&["runs", "--job", "ten-minutes"], &[]);
        let yearly = workspace.run(&["runs", "--job", "yearly"], &[]);
        let (ten, yearly) = (
            String::from_utf8_lossy(&ten.stdout).into_owned(),
            String::from_utf8_lossy(&yearly.stdout).into_owned(),
        );
        if ten.contains("succeeded") && yearly.contains("missed") {
            assert!(yearly.contains("catch_up_hours"), "{yearly}");
            break;
        }
        assert!(Instant::now() < deadline, "no catch-up:\n{ten}\n{yearly}");
        std::thread::sleep(Duration::from_millis(200));
    }
    stop(worker);
    let ticks: Vec<String> = workspace.database(async |db| {
        sqlx::query_scalar("SELECT tick_at FROM tick_claims WHERE job = 'ten-minutes' AND finished_at IS NOT NULL ORDER BY tick_at")
            .fetch_all(&mut *db)
            .await
            .expect("claims")
    });
    assert!(
        ticks.contains(&last_ten.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
        "the missed tick itself was run: {ticks:?}"
    );
}
