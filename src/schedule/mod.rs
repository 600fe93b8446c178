//! Schedule: every job on its own cron expression in its own timezone.
//!
//! Each job has one task that sleeps until its next fire time, computed by
//! croner in the job's IANA timezone (so 07:00 stays 07:00 local across
//! daylight-saving changes), runs the job, and computes the next time from
//! the tick it just ran. One task per job means a job never overlaps
//! itself; a tick that passes while the previous run is still going is
//! skipped and logged. With several replicas on one database, a claim per
//! tick (a row keyed by job and tick, with a lease renewed while the run
//! goes on) lets exactly one run it, and another take it over if the
//! holder dies.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use chrono_tz::Tz;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{info, warn};

mod ops;

pub use ops::Ops;

use crate::config::JobDefinition;
use crate::jobs::{Environment, RunRequest, Trigger, run_job};
use crate::store::{StoreError, TickState};

/// A run whose worker has not written a heartbeat for this long is taken
/// to be abandoned.
const ABANDONED_AFTER: chrono::Duration = chrono::Duration::minutes(2);
/// Sleeps are cut into pieces this long, so a changed system clock or a
/// suspended machine delays a tick by at most this much.
const MAX_SLEEP: Duration = Duration::from_secs(30);

/// Why the scheduler could not run.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The database failed while starting or stopping.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The next `count` fire times of a job after `after`, in its timezone.
pub fn next_fire_times(
    job: &JobDefinition,
    after: DateTime<Utc>,
    count: usize,
) -> Vec<DateTime<Tz>> {
    // Cron times are whole seconds; croner keeps the fraction it is given.
    // One search per time: croner's own iterator skips every other match
    // of a every-second expression.
    let mut after = after.trunc_subsecs(0).with_timezone(&job.timezone);
    let mut times = Vec::with_capacity(count);
    while times.len() < count {
        match job.schedule.find_next_occurrence(&after, false) {
            Ok(next) => {
                after = next;
                times.push(next);
            }
            Err(_) => break,
        }
    }
    times
}

/// Closes as `interrupted` the runs left `running` by a worker that
/// stopped: no heartbeat for two minutes.
pub async fn close_abandoned_runs(env: &Environment) -> Result<(), StoreError> {
    let closed = env
        .store
        .close_abandoned_runs(Utc::now() - ABANDONED_AFTER, Utc::now())
        .await?;
    if closed > 0 {
        warn!(
            runs = closed,
            "Closed runs left `running` by a worker that stopped."
        );
    }
    Ok(())
}

/// Runs every job on its schedule until SIGINT or SIGTERM; then starts no
/// new run, gives the runs in progress `SHUTDOWN_GRACE_SECS` to finish, and
/// records any still going as `interrupted`.
pub async fn serve(env: Environment) -> Result<(), ScheduleError> {
    close_abandoned_runs(&env).await?;
    let ops = Ops::new(env.store.clone());
    let addr = env.config.settings.ops_addr;
    let endpoint = tokio::spawn(ops.clone().serve(addr));
    let heart = tokio::spawn({
        let ops = ops.clone();
        async move {
            loop {
                ops.beat();
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    });
    let (stop, stopped) = watch::channel(false);
    let mut loops = JoinSet::new();
    for job in &env.config.jobs {
        loops.spawn(job_loop(env.clone(), job.clone(), stopped.clone()));
    }
    info!(jobs = env.config.jobs.len(), worker = %env.worker_id, "Scheduler started.");
    shutdown_signal().await;
    info!("Shutting down: no new runs will start.");
    let _ = stop.send(true);
    let grace = Duration::from_secs(u64::from(env.config.settings.shutdown_grace_secs));
    let finished =
        tokio::time::timeout(grace, async { while loops.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        loops.abort_all();
        let interrupted = env
            .store
            .interrupt_runs_of(
                &env.worker_id,
                &format!(
                    "interrupted: the worker was stopped and the run did not finish within SHUTDOWN_GRACE_SECS ({}s)",
                    grace.as_secs()
                ),
                Utc::now(),
            )
            .await?;
        warn!(
            runs = interrupted,
            "Recorded the runs still going as interrupted."
        );
    }
    heart.abort();
    endpoint.abort();
    env.store.close().await;
    info!("Stopped.");
    Ok(())
}

/// How long a claim on a tick holds without being renewed.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// How often a replica that lost a tick looks whether its holder died.
const WATCH_EVERY: Duration = Duration::from_secs(10);

/// Claims the tick for this worker. When another replica holds it, watches
/// it until it finishes, the next tick comes, or the holder's lease runs
/// out — then takes it over. True when this worker is to run it.
async fn take_tick(
    env: &Environment,
    job: &JobDefinition,
    tick: DateTime<Utc>,
    next: Option<DateTime<Utc>>,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    loop {
        let now = Utc::now();
        match env
            .store
            .claim_tick(&job.name, tick, &env.worker_id, now, now + LEASE)
            .await
        {
            Ok(true) => return true,
            Ok(false) => {}
            Err(e) => {
                warn!(job = %job.name, error = %e, "Could not claim the tick; it is skipped.");
                return false;
            }
        }
        match env.store.tick_state(&job.name, tick).await {
            Ok(Some(TickState::HeldUntil(until))) if next.is_none_or(|n| until < n) => {
                let wait = (until - Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .clamp(Duration::from_secs(1), WATCH_EVERY);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => return false,
                }
            }
            // Finished, or held past the next tick: nothing to take over.
            _ => return false,
        }
    }
}

/// Runs the job for a claimed tick, renewing the claim until it finishes.
async fn run_holding(
    env: &Environment,
    job: &JobDefinition,
    tick: DateTime<Utc>,
    request: RunRequest,
) {
    // Renewed from a task of its own, for the reason `with_heartbeat` gives.
    let renew = tokio::spawn({
        let (store, job, holder) = (env.store.clone(), job.name.clone(), env.worker_id.clone());
        async move {
            let mut every = tokio::time::interval(Duration::from_secs(20));
            every.tick().await;
            loop {
                every.tick().await;
                if let Err(e) = store
                    .extend_tick(&job, tick, &holder, Utc::now() + LEASE)
                    .await
                {
                    warn!(job = %job, error = %e, "Could not renew the claim on the tick.");
                }
            }
        }
    });
    // The run is recorded and logged either way.
    let _ = run_job(env, request).await;
    renew.abort();
    if let Err(e) = env
        .store
        .finish_tick(&job.name, tick, &env.worker_id, Utc::now())
        .await
    {
        warn!(job = %job.name, error = %e, "Could not mark the tick finished.");
    }
}

/// At start-up: the job's latest tick before now, if no worker claimed it
/// although one ran the job before, is run once when at most
/// `catch_up_hours` old, else recorded as missed.
async fn catch_up(env: &Environment, job: &JobDefinition, stop: &mut watch::Receiver<bool>) {
    let now = Utc::now().trunc_subsecs(0);
    let Ok(previous) = job
        .schedule
        .find_previous_occurrence(&now.with_timezone(&job.timezone), false)
    else {
        return;
    };
    let previous_utc = previous.with_timezone(&Utc);
    match env.store.last_claimed_tick(&job.name).await {
        // Never run here before (a new job or a new install): nothing missed.
        Ok(None) => return,
        Ok(Some(last)) if last >= previous_utc => return,
        Ok(Some(_)) => {}
        Err(e) => {
            warn!(job = %job.name, error = %e, "Could not look for a missed tick.");
            return;
        }
    }
    let next = next_fire_times(job, now, 1)
        .pop()
        .map(|t| t.with_timezone(&Utc));
    if !take_tick(env, job, previous_utc, next, stop).await {
        return;
    }
    let grace = chrono::Duration::hours(i64::from(job.catch_up_hours));
    if now - previous_utc <= grace {
        info!(job = %job.name, tick = %previous, "Catching up a tick missed while no worker ran.");
        let request = RunRequest {
            job: job.name.clone(),
            as_of: previous.date_naive(),
            dry_run: false,
            no_email: false,
            force: false,
            trigger: Trigger::Schedule,
        };
        run_holding(env, job, previous_utc, request).await;
        return;
    }
    let error = format!(
        "missed: no worker was running at {previous}, and it is more than catch_up_hours ({} h) ago",
        job.catch_up_hours
    );
    warn!(job = %job.name, tick = %previous, "Recorded a missed tick.");
    let recorded = env
        .store
        .record_missed_run(
            &uuid::Uuid::new_v4().to_string(),
            &job.name,
            previous_utc,
            previous.date_naive(),
            &error,
            now,
        )
        .await;
    let finished = env
        .store
        .finish_tick(&job.name, previous_utc, &env.worker_id, Utc::now())
        .await;
    if let Err(e) = recorded.and(finished) {
        warn!(job = %job.name, error = %e, "Could not record the missed tick.");
    }
}

/// Sleeps until each fire time of `job` and runs it, until `stop` is set.
async fn job_loop(env: Environment, job: JobDefinition, mut stop: watch::Receiver<bool>) {
    catch_up(&env, &job, &mut stop).await;
    let mut after = Utc::now();
    loop {
        let Some(tick) = next_fire_times(&job, after, 1).pop() else {
            warn!(job = %job.name, cron = %job.cron, "The cron expression has no future fire time.");
            return;
        };
        let tick_utc = tick.with_timezone(&Utc);
        info!(job = %job.name, next = %tick, "Waiting for the next tick.");
        loop {
            let left = (tick_utc - Utc::now()).to_std().unwrap_or_default();
            if left.is_zero() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(left.min(MAX_SLEEP)) => {}
                _ = stop.changed() => return,
            }
        }
        if *stop.borrow() {
            return;
        }
        let next = next_fire_times(&job, tick_utc, 1)
            .pop()
            .map(|t| t.with_timezone(&Utc));
        if !take_tick(&env, &job, tick_utc, next, &mut stop).await {
            after = tick_utc;
            continue;
        }
        let request = RunRequest {
            job: job.name.clone(),
            // The tick's own date: a run that ends after midnight still
            // reports on the day it was scheduled for.
            as_of: tick.date_naive(),
            dry_run: false,
            no_email: false,
            force: false,
            trigger: Trigger::Schedule,
        };
        run_holding(&env, &job, tick_utc, request).await;
        let now = Utc::now();
        let skipped = next_fire_times(&job, tick_utc, 1000)
            .into_iter()
            .take_while(|t| t.with_timezone(&Utc) <= now)
            .count();
        if skipped > 0 {
            warn!(job = %job.name, skipped, "Ticks passed while the previous run was going; they are skipped.");
        }
        after = tick_utc.max(now);
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_cron;

    fn job(cron: &str, timezone: Tz) -> JobDefinition {
        JobDefinition {
            name: "test".to_owned(),
            description: String::new(),
            cron: cron.to_owned(),
            schedule: parse_cron(cron).expect("cron"),
            timezone,
            steps: Vec::new(),
            report: None,
            sync: Default::default(),
            convert: Default::default(),
            freshness: None,
            catch_up_hours: 6,
            publish: Default::default(),
            ops: None,
            file: "jobs/test.toml".into(),
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("time")
    }

    fn fire_times_utc(job: &JobDefinition, after: &str, count: usize) -> Vec<String> {
        next_fire_times(job, utc(after), count)
            .iter()
            .map(|t| {
                format!(
                    "{} {}",
                    t.format("%a %H:%M %Z"),
                    t.with_timezone(&Utc).format("%m-%d %H:%MZ")
                )
            })
            .collect()
    }

    #[test]
    fn an_every_second_job_fires_every_second() {
        let every = job("* * * * * *", chrono_tz::UTC);
        let times = next_fire_times(&every, utc("2026-11-23T07:00:00.400Z"), 3);
        let seconds: Vec<u32> = times.iter().map(chrono::Timelike::second).collect();
        assert_eq!(seconds, [1, 2, 3]);
    }

    #[test]
    fn a_london_monday_job_stays_at_seven_local_across_both_changes() {
        let monday = job("0 0 7 * * Mon", chrono_tz::Europe::London);
        // Clocks go forward on Sunday 29 March 2026, back on 25 October.
        assert_eq!(
            fire_times_utc(&monday, "2026-03-20T00:00:00Z", 3),
            [
                "Mon 07:00 GMT 03-23 07:00Z",
                "Mon 07:00 BST 03-30 06:00Z",
                "Mon 07:00 BST 04-06 06:00Z"
            ]
        );
        assert_eq!(
            fire_times_utc(&monday, "2026-10-17T00:00:00Z", 3),
            [
                "Mon 07:00 BST 10-19 06:00Z",
                "Mon 07:00 GMT 10-26 07:00Z",
                "Mon 07:00 GMT 11-02 07:00Z"
            ]
        );
    }

    #[test]
    fn a_new_york_job_in_the_skipped_and_repeated_hours_fires_once() {
        let daily = job("0 30 2 * * *", chrono_tz::America::New_York);
        // 8 March 2026: 02:00 EST jumps to 03:00 EDT, so 02:30 does not
        // exist that day; 1 November: 01:00–02:00 happens twice, 02:30 once.
        let march = fire_times_utc(&daily, "2026-03-07T12:00:00Z", 3);
        assert_eq!(
            march,
            [
                "Sun 03:00 EDT 03-08 07:00Z",
                "Mon 02:30 EDT 03-09 06:30Z",
                "Tue 02:30 EDT 03-10 06:30Z"
            ],
            "in the skipped hour the job runs once, at the jump, as cron does"
        );
        let november = fire_times_utc(&daily, "2026-10-31T12:00:00Z", 2);
        assert_eq!(
            november,
            ["Sun 02:30 EST 11-01 07:30Z", "Mon 02:30 EST 11-02 07:30Z"]
        );
        let repeated = fire_times_utc(
            &job("0 30 1 * * *", chrono_tz::America::New_York),
            "2026-10-31T12:00:00Z",
            2,
        );
        assert_eq!(
            repeated,
            ["Sun 01:30 EDT 11-01 05:30Z", "Mon 01:30 EST 11-02 06:30Z"],
            "01:30 happens twice on 1 November; the job runs at the first only"
        );
    }
}
