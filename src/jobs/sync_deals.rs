//! The `sync` step: changed deals from the source into the database.

use anyhow::Context as _;
use chrono::{Duration, Utc};
use tracing::{debug, info};

use super::{Environment, StepReport};
use crate::config::{JobDefinition, SyncMode};
use crate::extract::SyncFrom;

/// Re-read this much before the cursor: records modified in the same
/// second as the last one committed are not missed.
const CURSOR_OVERLAP: Duration = Duration::minutes(5);

/// Pulls every change since the stored cursor (or everything, for a full
/// sync), committing each batch with the cursor it reaches.
pub async fn sync(env: &Environment, job: &JobDefinition) -> anyhow::Result<StepReport> {
    let source = env.deals.source_key();
    env.store.check_source(&source).await?;
    let state = env.store.sync_state(&source).await?;
    let from = match job.sync.mode {
        SyncMode::Full => SyncFrom::default(),
        SyncMode::Incremental => SyncFrom {
            modified_since: state.cursor.map(|c| c - CURSOR_OVERLAP),
            // Until a deletion has been seen, those since the record
            // cursor are the ones that can matter.
            deleted_since: state
                .deletions_cursor
                .or(state.cursor)
                .map(|c| c - CURSOR_OVERLAP),
        },
    };
    info!(source = %env.deals.describe(), since = ?from.modified_since, deleted_since = ?from.deleted_since, "Syncing deals.");
    let mut pages = env
        .deals
        .changes(from)
        .await
        .with_context(|| format!("starting a sync from {}", env.deals.describe()))?;
    let mut report = StepReport::default();
    let (mut inserted, mut changed, mut deleted, mut batches) = (0, 0, 0, 0);
    let reading = || format!("reading deals from {}", env.deals.describe());
    let mut next = pages.next_batch().await.with_context(reading)?;
    while let Some(batch) = next {
        // The next page is fetched while this one is written: the API's
        // latency hides the database's. Writes stay in order, one
        // transaction each, so the cursor only ever moves forward.
        let (outcome, fetched) = tokio::try_join!(
            async {
                env.store
                    .apply_batch(&source, &batch, Utc::now())
                    .await
                    .map_err(anyhow::Error::from)
            },
            async { pages.next_batch().await.with_context(reading) }
        )?;
        report.deals_extracted += batch.records.len() as u64;
        inserted += outcome.inserted;
        changed += outcome.changed;
        deleted += outcome.deleted;
        batches += 1;
        debug!(
            batch = batches,
            records = batch.records.len(),
            deletions = batch.deletions.len(),
            "Stored a batch of deals."
        );
        next = fetched;
    }
    report.api_calls = pages.api_calls();
    let without_id = pages.records_without_id();
    if without_id > 0 {
        report.warnings.push(format!(
            "{without_id} records or deletions without an id were skipped: they cannot be applied; fix them in the CRM"
        ));
    }
    env.store.finish_sync(&source, Utc::now()).await?;
    report.lines.push(format!(
        "sync: {} records read in {batches} batches ({inserted} new, {changed} changed, {deleted} deleted)",
        report.deals_extracted
    ));
    Ok(report)
}
