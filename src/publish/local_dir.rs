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
        verify(&path, bytes).await
    }

    /// A hard link: files are only ever replaced by a rename, never written
    /// in place, so two names of one file cannot drift apart. Where links
    /// cannot be made (another file system), the bytes are written again.
    async fn copy(
        &self,
        from: &str,
        to: &str,
        bytes: &Content,
        content_type: &str,
    ) -> Result<(), PublishError> {
        let (source, path) = (self.root.join(from), self.root.join(to));
        let partial = path.with_extension("partial");
        let linked = async {
            if let Some(dir) = path.parent() {
                tokio::fs::create_dir_all(dir).await?;
            }
            // A partial file left by an interrupted run is not a link target.
            match tokio::fs::remove_file(&partial).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            tokio::fs::hard_link(&source, &partial).await?;
            tokio::fs::rename(&partial, &path).await
        };
        match linked.await {
            Ok(()) => verify(&path, bytes).await,
            Err(_) => self.put(to, bytes, content_type).await,
        }
    }
}

/// The file at `path` must hold as many bytes as were written.
async fn verify(path: &std::path::Path, bytes: &Content) -> Result<(), PublishError> {
    let written = tokio::fs::metadata(path)
        .await
        .map_err(|e| PublishError::Object {
            location: path.display().to_string(),
            message: e.to_string(),
        })?
        .len();
    if written != bytes.len() as u64 {
        return Err(PublishError::Verify {
            location: path.display().to_string(),
            message: format!("{written} bytes on disk, {} written", bytes.len()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn content(text: &'static str) -> Content {
        [Bytes::from_static(text.as_bytes())].into_iter().collect()
    }

    #[tokio::test]
    async fn a_copy_keeps_its_bytes_when_the_source_is_replaced() {
        let root = tempfile::tempdir().expect("temporary directory");
        let store = LocalDirStore::new(root.path());
        let (first, second) = (content("week 47\r\n"), content("week 48, longer\r\n"));
        store
            .put("2026/W47/a.csv", &first, "text/csv")
            .await
            .expect("put");
        // What an interrupted run leaves behind does not get in the way.
        std::fs::create_dir_all(root.path().join("latest")).expect("folder");
        std::fs::write(root.path().join("latest/a.partial"), "stale").expect("partial");
        store
            .copy("2026/W47/a.csv", "latest/a.csv", &first, "text/csv")
            .await
            .expect("copy");
        let read = |key: &str| std::fs::read_to_string(root.path().join(key)).expect("read");
        assert_eq!(read("latest/a.csv"), "week 47\r\n");
        assert!(!root.path().join("latest/a.partial").exists());

        store
            .put("latest/a.csv", &second, "text/csv")
            .await
            .expect("put");
        assert_eq!(read("latest/a.csv"), "week 48, longer\r\n");
        assert_eq!(read("2026/W47/a.csv"), "week 47\r\n");
    }

    #[tokio::test]
    async fn a_copy_that_does_not_match_what_was_written_is_an_error() {
        let root = tempfile::tempdir().expect("temporary directory");
        let store = LocalDirStore::new(root.path());
        store
            .put("a.csv", &content("1\r\n"), "text/csv")
            .await
            .expect("put");
        let error = store
            .copy("a.csv", "b.csv", &content("12\r\n"), "text/csv")
            .await
            .expect_err("sizes differ");
        assert!(matches!(error, PublishError::Verify { .. }), "{error}");
    }
}
