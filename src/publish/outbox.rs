//! A local outbox: each message written as an `.eml` file by lettre.

use std::path::PathBuf;

use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};

use super::{Mailer, PublishError};

/// Writes messages to `<dir>/<id>.eml` instead of sending them.
#[derive(Debug, Clone)]
pub struct FileOutbox {
    dir: PathBuf,
}

impl FileOutbox {
    /// An outbox in `dir` (created on first message).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

#[async_trait]
impl Mailer for FileOutbox {
    fn describe(&self) -> String {
        format!("outbox {}", self.dir.display())
    }

    async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<String, PublishError> {
        let error = |message: String| PublishError::Send {
            mailer: self.describe(),
            message,
        };
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| error(e.to_string()))?;
        let transport = AsyncFileTransport::<Tokio1Executor>::new(&self.dir);
        let id = transport
            .send_raw(envelope, message)
            .await
            .map_err(|e| error(e.to_string()))?;
        Ok(self.dir.join(format!("{id}.eml")).display().to_string())
    }
}
