//! Amazon S3 (or an S3-compatible store) through `aws-sdk-s3`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, MetadataDirective, ServerSideEncryption,
};
use base64::Engine as _;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::{ObjectStore, PublishError, content_disposition};
use crate::aws::describe_error;
use crate::config::{Encryption, S3Settings};
use crate::render::Content;

/// Writes objects to one bucket; every object carries its content type, a
/// download disposition and the configured server-side encryption.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    endpoint_url: Option<String>,
    region: Option<String>,
    encryption: Encryption,
    multipart_threshold: u64,
    part_size: u64,
}

/// The largest object S3 copies in one request.
const MAX_COPY_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// What a key keeps as it is in a copy source: the characters of an
/// unreserved URL path, and its slashes.
const KEY_IN_PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The encryption headers, set the same way on every request type.
macro_rules! encrypt {
    ($request:expr, $encryption:expr) => {
        match $encryption {
            Encryption::BucketDefault => $request,
            Encryption::Aes256 => $request.server_side_encryption(ServerSideEncryption::Aes256),
            Encryption::Kms { key_id } => $request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(key_id),
        }
    };
}

impl S3Store {
    /// A store for `settings.bucket` (jobs may name others), with the
    /// standard credential chain.
    pub fn new(sdk: &aws_config::SdkConfig, settings: &S3Settings) -> S3Store {
        let mut config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(settings.force_path_style)
            // Checksums only where S3 requires them: S3-compatible stores
            // often refuse the newer default trailers. Single-part uploads
            // carry a SHA-256 of their own (see `put_single`).
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = &settings.endpoint_url {
            config = config.endpoint_url(endpoint);
        }
        S3Store {
            client: Client::from_conf(config.build()),
            bucket: settings.bucket.clone().unwrap_or_default(),
            endpoint_url: settings.endpoint_url.clone(),
            region: sdk.region().map(ToString::to_string),
            encryption: settings.encryption.clone(),
            multipart_threshold: settings.multipart_threshold,
            part_size: settings.part_size,
        }
    }

    fn failed(&self, key: &str, message: String) -> PublishError {
        PublishError::Object {
            location: self.location(key),
            message,
        }
    }

    /// One `PutObject` with a SHA-256 that S3 checks against the body it
    /// received; returns the ETag.
    async fn put_single(
        &self,
        key: &str,
        bytes: &Bytes,
        content_type: &str,
    ) -> Result<Option<String>, PublishError> {
        let sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes));
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_disposition(content_disposition(key))
            .checksum_sha256(sha256)
            .body(ByteStream::from(bytes.clone()));
        let output = encrypt!(request, &self.encryption)
            .send()
            .await
            .map_err(|e| self.failed(key, describe_error(&e)))?;
        Ok(output.e_tag().map(str::to_owned))
    }

    /// A multipart upload; aborted on any failure so no parts linger.
    async fn put_multipart(
        &self,
        key: &str,
        bytes: &Content,
        content_type: &str,
    ) -> Result<Option<String>, PublishError> {
        let request = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_disposition(content_disposition(key));
        let created = encrypt!(request, &self.encryption)
            .send()
            .await
            .map_err(|e| {
                self.failed(
                    key,
                    format!("starting a multipart upload: {}", describe_error(&e)),
                )
            })?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| self.failed(key, "the store returned no upload id".to_owned()))?
            .to_owned();
        let result = self.upload_parts(key, &upload_id, bytes).await;
        if result.is_err() {
            // Parts of an abandoned upload are billed until aborted.
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }

    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        bytes: &Content,
    ) -> Result<Option<String>, PublishError> {
        let part_size = usize::try_from(self.part_size).unwrap_or(usize::MAX);
        let mut parts = Vec::new();
        for (index, start) in (0..bytes.len()).step_by(part_size.max(1)).enumerate() {
            let chunk = bytes.slice(start..start.saturating_add(part_size));
            let number = i32::try_from(index + 1)
                .map_err(|_| self.failed(key, "more than 10,000 parts".to_owned()))?;
            let part = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(chunk))
                .send()
                .await
                .map_err(|e| {
                    self.failed(
                        key,
                        format!("uploading part {number}: {}", describe_error(&e)),
                    )
                })?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(part.e_tag().map(str::to_owned))
                    .build(),
            );
        }
        let completed = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                self.failed(
                    key,
                    format!("completing the multipart upload: {}", describe_error(&e)),
                )
            })?;
        Ok(completed.e_tag().map(str::to_owned))
    }

    /// A copy made inside the bucket. Type and disposition are set again
    /// rather than copied, so the copy is typed as a fresh upload would be
    /// whatever the store keeps of the source.
    async fn copy_inside(
        &self,
        from: &str,
        to: &str,
        content_type: &str,
    ) -> Result<Option<String>, PublishError> {
        let source = format!(
            "{}/{}",
            self.bucket,
            percent_encoding::utf8_percent_encode(from, KEY_IN_PATH)
        );
        let request = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(to)
            .copy_source(source)
            .metadata_directive(MetadataDirective::Replace)
            .content_type(content_type)
            .content_disposition(content_disposition(to));
        let output = encrypt!(request, &self.encryption)
            .send()
            .await
            .map_err(|e| self.failed(to, format!("copying {from}: {}", describe_error(&e))))?;
        Ok(output
            .copy_object_result()
            .and_then(|result| result.e_tag())
            .map(str::to_owned))
    }

    /// HEAD the object: it must have the size written and the ETag the
    /// write returned, so it is this write's object, whole.
    async fn verify(&self, key: &str, size: usize, etag: Option<&str>) -> Result<(), PublishError> {
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| PublishError::Verify {
                location: self.location(key),
                message: describe_error(&e),
            })?;
        let stored = head.content_length().unwrap_or(-1);
        let mismatch = if i64::try_from(size).ok() != Some(stored) {
            Some(format!(
                "the store holds {stored} bytes, {size} were written"
            ))
        } else if etag.is_some() && head.e_tag() != etag {
            Some(format!(
                "the store holds ETag {}, the write returned {}",
                head.e_tag().unwrap_or("none"),
                etag.unwrap_or("none")
            ))
        } else {
            None
        };
        match mismatch {
            Some(message) => Err(PublishError::Verify {
                location: self.location(key),
                message,
            }),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    fn describe(&self) -> String {
        match &self.endpoint_url {
            Some(endpoint) => format!("bucket {} at {endpoint}", self.bucket),
            None => format!("S3 bucket {}", self.bucket),
        }
    }

    fn location(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    fn folder_link(&self, folder: &str) -> String {
        match (&self.endpoint_url, &self.region) {
            (Some(endpoint), _) => format!("{endpoint}/{}/{folder}/", self.bucket),
            (None, region) => format!(
                "https://s3.console.aws.amazon.com/s3/buckets/{}?region={}&prefix={folder}/",
                self.bucket,
                region.as_deref().unwrap_or("us-east-1")
            ),
        }
    }

    fn for_bucket(&self, bucket: &str) -> Arc<dyn ObjectStore> {
        Arc::new(S3Store {
            bucket: bucket.to_owned(),
            ..self.clone()
        })
    }

    async fn put(
        &self,
        key: &str,
        bytes: &Content,
        content_type: &str,
    ) -> Result<(), PublishError> {
        let etag = if bytes.len() as u64 > self.multipart_threshold {
            self.put_multipart(key, bytes, content_type).await?
        } else {
            self.put_single(key, &bytes.to_bytes(), content_type)
                .await?
        };
        self.verify(key, bytes.len(), etag.as_deref()).await
    }

    async fn copy(
        &self,
        from: &str,
        to: &str,
        bytes: &Content,
        content_type: &str,
    ) -> Result<(), PublishError> {
        if bytes.len() as u64 > MAX_COPY_BYTES {
            return self.put(to, bytes, content_type).await;
        }
        match self.copy_inside(from, to, content_type).await {
            Ok(etag) => self.verify(to, bytes.len(), etag.as_deref()).await,
            // A role without s3:GetObject, or a store without CopyObject:
            // the bytes go up again.
            Err(error) => {
                tracing::warn!(%error, "Copying inside the bucket failed; uploading the file again.");
                self.put(to, bytes, content_type).await
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<(), PublishError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| self.failed(key, format!("deleting: {}", describe_error(&e))))?;
        Ok(())
    }

    async fn share_link(&self, key: &str, expiry: Duration) -> Result<String, PublishError> {
        let link_error = |message: String| PublishError::Link {
            location: self.location(key),
            message,
        };
        let presigning =
            PresigningConfig::expires_in(expiry).map_err(|e| link_error(e.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning)
            .await
            .map_err(|e| link_error(describe_error(&e)))?;
        Ok(request.uri().to_owned())
    }
}
