//! Publish: the object store and mailer ports, their adapters, and the
//! rules that hold for every adapter (key layout, manifest last).

mod local_dir;
mod message;
mod outbox;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

pub use local_dir::LocalDirStore;
pub use message::{build_message, recipients_key};
pub use outbox::FileOutbox;

use crate::aggregate::Period;
use crate::render::OutputFile;
use crate::store::ArtefactRecord;

/// Why publishing failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Writing an object failed.
    #[error("writing {location}: {message}")]
    Object {
        /// Where it was going.
        location: String,
        /// What went wrong.
        message: String,
    },
    /// Building the email failed.
    #[error("building the email: {0}")]
    Message(String),
    /// Sending the email failed.
    #[error("sending the email through {mailer}: {message}")]
    Send {
        /// The mailer.
        mailer: String,
        /// What went wrong.
        message: String,
    },
}

/// Where published files go: a bucket, or a directory laid out like one.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// For logs: the bucket or directory.
    fn describe(&self) -> String;
    /// The address of `key` that people can use (`s3://…`, a path).
    fn location(&self, key: &str) -> String;
    /// Writes one object, replacing any object of the same key.
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> Result<(), PublishError>;
}

/// How email leaves.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// For logs: the server or outbox.
    fn describe(&self) -> String;
    /// Sends one message; returns an id for the delivery record.
    async fn send(&self, message: lettre::Message) -> Result<String, PublishError>;
}

/// The folder of a period: `<prefix>/<job>/<YYYY>/<period>`.
pub fn period_folder(prefix: &str, job: &str, period: &Period) -> String {
    join_key(
        prefix,
        &format!("{job}/{}/{}", period.year(), period.short_label()),
    )
}

/// The folder of the newest set: `<prefix>/<job>/latest`.
pub fn latest_folder(prefix: &str, job: &str) -> String {
    join_key(prefix, &format!("{job}/latest"))
}

fn join_key(prefix: &str, rest: &str) -> String {
    if prefix.is_empty() {
        rest.to_owned()
    } else {
        format!("{prefix}/{rest}")
    }
}

/// Uploads the files, then the manifest, to the period folder and then to
/// the `latest` folder. The manifest of a folder is written only after all
/// of its files, so a manifest always announces a complete set.
pub async fn upload(
    store: &dyn ObjectStore,
    folders: &[String],
    files: &[OutputFile],
    manifest: &OutputFile,
) -> Result<Vec<ArtefactRecord>, PublishError> {
    let mut records = Vec::new();
    for folder in folders {
        for file in files.iter().chain(std::iter::once(manifest)) {
            let key = format!("{folder}/{}", file.name);
            store.put(&key, &file.bytes, file.content_type).await?;
            records.push(ArtefactRecord {
                object_key: key,
                file_name: file.name.to_owned(),
                content_type: file.content_type.to_owned(),
                bytes: file.bytes.len() as u64,
                sha256: hex::encode(Sha256::digest(&file.bytes)),
            });
        }
    }
    Ok(records)
}
