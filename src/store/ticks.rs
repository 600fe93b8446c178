//! Claims on scheduled ticks: one replica runs each tick.

use chrono::{DateTime, Utc};

use super::{Store, StoreError, query_error};
use crate::extract::db_time;

/// Where a claimed tick stands, seen by a replica that did not get it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickState {
    /// Its run finished.
    Finished,
    /// Someone holds it until this time.
    HeldUntil(DateTime<Utc>),
}

impl Store {
    /// Claims `job`'s tick for `holder` until `lease_until`: true when this
    /// worker is to run it — nobody had claimed it, or the holder's lease
    /// ran out before the run finished.
    pub async fn claim_tick(
        &self,
        job: &str,
        tick: DateTime<Utc>,
        holder: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO tick_claims (job, tick_at, holder, lease_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (job, tick_at) DO NOTHING",
        )
        .bind(job)
        .bind(db_time(tick))
        .bind(holder)
        .bind(db_time(lease_until))
        .execute(&self.pool)
        .await
        .map_err(query_error("claiming a tick"))?;
        if inserted.rows_affected() == 1 {
            return Ok(true);
        }
        // The row is updated only while the old lease is over, so of two
        // replicas taking over at once one updates it and the other finds
        // the new lease.
        let taken = sqlx::query(
            "UPDATE tick_claims SET holder = $1, lease_until = $2 \
             WHERE job = $3 AND tick_at = $4 AND finished_at IS NULL AND lease_until < $5",
        )
        .bind(holder)
        .bind(db_time(lease_until))
        .bind(job)
        .bind(db_time(tick))
        .bind(db_time(now))
        .execute(&self.pool)
        .await
        .map_err(query_error("taking over a tick"))?;
        Ok(taken.rows_affected() == 1)
    }

    /// Keeps the holder's lease on a tick alive.
    pub async fn extend_tick(
        &self,
        job: &str,
        tick: DateTime<Utc>,
        holder: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE tick_claims SET lease_until = $1 WHERE job = $2 AND tick_at = $3 AND holder = $4")
            .bind(db_time(lease_until))
            .bind(job)
            .bind(db_time(tick))
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(query_error("extending a tick's lease"))?;
        Ok(())
    }

    /// Marks a tick's run finished.
    pub async fn finish_tick(
        &self,
        job: &str,
        tick: DateTime<Utc>,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE tick_claims SET finished_at = $1 WHERE job = $2 AND tick_at = $3 AND holder = $4")
            .bind(db_time(now))
            .bind(job)
            .bind(db_time(tick))
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(query_error("finishing a tick"))?;
        Ok(())
    }

    /// The newest tick of `job` any worker claimed.
    pub async fn last_claimed_tick(&self, job: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let tick: Option<String> =
            sqlx::query_scalar("SELECT MAX(tick_at) FROM tick_claims WHERE job = $1")
                .bind(job)
                .fetch_one(&self.pool)
                .await
                .map_err(query_error("reading the last claimed tick"))?;
        Ok(tick.and_then(|t| crate::extract::parse_timestamp(&t)))
    }

    /// Where a tick stands; `None` when nobody claimed it.
    pub async fn tick_state(
        &self,
        job: &str,
        tick: DateTime<Utc>,
    ) -> Result<Option<TickState>, StoreError> {
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT lease_until, finished_at FROM tick_claims WHERE job = $1 AND tick_at = $2",
        )
        .bind(job)
        .bind(db_time(tick))
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error("reading a tick's claim"))?;
        Ok(row.map(|(lease, finished)| match finished {
            Some(_) => TickState::Finished,
            None => TickState::HeldUntil(
                crate::extract::parse_timestamp(&lease).unwrap_or(DateTime::<Utc>::MIN_UTC),
            ),
        }))
    }
}
