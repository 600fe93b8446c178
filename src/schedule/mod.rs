//! Schedule: every job on its own cron expression in its own timezone.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler};
use tracing::{info, warn};

use crate::config::JobDefinition;
use crate::jobs::{Environment, RunRequest, Trigger, run_job, today};

/// Why the scheduler could not run.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The scheduler rejected a job or failed to start.
    #[error("scheduling {job}: {message}")]
    Scheduler {
        /// The job, or `scheduler`.
        job: String,
        /// The scheduler's error.
        message: String,
    },
}

/// The next `count` fire times of a job after `after`, in its timezone.
pub fn next_fire_times(
    job: &JobDefinition,
    after: DateTime<Utc>,
    count: usize,
) -> Vec<DateTime<Tz>> {
    job.schedule
        .iter_after(after.with_timezone(&job.timezone))
        .take(count)
        .collect()
}

/// Runs every job on its schedule until SIGINT or SIGTERM, then waits for
/// the runs in progress to finish.
pub async fn serve(env: Environment) -> Result<(), ScheduleError> {
    let scheduler_error = |job: &str| {
        let job = job.to_owned();
        move |e: tokio_cron_scheduler::JobSchedulerError| ScheduleError::Scheduler {
            job,
            message: e.to_string(),
        }
    };
    let mut scheduler = JobScheduler::new()
        .await
        .map_err(scheduler_error("scheduler"))?;
    // One lock per job: a tick that comes while the previous run of the
    // same job is still going is skipped, never run alongside it.
    let locks: HashMap<String, Arc<Mutex<()>>> = env
        .config
        .jobs
        .iter()
        .map(|job| (job.name.clone(), Arc::new(Mutex::new(()))))
        .collect();
    for job in &env.config.jobs {
        let lock = Arc::clone(&locks[&job.name]);
        let env = env.clone();
        let definition = job.clone();
        let cron_job = Job::new_async_tz(job.cron.as_str(), job.timezone, move |_id, _scheduler| {
            let env = env.clone();
            let definition = definition.clone();
            let lock = Arc::clone(&lock);
            Box::pin(async move {
                let Ok(_guard) = lock.try_lock() else {
                    warn!(job = %definition.name, "Skipped a tick: the previous run is still going.");
                    return;
                };
                let request = RunRequest {
                    job: definition.name.clone(),
                    as_of: today(&definition),
                    dry_run: false,
                    no_email: false,
                    force: false,
                    trigger: Trigger::Schedule,
                };
                // The run is recorded and logged either way.
                let _ = run_job(&env, request).await;
            })
        })
        .map_err(scheduler_error(&job.name))?;
        scheduler
            .add(cron_job)
            .await
            .map_err(scheduler_error(&job.name))?;
        let next = next_fire_times(job, Utc::now(), 1);
        info!(job = %job.name, cron = %job.cron, timezone = %job.timezone, next = ?next.first(), "Scheduled a job.");
    }
    scheduler
        .start()
        .await
        .map_err(scheduler_error("scheduler"))?;
    info!(jobs = env.config.jobs.len(), "Scheduler started.");
    shutdown_signal().await;
    info!("Shutting down: no new runs will start.");
    scheduler
        .shutdown()
        .await
        .map_err(scheduler_error("scheduler"))?;
    // Every lock is taken and kept until the process ends: a run already
    // going is waited for, and a tick that fires during shutdown finds its
    // lock held and starts nothing.
    let mut held = Vec::with_capacity(locks.len());
    for (job, lock) in &locks {
        if lock.try_lock().is_err() {
            info!(job = %job, "Waiting for the run in progress to finish.");
        }
        held.push(Arc::clone(lock).lock_owned().await);
    }
    env.store.close().await;
    info!("Stopped.");
    drop(held);
    Ok(())
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
