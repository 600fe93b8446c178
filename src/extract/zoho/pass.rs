//! One sync pass: deletions first, then changed records in
//! `Modified_Time` order, page by page.
//!
//! Past Zoho's 100,000-record `page_token` limit the pass starts a new
//! token chain with `If-Modified-Since` set to the newest `Modified_Time`
//! read so far. The filter is inclusive, so records sharing that second are
//! read again; those already passed on are skipped by id.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::Value;
use tokio::task::JoinHandle;
use tracing::{debug, info};

use super::api::{Api, Reply, zoho_time};
use super::error::ZohoError;
use crate::extract::{
    ChangeBatch, ChangePages, Deletion, ExtractError, SyncFrom, parse_timestamp, record_id,
    record_modified,
};

const RECORDS: &str = "/crm/v8/Deals";
const DELETED: &str = "/crm/v8/Deals/deleted";
/// How far one `page_token` chain reaches.
const TOKEN_CHAIN_LIMIT: u64 = 100_000;

/// Every field the reports and the history use; Zoho allows 50.
pub const FIELDS: [&str; 20] = [
    "Deal_Name",
    "Owner",
    "Amount",
    "Currency",
    "Exchange_Rate",
    "Stage",
    "Probability",
    "Expected_Revenue",
    "Closing_Date",
    "Pipeline",
    "Type",
    "Lead_Source",
    "Account_Name",
    "Contact_Name",
    "Campaign_Source",
    "Reason_For_Loss__s",
    "Tag",
    "Created_Time",
    "Modified_Time",
    "Modified_By",
];

enum Stage {
    Deletions,
    Records,
    Done,
}

/// The state of a pass over Zoho.
pub struct ZohoPass {
    api: Arc<Api>,
    calls: Arc<AtomicU64>,
    /// The next page, requested before this one was parsed and stored.
    prefetch: Option<JoinHandle<Result<Reply, ZohoError>>>,
    per_page: u32,
    from: SyncFrom,
    stage: Stage,
    /// `If-Modified-Since` of the current token chain.
    chain_since: Option<DateTime<Utc>>,
    next_page_token: Option<String>,
    chain_records: u64,
    /// The newest `Modified_Time` passed on, and the ids passed on with it.
    newest: Option<DateTime<Utc>>,
    at_newest: HashSet<String>,
    /// Ids passed on with `skip_at`, the newest time when the chain was
    /// restarted: the new chain sends them again, unchanged.
    skip: HashSet<String>,
    skip_at: Option<DateTime<Utc>>,
    without_id: u64,
    unreadable_deletions: u64,
}

impl ZohoPass {
    /// A pass from `from`; nothing is requested until the first batch.
    pub fn new(api: Arc<Api>, per_page: u32, from: SyncFrom) -> Self {
        Self {
            api,
            calls: Arc::new(AtomicU64::new(0)),
            prefetch: None,
            per_page,
            chain_since: from.modified_since,
            from,
            stage: Stage::Deletions,
            next_page_token: None,
            chain_records: 0,
            newest: None,
            at_newest: HashSet::new(),
            skip: HashSet::new(),
            skip_at: None,
            without_id: 0,
            unreadable_deletions: 0,
        }
    }

    async fn deletions(&mut self) -> Result<ChangeBatch, ZohoError> {
        let started = Utc::now();
        let mut deletions = Vec::new();
        let mut newest: Option<DateTime<Utc>> = None;
        for page in 1u32.. {
            let query = [
                ("type", "all".to_owned()),
                ("page", page.to_string()),
                ("per_page", "200".to_owned()),
            ];
            let reply = self
                .api
                .get(&self.calls, DELETED, &query, self.from.deleted_since)
                .await?;
            let Reply::Json(bytes) = reply else { break };
            let body: Value = serde_json::from_slice(&bytes).map_err(|e| ZohoError::Paging {
                endpoint: format!("GET {DELETED}"),
                detail: format!("the answer is not a deleted-records page: {e}"),
            })?;
            let items = body.get("data").and_then(Value::as_array);
            for item in items.into_iter().flatten() {
                let id = item.get("id").and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                });
                let when = item
                    .get("deleted_time")
                    .and_then(Value::as_str)
                    .and_then(parse_timestamp);
                newest = newest.max(when);
                match id {
                    // Without a readable time a deletion still ends the
                    // deal, from when it was seen.
                    Some(id) => deletions.push(Deletion {
                        id,
                        deleted_time: when.unwrap_or(started),
                    }),
                    None => self.unreadable_deletions += 1,
                }
            }
            if !more_records(&body) {
                break;
            }
        }
        info!(deletions = deletions.len(), "Read deleted deals.");
        // Zoho's own clock, like the record cursor: a skewed local clock
        // can then never make the next read start too late.
        let through = newest;
        Ok(ChangeBatch {
            records: Vec::new(),
            deletions,
            deletions_through: through,
        })
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = vec![
            ("fields", FIELDS.join(",")),
            ("per_page", self.per_page.to_string()),
            ("sort_by", "Modified_Time".to_owned()),
            ("sort_order", "asc".to_owned()),
        ];
        if let Some(token) = &self.next_page_token {
            query.push(("page_token", token.clone()));
        }
        query
    }

    /// Starts a new token chain at the newest `Modified_Time` read.
    fn restart_chain(&mut self, why: &str) -> Result<(), ZohoError> {
        let Some(newest) = self.newest else {
            return Err(ZohoError::Paging {
                endpoint: format!("GET {RECORDS}"),
                detail: format!("{why} before any record was read; try again later"),
            });
        };
        let since = newest
            .duration_trunc(TimeDelta::seconds(1))
            .unwrap_or(newest);
        if Some(since) <= self.chain_since {
            return Err(ZohoError::Paging {
                endpoint: format!("GET {RECORDS}"),
                detail: format!(
                    "{why}, and more than {TOKEN_CHAIN_LIMIT} deals share Modified_Time {}: paging cannot move past them; edit a few of them in Zoho, or report this with the run id",
                    zoho_time(since)
                ),
            });
        }
        info!(since = %zoho_time(since), read = self.chain_records, "Starting a new page-token chain: {why}.");
        self.chain_since = Some(since);
        self.next_page_token = None;
        self.chain_records = 0;
        self.skip = std::mem::take(&mut self.at_newest);
        self.skip_at = self.newest;
        Ok(())
    }

    /// Requests the current chain's next page in the background.
    fn request_next(&mut self) {
        let api = Arc::clone(&self.api);
        let calls = Arc::clone(&self.calls);
        let query = self.query();
        let since = self.chain_since;
        self.prefetch = Some(tokio::spawn(async move {
            api.get(&calls, RECORDS, &query, since).await
        }));
    }

    async fn records(&mut self) -> Result<Option<ChangeBatch>, ZohoError> {
        loop {
            let reply = match self.prefetch.take() {
                Some(next) => next.await.map_err(|e| ZohoError::Paging {
                    endpoint: format!("GET {RECORDS}"),
                    detail: format!("the request for the next page was lost: {e}"),
                })?,
                None => {
                    let query = self.query();
                    self.api
                        .get(&self.calls, RECORDS, &query, self.chain_since)
                        .await
                }
            };
            let bytes = match reply {
                Ok(Reply::Json(bytes)) => bytes,
                Ok(Reply::NotModified | Reply::NoContent) => return Ok(None),
                Err(ZohoError::Api { code, .. })
                    if matches!(
                        code.as_str(),
                        "PAGINATION_LIMIT_EXCEEDED" | "EXPIRED_VALUE" | "TOKEN_BOUND_DATA_MISMATCH"
                    ) =>
                {
                    self.restart_chain(&format!("Zoho answered {code}"))?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let unreadable = |e: serde_json::Error| ZohoError::Paging {
                endpoint: format!("GET {RECORDS}"),
                detail: format!("the answer is not a records page ({e}); check ZOHO_API_DOMAIN"),
            };
            // `info` first, so the next page is on its way while this one
            // is parsed and stored: the API's latency is the only wait.
            let info = serde_json::from_slice::<PageInfo>(&bytes)
                .map_err(unreadable)?
                .info;
            let end_of_chain = self.chain_records + info.count.unwrap_or(0) >= TOKEN_CHAIN_LIMIT;
            let chained = info.more_records && !end_of_chain && info.next_page_token.is_some();
            if chained {
                self.next_page_token = info.next_page_token.clone();
                self.request_next();
            }
            let page: Page = serde_json::from_slice(&bytes).map_err(unreadable)?;
            self.chain_records += page.data.len() as u64;
            let mut records = Vec::with_capacity(page.data.len());
            for record in page.data {
                let Some(id) = record_id(&record) else {
                    self.without_id += 1;
                    continue;
                };
                let modified = record_modified(&record);
                // Only the very record passed on before: an edit since has
                // a later Modified_Time and is new.
                if modified == self.skip_at && self.skip.contains(&id) {
                    continue;
                }
                if modified > self.newest {
                    self.newest = modified;
                    self.at_newest.clear();
                }
                if modified == self.newest {
                    self.at_newest.insert(id);
                }
                records.push(record);
            }
            debug!(
                records = records.len(),
                more = info.more_records,
                "Read a page of deals."
            );
            if !info.more_records {
                self.stage = Stage::Done;
            } else if !chained {
                self.restart_chain(if info.next_page_token.is_none() {
                    "the answer has more records but no next_page_token"
                } else {
                    "the page-token chain reached Zoho's 100,000-record limit"
                })?;
            }
            return Ok(Some(ChangeBatch {
                records,
                deletions: Vec::new(),
                deletions_through: None,
            }));
        }
    }
}

impl Drop for ZohoPass {
    fn drop(&mut self) {
        if let Some(next) = self.prefetch.take() {
            next.abort();
        }
    }
}

/// The paging fields of a records page.
#[derive(Deserialize)]
struct PageInfo {
    info: Info,
}

#[derive(Deserialize)]
struct Info {
    #[serde(default)]
    more_records: bool,
    next_page_token: Option<String>,
    count: Option<u64>,
}

/// The records of a page.
#[derive(Deserialize)]
struct Page {
    data: Vec<Value>,
}

/// `info.more_records` of a deleted-records page.
fn more_records(body: &Value) -> bool {
    body.pointer("/info/more_records")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

#[async_trait]
impl ChangePages for ZohoPass {
    async fn next_batch(&mut self) -> Result<Option<ChangeBatch>, ExtractError> {
        let batch = match self.stage {
            Stage::Deletions => {
                let batch = self.deletions().await?;
                self.stage = Stage::Records;
                Some(batch)
            }
            Stage::Records => {
                let batch = self.records().await?;
                if batch.is_none() {
                    self.stage = Stage::Done;
                }
                batch
            }
            Stage::Done => None,
        };
        Ok(batch)
    }

    fn api_calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    fn records_without_id(&self) -> u64 {
        self.without_id + self.unreadable_deletions
    }
}
