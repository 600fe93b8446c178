//! Publish: the object store and mailer ports, their adapters, and the
//! rules that hold for every adapter (key layout, manifest last).

mod local_dir;
mod message;
mod outbox;
mod s3;
mod smtp;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use lettre::address::Envelope;

pub use local_dir::LocalDirStore;
pub use message::{build_message, envelope_recipients, ops_message, recipients_key};
pub use outbox::FileOutbox;
pub use s3::S3Store;
pub use smtp::SmtpMailer;

use crate::aggregate::Period;
use crate::render::{Content, MANIFEST_NAME, OutputFile};
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
    /// An object was written but is not what was sent.
    #[error("verifying {location} after writing it: {message}")]
    Verify {
        /// The object.
        location: String,
        /// What differs.
        message: String,
    },
    /// A pre-signed link could not be made.
    #[error("making a download link to {location}: {message}")]
    Link {
        /// The object.
        location: String,
        /// What went wrong.
        message: String,
    },
    /// The mail server could not be set up from the settings.
    #[error("setting up the SMTP connection to {server}: {message}")]
    Smtp {
        /// `host:port`.
        server: String,
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
    /// Where a person browses the files of `folder` (a console or
    /// endpoint URL, a path).
    fn folder_link(&self, folder: &str) -> String {
        self.location(folder)
    }
    /// The same store, writing to `bucket` (a local directory stands in for
    /// every bucket).
    fn for_bucket(&self, bucket: &str) -> Arc<dyn ObjectStore>;
    /// Writes one object, replacing any object of the same key, and
    /// returns once it is verified in place (size and identity).
    async fn put(&self, key: &str, bytes: &Content, content_type: &str)
    -> Result<(), PublishError>;
    /// Writes `to` with the object at `from`, which holds `bytes`, and
    /// returns once it is verified in place: copied inside the store where
    /// it can, else `bytes` written again.
    async fn copy(
        &self,
        from: &str,
        to: &str,
        bytes: &Content,
        content_type: &str,
    ) -> Result<(), PublishError>;
    /// Removes an object; a missing one is no error.
    async fn delete(&self, key: &str) -> Result<(), PublishError>;
    /// A link that downloads `key` without credentials until `expiry` has
    /// passed.
    async fn share_link(&self, key: &str, expiry: Duration) -> Result<String, PublishError>;
}

/// How email leaves.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// For logs: the server or outbox.
    fn describe(&self) -> String;
    /// Hands one formatted message to the envelope's recipients; returns
    /// the server's (or outbox's) id for the delivery record.
    async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<String, PublishError>;
}

/// The `Content-Disposition` of a published file: a download under its
/// own name.
pub fn content_disposition(key: &str) -> String {
    let name = key.rsplit('/').next().unwrap_or(key);
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
        .collect();
    format!("attachment; filename=\"{safe}\"")
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

/// Uploads the files to every folder, then the manifests. A manifest
/// announces a complete set, so the old manifests are withdrawn before any
/// file changes, and the new ones are written only after every file of
/// every folder was written and verified: a failure leaves no manifest
/// rather than one that describes files that are not there.
pub async fn upload(
    store: &dyn ObjectStore,
    folders: &[String],
    files: &[OutputFile],
    manifest: &OutputFile,
) -> Result<Vec<ArtefactRecord>, PublishError> {
    for folder in folders {
        store.delete(&format!("{folder}/{MANIFEST_NAME}")).await?;
    }
    let mut records = Vec::new();
    if let Some((first, others)) = folders.split_first() {
        for file in files {
            let written = put_file(store, first, file).await?;
            // The other folders' copies are made from the object written,
            // inside the store where it can: the files go up once.
            let from = &written.object_key;
            let copies = others.iter().map(|folder| async move {
                let key = format!("{folder}/{}", file.name);
                store
                    .copy(from, &key, &file.bytes, file.content_type)
                    .await?;
                Ok::<_, PublishError>(artefact(key, file))
            });
            let copies = futures_util::future::try_join_all(copies).await?;
            records.push(written);
            records.extend(copies);
        }
    }
    for folder in folders {
        records.push(put_file(store, folder, manifest).await?);
    }
    Ok(records)
}

async fn put_file(
    store: &dyn ObjectStore,
    folder: &str,
    file: &OutputFile,
) -> Result<ArtefactRecord, PublishError> {
    let key = format!("{folder}/{}", file.name);
    store.put(&key, &file.bytes, file.content_type).await?;
    Ok(artefact(key, file))
}

fn artefact(object_key: String, file: &OutputFile) -> ArtefactRecord {
    ArtefactRecord {
        object_key,
        file_name: file.name.to_owned(),
        content_type: file.content_type.to_owned(),
        bytes: file.bytes.len() as u64,
        sha256: file.sha256.clone(),
    }
}
