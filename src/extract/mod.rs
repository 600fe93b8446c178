//! Extract: the deal source port and its adapters.

mod deal;
mod sample;
mod time;
mod zoho;

use std::path::PathBuf;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

pub use deal::{Amount, Deal, record_created, record_id, record_modified};
pub use sample::FileDealSource;
pub use time::{db_time, parse_timestamp};
pub use zoho::{FIELDS as ZOHO_FIELDS, ZohoError, ZohoSource, zoho_time};

/// A deal removed in the CRM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    /// The deleted record's id.
    pub id: String,
    /// When it was deleted.
    pub deleted_time: DateTime<Utc>,
}

/// Records changed since a cursor, in ascending `Modified_Time` order, and
/// deletions. A batch is committed with the cursors it reaches.
#[derive(Debug, Clone, Default)]
pub struct ChangeBatch {
    /// Raw CRM records, each with an id.
    pub records: Vec<Value>,
    /// Deletions reported by the CRM.
    pub deletions: Vec<Deletion>,
    /// Set on the batch that completes the deletions: the newest deletion
    /// time in it, from which the next pass asks (less an overlap).
    pub deletions_through: Option<DateTime<Utc>>,
}

/// Where a pass starts; `None` reads everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncFrom {
    /// Records modified at or after this instant.
    pub modified_since: Option<DateTime<Utc>>,
    /// Deletions at or after this instant.
    pub deleted_since: Option<DateTime<Utc>>,
}

/// Why extraction failed.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// A file of the file source could not be read or parsed.
    #[error("reading deals from {path}: {message}")]
    File {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The Zoho API failed.
    #[error(transparent)]
    Zoho(#[from] ZohoError),
}

/// One pass over the changes of a source.
#[async_trait]
pub trait ChangePages: Send {
    /// The next batch, or `None` at the end of the pass.
    async fn next_batch(&mut self) -> Result<Option<ChangeBatch>, ExtractError>;
    /// API calls made so far.
    fn api_calls(&self) -> u64;
    /// Records and deletions skipped: no id to apply them by.
    fn records_without_id(&self) -> u64;
}

/// Where deals come from: the CRM, or files shaped like its responses.
#[async_trait]
pub trait DealSource: Send + Sync {
    /// For logs and reports: where the deals come from.
    fn describe(&self) -> String;
    /// True for sample data, which every output must say it is.
    fn is_sample(&self) -> bool;
    /// The name deals of this source are stored under; one database holds
    /// deals of one source only.
    fn source_key(&self) -> String;
    /// Starts a pass over the changes since `from`.
    async fn changes(&self, from: SyncFrom) -> Result<Box<dyn ChangePages>, ExtractError>;
}
