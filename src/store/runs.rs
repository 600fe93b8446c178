//! The history of job runs.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::{Store, StoreError, query_error};
use crate::extract::{db_time, parse_timestamp};

/// A run's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Started, not finished.
    Running,
    /// Finished cleanly.
    Succeeded,
    /// Finished with data warnings (exit code 3).
    Warnings,
    /// Failed (exit code 1).
    Failed,
    /// Stopped by a shutdown before it finished.
    Interrupted,
    /// A tick no worker ran, found too late to catch up.
    Missed,
}

impl RunStatus {
    /// The word stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Warnings => "warnings",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
            Self::Missed => "missed",
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Default)]
pub struct RunFinish {
    /// Deals received from the source.
    pub deals_extracted: u64,
    /// Deals in the report.
    pub deals_reported: u64,
    /// Calls made to external APIs.
    pub api_calls: u64,
    /// Data warnings.
    pub warnings: u64,
    /// The warnings in a sentence or two.
    pub warning_summary: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Where its outputs went.
    pub output_location: Option<String>,
}

/// Totals of one job's runs with one status, for metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct RunTotals {
    /// Job name.
    pub job: String,
    /// Status word.
    pub status: String,
    /// Runs.
    pub runs: i64,
    /// Deals extracted, summed.
    pub deals_extracted: i64,
    /// External API calls, summed.
    pub api_calls: i64,
    /// The latest end time.
    pub last_finished: Option<DateTime<Utc>>,
}

/// One row of the run history.
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// Run id.
    pub id: String,
    /// Job name.
    pub job: String,
    /// The as-of date.
    pub as_of: String,
    /// `schedule` or `run-once`.
    pub trigger: String,
    /// Whether it published nothing.
    pub dry_run: bool,
    /// Start time.
    pub started_at: Option<DateTime<Utc>>,
    /// End time.
    pub finished_at: Option<DateTime<Utc>>,
    /// Status word.
    pub status: String,
    /// Deals received from the source.
    pub deals_extracted: i64,
    /// Deals in the report.
    pub deals_reported: i64,
    /// External API calls.
    pub api_calls: i64,
    /// Data warnings.
    pub warnings: i64,
    /// Warning summary.
    pub warning_summary: Option<String>,
    /// Error.
    pub error: Option<String>,
    /// Output location.
    pub output_location: Option<String>,
}

impl Store {
    /// Records the start of a run by the process `worker_id`.
    #[allow(clippy::too_many_arguments, reason = "one column each")]
    pub async fn start_run(
        &self,
        id: &str,
        job: &str,
        as_of: NaiveDate,
        trigger: &str,
        dry_run: bool,
        worker_id: &str,
        started_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO job_runs (id, job, as_of, trigger_kind, dry_run, started_at, status, worker_id, heartbeat_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6)",
        )
        .bind(id)
        .bind(job)
        .bind(as_of.to_string())
        .bind(trigger)
        .bind(i64::from(dry_run))
        .bind(db_time(started_at))
        .bind(RunStatus::Running.as_str())
        .bind(worker_id)
        .execute(&self.pool)
        .await
        .map_err(query_error("recording the start of a run"))?;
        Ok(())
    }

    /// Records a tick that no worker ran and that is too old to run now.
    pub async fn record_missed_run(
        &self,
        id: &str,
        job: &str,
        tick: DateTime<Utc>,
        as_of: NaiveDate,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO job_runs (id, job, as_of, trigger_kind, dry_run, started_at, finished_at, status, error) \
             VALUES ($1, $2, $3, 'schedule', 0, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(job)
        .bind(as_of.to_string())
        .bind(db_time(tick))
        .bind(db_time(now))
        .bind(RunStatus::Missed.as_str())
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(query_error("recording a missed run"))?;
        Ok(())
    }

    /// Says the run is still going.
    pub async fn heartbeat(&self, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE job_runs SET heartbeat_at = $1 WHERE id = $2 AND status = $3")
            .bind(db_time(now))
            .bind(id)
            .bind(RunStatus::Running.as_str())
            .execute(&self.pool)
            .await
            .map_err(query_error("recording a run's heartbeat"))?;
        Ok(())
    }

    /// Closes as `interrupted` every run still `running` whose worker last
    /// spoke before `silent_since`: its process is gone. Returns how many.
    pub async fn close_abandoned_runs(
        &self,
        silent_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "UPDATE job_runs SET status = $1, finished_at = $2, \
             error = 'the worker running it stopped without finishing it (no heartbeat since ' || COALESCE(heartbeat_at, started_at) || ')' \
             WHERE status = $3 AND COALESCE(heartbeat_at, started_at) < $4",
        )
        .bind(RunStatus::Interrupted.as_str())
        .bind(db_time(now))
        .bind(RunStatus::Running.as_str())
        .bind(db_time(silent_since))
        .execute(&self.pool)
        .await
        .map_err(query_error("closing abandoned runs"))?;
        Ok(result.rows_affected())
    }

    /// Closes as `interrupted` the runs this worker leaves unfinished.
    pub async fn interrupt_runs_of(
        &self,
        worker_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "UPDATE job_runs SET status = $1, finished_at = $2, error = $3 WHERE status = $4 AND worker_id = $5",
        )
        .bind(RunStatus::Interrupted.as_str())
        .bind(db_time(now))
        .bind(reason)
        .bind(RunStatus::Running.as_str())
        .bind(worker_id)
        .execute(&self.pool)
        .await
        .map_err(query_error("recording interrupted runs"))?;
        Ok(result.rows_affected())
    }

    /// Records the end of a run.
    pub async fn finish_run(
        &self,
        id: &str,
        status: RunStatus,
        finished_at: DateTime<Utc>,
        finish: &RunFinish,
    ) -> Result<(), StoreError> {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        sqlx::query(
            "UPDATE job_runs SET status = $1, finished_at = $2, deals_extracted = $3, deals_reported = $4, api_calls = $5, \
             warnings = $6, warning_summary = $7, error = $8, output_location = $9 WHERE id = $10",
        )
        .bind(status.as_str())
        .bind(db_time(finished_at))
        .bind(count(finish.deals_extracted))
        .bind(count(finish.deals_reported))
        .bind(count(finish.api_calls))
        .bind(count(finish.warnings))
        .bind(&finish.warning_summary)
        .bind(&finish.error)
        .bind(&finish.output_location)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(query_error("recording the end of a run"))?;
        Ok(())
    }

    /// Counts and sums per job and status.
    pub async fn run_totals(&self) -> Result<Vec<RunTotals>, StoreError> {
        let rows = sqlx::query(
            "SELECT job, status, CAST(COUNT(*) AS BIGINT) AS runs, CAST(COALESCE(SUM(deals_extracted), 0) AS BIGINT) AS deals, \
             CAST(COALESCE(SUM(api_calls), 0) AS BIGINT) AS calls, MAX(finished_at) AS last_finished \
             FROM job_runs GROUP BY job, status ORDER BY job, status",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query_error("totalling the run history"))?;
        let read = |source| StoreError::Query {
            action: "totalling the run history",
            source,
        };
        rows.iter()
            .map(|row| {
                let last: Option<String> = row.try_get("last_finished").map_err(read)?;
                Ok(RunTotals {
                    job: row.try_get("job").map_err(read)?,
                    status: row.try_get("status").map_err(read)?,
                    runs: row.try_get("runs").map_err(read)?,
                    deals_extracted: row.try_get("deals").map_err(read)?,
                    api_calls: row.try_get("calls").map_err(read)?,
                    last_finished: last.and_then(|t| parse_timestamp(&t)),
                })
            })
            .collect()
    }

    /// The newest runs first, optionally of one job.
    pub async fn runs(&self, job: Option<&str>, limit: u32) -> Result<Vec<RunRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, job, as_of, trigger_kind, dry_run, started_at, finished_at, status, deals_extracted, deals_reported, \
             api_calls, warnings, warning_summary, error, output_location FROM job_runs \
             WHERE ($1 = '' OR job = $1) ORDER BY started_at DESC, id DESC LIMIT $2",
        )
        .bind(job.unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error("reading the run history"))?;
        rows.iter().map(run_record).collect()
    }
}

fn run_record(row: &sqlx::any::AnyRow) -> Result<RunRecord, StoreError> {
    fn get<'r, T>(row: &'r sqlx::any::AnyRow, column: &str) -> Result<T, StoreError>
    where
        T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        row.try_get(column)
            .map_err(query_error("reading the run history"))
    }
    let time = |column: &str| -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(get::<Option<String>>(row, column)?.and_then(|t| parse_timestamp(&t)))
    };
    Ok(RunRecord {
        id: get(row, "id")?,
        job: get(row, "job")?,
        as_of: get(row, "as_of")?,
        trigger: get(row, "trigger_kind")?,
        dry_run: get::<i64>(row, "dry_run")? != 0,
        started_at: time("started_at")?,
        finished_at: time("finished_at")?,
        status: get(row, "status")?,
        deals_extracted: get(row, "deals_extracted")?,
        deals_reported: get(row, "deals_reported")?,
        api_calls: get(row, "api_calls")?,
        warnings: get(row, "warnings")?,
        warning_summary: get(row, "warning_summary")?,
        error: get(row, "error")?,
        output_location: get(row, "output_location")?,
    })
}
