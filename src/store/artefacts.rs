//! Published artefacts and email deliveries.

use chrono::{DateTime, Utc};

use super::{Store, StoreError, query_error};
use crate::extract::db_time;

/// One object a run published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtefactRecord {
    /// The object key (or local path under the store root).
    pub object_key: String,
    /// The file name, e.g. `deals.csv`.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// Size.
    pub bytes: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

/// One delivery: a job's email of a period to one recipient set.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryKey<'a> {
    /// The job.
    pub job: &'a str,
    /// The period's label.
    pub period: &'a str,
    /// The recipient set, as `recipients_key` writes it.
    pub recipients: &'a str,
}

impl Store {
    /// Records the objects a run published.
    pub async fn record_artefacts(
        &self,
        run_id: &str,
        artefacts: &[ArtefactRecord],
        published_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_error("starting to record artefacts"))?;
        for artefact in artefacts {
            sqlx::query(
                "INSERT INTO artefacts (run_id, object_key, file_name, content_type, bytes, sha256, published_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id, object_key) DO UPDATE SET \
                 bytes = excluded.bytes, sha256 = excluded.sha256, published_at = excluded.published_at",
            )
            .bind(run_id)
            .bind(&artefact.object_key)
            .bind(&artefact.file_name)
            .bind(&artefact.content_type)
            .bind(i64::try_from(artefact.bytes).unwrap_or(i64::MAX))
            .bind(&artefact.sha256)
            .bind(db_time(published_at))
            .execute(&mut *tx)
            .await
            .map_err(query_error("recording an artefact"))?;
        }
        tx.commit()
            .await
            .map_err(query_error("committing artefacts"))
    }

    /// The run whose email for `(job, period, recipients)` was delivered.
    pub async fn delivery(
        &self,
        job: &str,
        period: &str,
        recipients: &str,
    ) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT run_id FROM deliveries WHERE job = $1 AND period = $2 AND recipients = $3",
        )
        .bind(job)
        .bind(period)
        .bind(recipients)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error("looking up a delivery"))
    }

    /// Records a delivered email (replacing an earlier one on `--force`).
    pub async fn record_delivery(
        &self,
        job: &str,
        period: &str,
        recipients: &str,
        run_id: &str,
        message_id: &str,
        delivered_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO deliveries (job, period, recipients, run_id, message_id, delivered_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (job, period, recipients) DO UPDATE SET run_id = excluded.run_id, message_id = excluded.message_id, \
             delivered_at = excluded.delivered_at",
        )
        .bind(job)
        .bind(period)
        .bind(recipients)
        .bind(run_id)
        .bind(message_id)
        .bind(db_time(delivered_at))
        .execute(&self.pool)
        .await
        .map_err(query_error("recording a delivery"))?;
        Ok(())
    }

    /// The addresses of a recipient set that already received the period's
    /// email (after a send that failed for others).
    pub async fn delivered_addresses(
        &self,
        key: DeliveryKey<'_>,
    ) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT address FROM delivery_recipients WHERE job = $1 AND period = $2 AND recipients = $3 ORDER BY address",
        )
        .bind(key.job)
        .bind(key.period)
        .bind(key.recipients)
        .fetch_all(&self.pool)
        .await
        .map_err(query_error("looking up delivered addresses"))
    }

    /// Records that one address accepted the period's email.
    pub async fn record_delivered_address(
        &self,
        key: DeliveryKey<'_>,
        address: &str,
        run_id: &str,
        response: &str,
        delivered_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO delivery_recipients (job, period, recipients, address, run_id, response, delivered_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job, period, recipients, address) DO UPDATE SET \
             run_id = excluded.run_id, response = excluded.response, delivered_at = excluded.delivered_at",
        )
        .bind(key.job)
        .bind(key.period)
        .bind(key.recipients)
        .bind(address)
        .bind(run_id)
        .bind(response)
        .bind(db_time(delivered_at))
        .execute(&self.pool)
        .await
        .map_err(query_error("recording a delivered address"))?;
        Ok(())
    }

    /// Forgets a delivery and its addresses, so that `--force` sends the
    /// whole set again (and a forced send that fails part-way is retried
    /// for the rest by a plain rerun).
    pub async fn forget_delivery(&self, key: DeliveryKey<'_>) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_error("starting to forget a delivery"))?;
        for table in ["deliveries", "delivery_recipients"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE job = $1 AND period = $2 AND recipients = $3"
            ))
            .bind(key.job)
            .bind(key.period)
            .bind(key.recipients)
            .execute(&mut *tx)
            .await
            .map_err(query_error("forgetting a delivery"))?;
        }
        tx.commit()
            .await
            .map_err(query_error("committing a forgotten delivery"))
    }
}
