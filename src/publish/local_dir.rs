//! A local directory standing in for the bucket, with the same keys.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::{ObjectStore, PublishError};
use crate::render::Content;

/// Writes objects as files under `root`, a key's slashes as directories.
#[derive(Debug, Clone)]
pub struct LocalDirStore {
    root: PathBuf,
}

impl LocalDirStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

#[async_trait]
impl ObjectStore for LocalDirStore {
    fn describe(&self) -> String {
        format!("local directory {}", self.root.display())
    }

    fn location(&self, key: &str) -> String {
        self.root.join(key).display().to_string()
    }

    fn for_bucket(&self, _bucket: &str) -> Arc<dyn ObjectStore> {
        Arc::new(self.clone())
    }

    async fn delete(&self, key: &str) -> Result<(), PublishError> {
        let path = self.root.join(key);
        match tokio::fs::remove_file(&path).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(PublishError::Object {
                location: path.display().to_string(),
                message: e.to_string(),
            }),
            _ => Ok(()),
        }
    }

    async fn share_link(&self, key: &str, _expiry: Duration) -> Result<String, PublishError> {
        // A local file needs no signature; the path is the link.
        Ok(format!("file://{}", self.location(key)))
    }

    async fn put(
        &self,
        key: &str,
        bytes: &Content,
        _content_type: &str,
    ) -> Result<(), PublishError> {
        let path = self.root.join(key);
        let error = |e: std::io::Error| PublishError::Object {
            location: path.display().to_string(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(error)?;
        }
        // Write aside and rename, so a reader never sees half a file.
        let partial = path.with_extension("partial");
        // A clone of the content shares its blocks.
        let (target, data) = (partial.clone(), bytes.clone());
        tokio::task::spawn_blocking(move || {
            let mut file = std::fs::File::create(target)?;
            data.blocks()
                .iter()
                .try_for_each(|block| file.write_all(block))
        })
        .await
        .map_err(|e| error(std::io::Error::other(e)))?
        .map_err(error)?;
        tokio::fs::rename(&partial, &path).await.map_err(error)?;
        let written = tokio::fs::metadata(&path).await.map_err(error)?.len();
        if written != bytes.len() as u64 {
            return Err(PublishError::Verify {
                location: path.display().to_string(),
                message: format!("{written} bytes on disk, {} written", bytes.len()),
            });
        }
        Ok(())
    }
}
