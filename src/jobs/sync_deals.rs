//! The `sync` step: changed deals from the source into the database.

use anyhow::Context as _;
use chrono::{Duration, Utc};
use tracing::info;

use super::{Environment, StepReport};
use crate::config::{JobDefinition, SyncMode};

/// Re-read this much before the cursor: records modified in the same
/// second as the last one committed are not missed.
const CURSOR_OVERLAP: Duration = Duration::minutes(5);

/// Pulls every change since the stored cursor (or everything, for a full
/// sync), committing each batch with the cursor it reaches.
pub async fn sync(env: &Environment, job: &JobDefinition) -> anyhow::Result<StepReport> {
    let source = env.deals.source_key();
    env.store.check_source(&source).await?;
    let state = env.store.sync_state(&source).await?;
    let since = match job.sync.mode {
        SyncMode::Full => None,
        SyncMode::Incremental => state.cursor.map(|c| c - CURSOR_OVERLAP),
    };
    info!(source = %env.deals.describe(), since = ?since, "Syncing deals.");
    let mut pages = env
        .deals
        .changes(since)
        .await
        .with_context(|| format!("starting a sync from {}", env.deals.describe()))?;
    let mut report = StepReport::default();
    let (mut inserted, mut changed, mut deleted, mut batches) = (0, 0, 0, 0);
    while let Some(batch) = pages
        .next_batch()
        .await
        .with_context(|| format!("reading deals from {}", env.deals.describe()))?
    {
        report.deals_extracted += batch.records.len() as u64;
        let outcome = env.store.apply_batch(&source, &batch, Utc::now()).await?;
        inserted += outcome.inserted;
        changed += outcome.changed;
        deleted += outcome.deleted;
        batches += 1;
        info!(
            batch = batches,
            records = batch.records.len(),
            "Stored a batch of deals."
        );
    }
    report.api_calls = pages.api_calls();
    let without_id = pages.records_without_id();
    if without_id > 0 {
        report.warnings.push(format!(
            "{without_id} records without an id were skipped: they cannot be stored or updated; fix them in the CRM"
        ));
    }
    env.store.finish_sync(&source, Utc::now()).await?;
    report.lines.push(format!(
        "sync: {} records read in {batches} batches ({inserted} new, {changed} changed, {deleted} deleted)",
        report.deals_extracted
    ));
    Ok(report)
}
