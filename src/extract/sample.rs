//! The file deal source: pages of Zoho `GET /crm/v8/Deals` responses read
//! from disk, or the sample set bundled into the binary.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;

use super::deal::{record_id, record_modified};
use super::{ChangeBatch, ChangePages, DealSource, ExtractError, SyncFrom};

/// The bundled sample: 460 fictitious deals in three response pages.
const BUNDLED_PAGES: [(&str, &str); 3] = [
    (
        "deals-page-1.json",
        include_str!("sample/deals-page-1.json"),
    ),
    (
        "deals-page-2.json",
        include_str!("sample/deals-page-2.json"),
    ),
    (
        "deals-page-3.json",
        include_str!("sample/deals-page-3.json"),
    ),
];

/// One page of a Records API response; `info` is read but only checked.
#[derive(Deserialize)]
struct ResponsePage {
    data: Vec<Value>,
    #[expect(dead_code, reason = "required so a file of another shape is rejected")]
    info: Value,
}

/// Reads deals from response pages on disk (or the bundled sample).
#[derive(Debug, Clone)]
pub struct FileDealSource {
    dir: Option<PathBuf>,
    batch_size: usize,
}

impl FileDealSource {
    /// The bundled sample set.
    pub fn bundled(batch_size: u32) -> Self {
        Self {
            dir: None,
            batch_size: batch_size.max(1) as usize,
        }
    }

    /// Every `*.json` page in `dir`, in file-name order.
    pub fn from_dir(dir: impl Into<PathBuf>, batch_size: u32) -> Self {
        Self {
            dir: Some(dir.into()),
            batch_size: batch_size.max(1) as usize,
        }
    }

    fn pages(&self) -> Result<Vec<(String, String)>, ExtractError> {
        let Some(dir) = &self.dir else {
            return Ok(BUNDLED_PAGES
                .iter()
                .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                .collect());
        };
        let read_error = |path: &Path, error: std::io::Error| ExtractError::File {
            path: path.to_owned(),
            message: error.to_string(),
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| read_error(dir, e))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|ext| ext == "json"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(ExtractError::File {
                path: dir.clone(),
                message: "holds no `*.json` response pages".to_owned(),
            });
        }
        paths
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).map_err(|e| read_error(&path, e))?;
                Ok((path.display().to_string(), text))
            })
            .collect()
    }
}

#[async_trait]
impl DealSource for FileDealSource {
    fn describe(&self) -> String {
        match &self.dir {
            None => "bundled sample data".to_owned(),
            Some(dir) => format!("response pages in {}", dir.display()),
        }
    }

    fn is_sample(&self) -> bool {
        true
    }

    fn source_key(&self) -> String {
        "sample".to_owned()
    }

    async fn changes(&self, from: SyncFrom) -> Result<Box<dyn ChangePages>, ExtractError> {
        let since = from.modified_since;
        let mut records = Vec::new();
        let mut skipped = 0;
        for (name, text) in self.pages()? {
            let page: ResponsePage =
                serde_json::from_str(&text).map_err(|e| ExtractError::File {
                    path: PathBuf::from(&name),
                    message: format!("is not a Zoho records response page: {e}"),
                })?;
            for record in page.data {
                if record_id(&record).is_none() {
                    skipped += 1;
                    continue;
                }
                records.push(record);
            }
        }
        // Like Zoho's If-Modified-Since: inclusive, and a record whose
        // Modified_Time cannot be read is always sent.
        records.retain(|r| match (since, record_modified(r)) {
            (Some(since), Some(modified)) => modified >= since,
            _ => true,
        });
        // Sorted as `sort_by=Modified_Time&sort_order=asc` would be, so a
        // cursor may advance after each batch.
        records.sort_by(|a, b| {
            (record_modified(a), record_id(a)).cmp(&(record_modified(b), record_id(b)))
        });
        let batches: Vec<ChangeBatch> = records
            .chunks(self.batch_size)
            .map(|chunk| ChangeBatch {
                records: chunk.to_vec(),
                deletions: Vec::new(),
                deletions_through: None,
            })
            .collect();
        Ok(Box::new(Batches {
            batches: batches.into_iter(),
            skipped,
        }))
    }
}

struct Batches {
    batches: std::vec::IntoIter<ChangeBatch>,
    skipped: u64,
}

#[async_trait]
impl ChangePages for Batches {
    async fn next_batch(&mut self) -> Result<Option<ChangeBatch>, ExtractError> {
        Ok(self.batches.next())
    }

    fn api_calls(&self) -> u64 {
        0
    }

    fn records_without_id(&self) -> u64 {
        self.skipped
    }
}
