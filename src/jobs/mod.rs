//! Jobs: the one function both `serve` and `--run-once` call. A job runs
//! its steps for an as-of date it is given, and every run is recorded.

mod deliver;
mod environment;
mod refresh_rates;
mod report;
mod sync_deals;

use chrono::{NaiveDate, Utc};
use tracing::{Instrument, error, info, info_span, warn};

pub use environment::{Environment, EnvironmentError};
pub use report::today;

use crate::config::Step;
use crate::store::{RunFinish, RunStatus};

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The scheduler, on a cron tick.
    Schedule,
    /// `--run-once`.
    RunOnce,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::RunOnce => "run-once",
        }
    }
}

/// A request to run a job.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The job's name.
    pub job: String,
    /// The date the report is as of.
    pub as_of: NaiveDate,
    /// Compute and write locally; publish nothing.
    pub dry_run: bool,
    /// Publish files but send no email.
    pub no_email: bool,
    /// Email again even if this period was delivered.
    pub force: bool,
    /// What started it.
    pub trigger: Trigger,
}

/// What one step did, for the run record and the summary.
#[derive(Debug, Default)]
pub struct StepReport {
    /// Deals received from the source.
    pub deals_extracted: u64,
    /// Deals in the report.
    pub deals_reported: u64,
    /// External API calls.
    pub api_calls: u64,
    /// One line per thing done, for the summary.
    pub lines: Vec<String>,
    /// Data warnings (exit code 3).
    pub warnings: Vec<String>,
    /// Where the outputs went.
    pub output_location: Option<String>,
}

impl StepReport {
    fn absorb(&mut self, other: StepReport) {
        self.deals_extracted += other.deals_extracted;
        self.deals_reported += other.deals_reported;
        self.api_calls += other.api_calls;
        self.lines.extend(other.lines);
        self.warnings.extend(other.warnings);
        self.output_location = other.output_location.or(self.output_location.take());
    }
}

/// A finished run.
#[derive(Debug)]
pub struct RunOutcome {
    /// Run id.
    pub run_id: String,
    /// Succeeded or Warnings.
    pub status: RunStatus,
    /// What the run did.
    pub report: StepReport,
}

/// A failed run: its id (it is in the run history) and why.
#[derive(Debug, thiserror::Error)]
#[error("run {run_id} of {job} failed: {error:#}")]
pub struct RunFailure {
    /// Run id.
    pub run_id: String,
    /// Job name.
    pub job: String,
    /// The cause, with its context chain.
    pub error: anyhow::Error,
}

/// Runs a job's steps in order and records the run.
pub async fn run_job(env: &Environment, request: RunRequest) -> Result<RunOutcome, RunFailure> {
    let run_id = uuid::Uuid::new_v4().to_string();
    let span = info_span!("run", run.id = %run_id, job = %request.job, as_of = %request.as_of);
    async {
        let fail = |error: anyhow::Error| RunFailure {
            run_id: run_id.clone(),
            job: request.job.clone(),
            error,
        };
        let job = env
            .config
            .job(&request.job)
            .ok_or_else(|| {
                fail(anyhow::anyhow!(
                    "no job called `{}` in the jobs directory",
                    request.job
                ))
            })?
            .clone();
        env.store
            .start_run(
                &run_id,
                &job.name,
                request.as_of,
                request.trigger.as_str(),
                request.dry_run,
                &env.worker_id,
                Utc::now(),
            )
            .await
            .map_err(|e| fail(e.into()))?;
        info!(
            trigger = request.trigger.as_str(),
            dry_run = request.dry_run,
            "Run started."
        );

        let result = with_heartbeat(env, &run_id, run_steps(env, &job, &request, &run_id)).await;
        let (status, report, error) = match result {
            Ok(report) if report.warnings.is_empty() => (RunStatus::Succeeded, report, None),
            Ok(report) => (RunStatus::Warnings, report, None),
            Err((report, error)) => (RunStatus::Failed, report, Some(error)),
        };
        let finish = RunFinish {
            deals_extracted: report.deals_extracted,
            deals_reported: report.deals_reported,
            api_calls: report.api_calls,
            warnings: report.warnings.len() as u64,
            warning_summary: (!report.warnings.is_empty()).then(|| report.warnings.join("; ")),
            error: error.as_ref().map(|e| format!("{e:#}")),
            output_location: report.output_location.clone(),
        };
        let recorded = env
            .store
            .finish_run(&run_id, status, Utc::now(), &finish)
            .await;
        if let Some(error) = error {
            let message = format!("{error:#}");
            error!(error = %message, "Run failed.");
            deliver::notify_ops(env, &job, &request, &run_id, &message).await;
            return Err(fail(error));
        }
        recorded.map_err(|e| fail(e.into()))?;
        info!(
            status = status.as_str(),
            warnings = report.warnings.len(),
            "Run finished."
        );
        Ok(RunOutcome {
            run_id: run_id.clone(),
            status,
            report,
        })
    }
    .instrument(span)
    .await
}

/// How often a running job says it is alive.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs `work` while recording a heartbeat for the run every [`HEARTBEAT`],
/// so that a run whose process died can be told from one still going.
async fn with_heartbeat<T>(env: &Environment, run_id: &str, work: impl Future<Output = T>) -> T {
    // A task of its own: beating inside this future would stop `work` from
    // being polled while the beat waits for a database connection that
    // `work` itself holds (SQLite has one).
    let store = env.store.clone();
    let run_id = run_id.to_owned();
    let beat = tokio::spawn(async move {
        let mut every = tokio::time::interval(HEARTBEAT);
        every.tick().await;
        loop {
            every.tick().await;
            if let Err(e) = store.heartbeat(&run_id, Utc::now()).await {
                warn!(error = %e, "Could not record the run's heartbeat.");
            }
        }
    });
    let done = work.await;
    beat.abort();
    done
}

async fn run_steps(
    env: &Environment,
    job: &crate::config::JobDefinition,
    request: &RunRequest,
    run_id: &str,
) -> Result<StepReport, (StepReport, anyhow::Error)> {
    let mut total = StepReport::default();
    for step in &job.steps {
        let result = match step {
            Step::Sync => {
                sync_deals::sync(env, job)
                    .instrument(info_span!("sync"))
                    .await
            }
            Step::Rates => refresh_rates::ensure_rates(env, request.as_of)
                .instrument(info_span!("rates"))
                .await
                .map(|rates| StepReport {
                    lines: vec![format!(
                        "rates: {} currencies of {} from {}{}",
                        rates.set.rates.len(),
                        rates.set.date,
                        rates.set.source,
                        if rates.fetched { "" } else { " (stored)" }
                    )],
                    warnings: rates.substitute.into_iter().collect(),
                    ..StepReport::default()
                }),
            Step::Report => {
                report::report(env, job, request, run_id)
                    .instrument(info_span!("report"))
                    .await
            }
        };
        match result {
            Ok(report) => total.absorb(report),
            Err(error) => return Err((total, error)),
        }
    }
    Ok(total)
}
