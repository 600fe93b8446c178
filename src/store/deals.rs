//! Current deals, their version history (SCD type 2) and sync cursors.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Store, StoreError, query_error};
use crate::extract::{
    ChangeBatch, db_time, parse_timestamp, record_created, record_id, record_modified,
};

/// The fields whose change makes a new version. `Modified_Time` and
/// `Modified_By` change on every edit and are deliberately left out.
const TRACKED_FIELDS: [&str; 12] = [
    "Deal_Name",
    "Owner",
    "Amount",
    "Currency",
    "Exchange_Rate",
    "Stage",
    "Probability",
    "Closing_Date",
    "Pipeline",
    "Type",
    "Account_Name",
    "Created_Time",
];

/// What one batch changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Deals seen for the first time.
    pub inserted: u64,
    /// Deals whose tracked fields changed: a new version each.
    pub changed: u64,
    /// Deals sent again without a tracked change.
    pub unchanged: u64,
    /// Records older than the stored version, ignored.
    pub stale: u64,
    /// Deals marked deleted.
    pub deleted: u64,
}

/// Where a source's sync stands.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncState {
    /// Newest `Modified_Time` committed: the next incremental sync starts here.
    pub cursor: Option<DateTime<Utc>>,
    /// The first complete sync's high-water mark: history is complete from here.
    pub history_from: Option<DateTime<Utc>>,
    /// When the last sync finished successfully.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Every deletion up to here has been applied.
    pub deletions_cursor: Option<DateTime<Utc>>,
}

fn fingerprint(record: &Value) -> String {
    let tracked: Vec<&Value> = TRACKED_FIELDS
        .iter()
        .map(|key| record.get(*key).unwrap_or(&Value::Null))
        .collect();
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(&tracked).unwrap_or_default());
    hex::encode(hasher.finalize())
}

fn time_column(row: &sqlx::any::AnyRow, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    let text: Option<String> = row
        .try_get(column)
        .map_err(query_error("reading a time column"))?;
    match text {
        None => Ok(None),
        Some(text) => parse_timestamp(&text).map(Some).ok_or(StoreError::Corrupt {
            action: "reading a stored time",
            detail: format!("`{text}` in column {column}"),
        }),
    }
}

struct Stored {
    fingerprint: String,
    modified_time: Option<DateTime<Utc>>,
    deleted: bool,
}

impl Store {
    /// Fails when the database already holds deals of a different source.
    pub async fn check_source(&self, source: &str) -> Result<(), StoreError> {
        let other: Option<String> =
            sqlx::query_scalar("SELECT source FROM sync_state WHERE source <> $1 LIMIT 1")
                .bind(source)
                .fetch_optional(&self.pool)
                .await
                .map_err(query_error("checking the stored deal source"))?;
        match other {
            Some(stored) => Err(StoreError::SourceMismatch {
                stored,
                configured: source.to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// The sync state of `source` (all empty before the first sync).
    pub async fn sync_state(&self, source: &str) -> Result<SyncState, StoreError> {
        let row = sqlx::query(
            "SELECT cursor_time, history_from, last_success_at, deletions_cursor FROM sync_state WHERE source = $1",
        )
        .bind(source)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error("reading the sync state"))?;
        match row {
            None => Ok(SyncState::default()),
            Some(row) => Ok(SyncState {
                cursor: time_column(&row, "cursor_time")?,
                history_from: time_column(&row, "history_from")?,
                last_success_at: time_column(&row, "last_success_at")?,
                deletions_cursor: time_column(&row, "deletions_cursor")?,
            }),
        }
    }

    /// Stores one batch and advances the cursor in the same transaction, so
    /// a crash leaves either both or neither.
    pub async fn apply_batch(
        &self,
        source: &str,
        batch: &ChangeBatch,
        synced_at: DateTime<Utc>,
    ) -> Result<BatchOutcome, StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(query_error("starting a sync transaction"))?;
        if self.backend == super::Backend::Postgres {
            // Two syncs of one source at once (a scheduled sync and a
            // report's, or two replicas) take turns batch by batch instead
            // of both inserting the same new deal or version.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))::text")
                .bind(format!("pipeline-pulse sync {source}"))
                .execute(&mut *tx)
                .await
                .map_err(query_error("waiting for another sync of the same source"))?;
        }
        let now = db_time(synced_at);
        let ids: Vec<String> = batch.records.iter().filter_map(record_id).collect();
        let mut stored: HashMap<String, Stored> = HashMap::new();
        if !ids.is_empty() {
            let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, fingerprint, modified_time, deleted_at FROM deals WHERE id IN ({})",
                placeholders.join(",")
            );
            let mut query = sqlx::query(&sql);
            for id in &ids {
                query = query.bind(id);
            }
            for row in query
                .fetch_all(&mut *tx)
                .await
                .map_err(query_error("reading stored deals"))?
            {
                let id: String = row
                    .try_get("id")
                    .map_err(query_error("reading stored deals"))?;
                let deleted: Option<String> = row
                    .try_get("deleted_at")
                    .map_err(query_error("reading stored deals"))?;
                stored.insert(
                    id,
                    Stored {
                        fingerprint: row
                            .try_get("fingerprint")
                            .map_err(query_error("reading stored deals"))?,
                        modified_time: time_column(&row, "modified_time")?,
                        deleted: deleted.is_some(),
                    },
                );
            }
        }

        let mut outcome = BatchOutcome::default();
        let mut newest: Option<DateTime<Utc>> = None;
        let mut new_deals: Vec<NewDeal> = Vec::new();
        let mut seen: HashSet<String> = HashSet::with_capacity(batch.records.len());
        // Newest first, so a deal sent twice in one batch is applied once.
        for record in batch.records.iter().rev() {
            let Some(id) = record_id(record) else {
                continue;
            };
            if !seen.insert(id.clone()) {
                outcome.unchanged += 1;
                continue;
            }
            let modified = record_modified(record);
            newest = newest.max(modified);
            let print = fingerprint(record);
            let payload = record.to_string();
            let modified_text = modified.map(db_time);
            match stored.get(&id) {
                Some(old) if old.modified_time.is_some() && modified < old.modified_time => {
                    outcome.stale += 1;
                }
                Some(old) if old.fingerprint == print && !old.deleted => {
                    sqlx::query("UPDATE deals SET payload = $1, modified_time = $2, last_synced_at = $3 WHERE id = $4")
                        .bind(&payload)
                        .bind(&modified_text)
                        .bind(&now)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await
                        .map_err(query_error("updating a deal"))?;
                    outcome.unchanged += 1;
                }
                Some(_) => {
                    let valid_from = modified.unwrap_or(synced_at);
                    let (version, previous_from) = latest_version(&mut tx, &id).await?;
                    let valid_from = db_time(valid_from).max(previous_from);
                    sqlx::query("UPDATE deal_versions SET valid_to = $1 WHERE deal_id = $2 AND version = $3")
                        .bind(&valid_from)
                        .bind(&id)
                        .bind(version)
                        .execute(&mut *tx)
                        .await
                        .map_err(query_error("closing a deal version"))?;
                    insert_version(
                        &mut tx,
                        &id,
                        version + 1,
                        &valid_from,
                        &print,
                        &payload,
                        &now,
                    )
                    .await?;
                    sqlx::query(
                        "UPDATE deals SET payload = $1, fingerprint = $2, modified_time = $3, last_synced_at = $4, deleted_at = NULL WHERE id = $5",
                    )
                    .bind(&payload)
                    .bind(&print)
                    .bind(&modified_text)
                    .bind(&now)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error("updating a deal"))?;
                    outcome.changed += 1;
                }
                None => {
                    let valid_from =
                        db_time(record_created(record).or(modified).unwrap_or(synced_at));
                    new_deals.push(NewDeal {
                        id,
                        valid_from,
                        fingerprint: print,
                        payload,
                        modified: modified_text,
                    });
                    outcome.inserted += 1;
                }
            }
        }
        insert_new_deals(&mut tx, &new_deals, &now).await?;
        for deletion in &batch.deletions {
            let when = db_time(deletion.deleted_time);
            // A deal restored (modified) after this deletion stays restored
            // when an overlapping read sends the deletion again.
            let result = sqlx::query("UPDATE deals SET deleted_at = $1, last_synced_at = $2 WHERE id = $3 AND deleted_at IS NULL AND (modified_time IS NULL OR modified_time <= $1)")
                .bind(&when)
                .bind(&now)
                .bind(&deletion.id)
                .execute(&mut *tx)
                .await
                .map_err(query_error("marking a deal deleted"))?;
            if result.rows_affected() > 0 {
                sqlx::query("UPDATE deal_versions SET valid_to = $1 WHERE deal_id = $2 AND valid_to IS NULL")
                    .bind(&when)
                    .bind(&deletion.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error("closing a deleted deal's version"))?;
                outcome.deleted += 1;
            }
        }

        let current: Option<Option<String>> =
            sqlx::query_scalar("SELECT cursor_time FROM sync_state WHERE source = $1")
                .bind(source)
                .fetch_optional(&mut *tx)
                .await
                .map_err(query_error("reading the sync cursor"))?;
        let cursor = current.flatten().max(newest.map(db_time));
        sqlx::query(
            "INSERT INTO sync_state (source, cursor_time, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (source) DO UPDATE SET cursor_time = excluded.cursor_time, updated_at = excluded.updated_at",
        )
        .bind(source)
        .bind(&cursor)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(query_error("advancing the sync cursor"))?;
        if let Some(through) = batch.deletions_through {
            sqlx::query("UPDATE sync_state SET deletions_cursor = $1 WHERE source = $2")
                .bind(db_time(through))
                .bind(source)
                .execute(&mut *tx)
                .await
                .map_err(query_error("advancing the deletions cursor"))?;
        }
        tx.commit()
            .await
            .map_err(query_error("committing a sync batch"))?;
        Ok(outcome)
    }

    /// Records a completed pass. The first one also fixes where complete
    /// history starts: the newest `Modified_Time` it saw.
    pub async fn finish_sync(
        &self,
        source: &str,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = db_time(finished_at);
        sqlx::query(
            "INSERT INTO sync_state (source, cursor_time, history_from, last_success_at, updated_at) VALUES ($1, NULL, NULL, $2, $2) \
             ON CONFLICT (source) DO UPDATE SET last_success_at = excluded.last_success_at, updated_at = excluded.updated_at, \
             history_from = COALESCE(sync_state.history_from, sync_state.cursor_time, excluded.last_success_at)",
        )
        .bind(source)
        .bind(&now)
        .execute(&self.pool)
        .await
        .map_err(query_error("recording a finished sync"))?;
        Ok(())
    }

    /// The deal records as they stood at `instant` (data time), by id.
    pub async fn deals_at(&self, instant: DateTime<Utc>) -> Result<Vec<Value>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT payload FROM deal_versions WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1) ORDER BY deal_id",
        )
        .bind(db_time(instant))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error("reading the deals at an instant"))?;
        rows.iter()
            .map(|payload| {
                serde_json::from_str(payload).map_err(|e| StoreError::Corrupt {
                    action: "reading a deal version",
                    detail: e.to_string(),
                })
            })
            .collect()
    }

    /// Every deal version valid at `end` or at `start` (data time), sent in
    /// batches of about `batch` as they are read, so a million deals are
    /// never all in memory as text. A version valid at both instants is
    /// read once.
    pub async fn versions_at(
        &self,
        start: Option<DateTime<Utc>>,
        end: DateTime<Utc>,
        batch: usize,
        sink: tokio::sync::mpsc::Sender<VersionBatch>,
    ) -> Result<(), StoreError> {
        let end_text = db_time(end);
        let start_text = db_time(start.unwrap_or(end).min(end));
        let bounds = Bounds {
            end: &end_text,
            start: &start_text,
            has_start: start.is_some(),
        };
        match self.backend {
            super::Backend::Sqlite => self.sqlite_versions(bounds, batch, sink).await,
            super::Backend::Postgres => self.postgres_versions(bounds, batch, sink).await,
        }
    }

    /// SQLite hands each row from its worker thread to the runtime, which
    /// costs more than reading it: each query concatenates a range of rows
    /// into one text instead, a few thousand at a time.
    async fn sqlite_versions(
        &self,
        bounds: Bounds<'_>,
        batch: usize,
        sink: tokio::sync::mpsc::Sender<VersionBatch>,
    ) -> Result<(), StoreError> {
        let read = || query_error("reading the deal versions of a report");
        // One transaction: every range is read from the same snapshot, even
        // while a sync commits between two of them.
        let mut tx = self.pool.begin().await.map_err(read())?;
        let (first, last): (Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT MIN(rowid), MAX(rowid) FROM deal_versions")
                .fetch_one(&mut *tx)
                .await
                .map_err(read())?;
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(());
        };
        // NOT INDEXED: nearly every version qualifies, and walking the
        // validity index would fetch each row from the table on its own.
        let sql = format!(
            "SELECT group_concat({LINE}, char(30)) FROM deal_versions NOT INDEXED WHERE rowid >= $4 AND rowid < $5 AND {VALID}"
        );
        let step = i64::try_from(batch.max(1)).unwrap_or(i64::MAX);
        let mut from = first;
        while from <= last {
            let to = from.saturating_add(step);
            let text: Option<String> = sqlx::query_scalar(&sql)
                .bind(bounds.end)
                .bind(bounds.start)
                .bind(bounds.has_start)
                .bind(from)
                .bind(to)
                .fetch_one(&mut *tx)
                .await
                .map_err(read())?;
            if let Some(text) = text
                && sink.send(VersionBatch { text }).await.is_err()
            {
                return Ok(());
            }
            from = to;
        }
        tx.commit().await.map_err(read())
    }

    async fn postgres_versions(
        &self,
        bounds: Bounds<'_>,
        batch: usize,
        sink: tokio::sync::mpsc::Sender<VersionBatch>,
    ) -> Result<(), StoreError> {
        use futures_util::TryStreamExt as _;
        let read = || query_error("reading the deal versions of a report");
        let sql = format!("SELECT {LINE} FROM deal_versions WHERE {VALID}");
        let mut lines = sqlx::query_scalar::<_, String>(&sql)
            .bind(bounds.end)
            .bind(bounds.start)
            .bind(bounds.has_start)
            .fetch(&self.pool);
        let mut pending = VersionBatch::default();
        let mut count = 0;
        while let Some(line) = lines.try_next().await.map_err(read())? {
            pending.push(&line);
            count += 1;
            if count == batch {
                count = 0;
                if sink.send(std::mem::take(&mut pending)).await.is_err() {
                    return Ok(());
                }
            }
        }
        if count > 0 {
            let _ = sink.send(pending).await;
        }
        Ok(())
    }

    /// How many version rows are stored (history grows with changes only).
    pub async fn deal_version_count(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM deal_versions")
            .fetch_one(&self.pool)
            .await
            .map_err(query_error("counting deal versions"))
    }
}

/// The instants a report reads the deal versions at.
#[derive(Clone, Copy)]
struct Bounds<'a> {
    /// `$1`: the as-of instant.
    end: &'a str,
    /// `$2`: the period start (the as-of instant when there is none).
    start: &'a str,
    /// `$3`: whether the period start is read.
    has_start: bool,
}

/// A version valid at either instant.
const VALID: &str = "valid_from <= $1 AND (valid_to IS NULL OR valid_to > $2)";

/// One version as a line of a [`VersionBatch`]: whether it is valid at the
/// period start, whether at the as-of instant, then its payload.
const LINE: &str = "(CASE WHEN $3 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2) THEN '1' ELSE '0' END) || (CASE WHEN valid_to IS NULL OR valid_to > $1 THEN '1' ELSE '0' END) || payload";

/// Deal versions read for a report, as one text: per version, a `0`/`1`
/// for "valid at the period start" and one for "valid at the as-of
/// instant", then the payload; versions are separated by U+001E, which
/// JSON text cannot contain unescaped.
#[derive(Debug, Default)]
pub struct VersionBatch {
    text: String,
}

/// A deal version read for a report, and which of its two instants it
/// belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionAt<'a> {
    /// The record as the source sent it.
    pub payload: &'a str,
    /// Valid at the period start.
    pub at_start: bool,
    /// Valid at the as-of instant.
    pub at_end: bool,
}

const SEPARATOR: char = '\u{1e}';

impl VersionBatch {
    fn push(&mut self, line: &str) {
        if !self.text.is_empty() {
            self.text.push(SEPARATOR);
        }
        self.text.push_str(line);
    }

    /// The versions, on every core; a line too short to hold the flags is
    /// damaged data, returned as `Err` with its text.
    pub fn versions(&self) -> impl ParallelIterator<Item = Result<VersionAt<'_>, &str>> {
        self.text.par_split(SEPARATOR).map(|line| {
            let flag = |i: usize| line.as_bytes().get(i).map(|&b| b == b'1');
            match (flag(0), flag(1), line.get(2..)) {
                (Some(at_start), Some(at_end), Some(payload)) => Ok(VersionAt {
                    payload,
                    at_start,
                    at_end,
                }),
                _ => Err(line),
            }
        })
    }
}

/// A deal seen for the first time.
struct NewDeal {
    id: String,
    valid_from: String,
    fingerprint: String,
    payload: String,
    modified: Option<String>,
}

/// Rows per multi-row insert. Small: SQLite's driver resolves each `$n`
/// by name, a cost that grows with the parameters of the statement.
const INSERT_CHUNK: usize = 25;

/// Inserts first-seen deals and their first versions, many rows per
/// statement: a full sync is mostly these.
async fn insert_new_deals(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    deals: &[NewDeal],
    now: &str,
) -> Result<(), StoreError> {
    let placeholders = |rows: usize, columns: usize| -> String {
        (0..rows)
            .map(|row| {
                let cells: Vec<String> = (1..=columns)
                    .map(|column| format!("${}", row * columns + column))
                    .collect();
                format!("({})", cells.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    for chunk in deals.chunks(INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO deal_versions (deal_id, version, valid_from, valid_to, fingerprint, payload, recorded_at) VALUES {}",
            placeholders(chunk.len(), 7)
        );
        let mut query = sqlx::query(&sql);
        for deal in chunk {
            query = query
                .bind(&deal.id)
                .bind(1_i64)
                .bind(&deal.valid_from)
                .bind(None::<String>)
                .bind(&deal.fingerprint)
                .bind(&deal.payload)
                .bind(now);
        }
        query
            .execute(&mut **tx)
            .await
            .map_err(query_error("inserting deal versions"))?;
        let sql = format!(
            "INSERT INTO deals (id, payload, fingerprint, modified_time, first_seen_at, last_synced_at) VALUES {}",
            placeholders(chunk.len(), 6)
        );
        let mut query = sqlx::query(&sql);
        for deal in chunk {
            query = query
                .bind(&deal.id)
                .bind(&deal.payload)
                .bind(&deal.fingerprint)
                .bind(&deal.modified)
                .bind(now)
                .bind(now);
        }
        query
            .execute(&mut **tx)
            .await
            .map_err(query_error("inserting deals"))?;
    }
    Ok(())
}

async fn latest_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
) -> Result<(i64, String), StoreError> {
    let row = sqlx::query("SELECT version, valid_from FROM deal_versions WHERE deal_id = $1 ORDER BY version DESC LIMIT 1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await
        .map_err(query_error("reading a deal's latest version"))?;
    Ok((
        row.try_get("version")
            .map_err(query_error("reading a deal's latest version"))?,
        row.try_get("valid_from")
            .map_err(query_error("reading a deal's latest version"))?,
    ))
}

async fn insert_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    version: i64,
    valid_from: &str,
    fingerprint: &str,
    payload: &str,
    recorded_at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO deal_versions (deal_id, version, valid_from, valid_to, fingerprint, payload, recorded_at) VALUES ($1, $2, $3, NULL, $4, $5, $6)",
    )
    .bind(id)
    .bind(version)
    .bind(valid_from)
    .bind(fingerprint)
    .bind(payload)
    .bind(recorded_at)
    .execute(&mut **tx)
    .await
    .map_err(query_error("inserting a deal version"))?;
    Ok(())
}
