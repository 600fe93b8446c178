//! What the AWS clients (S3, Secrets Manager) share: the standard
//! credential chain, a region, timeouts, and an HTTPS client on the same
//! TLS stack (rustls with ring) as every other client of the worker.

mod secrets;

use std::time::Duration;

pub use secrets::{SECRET_KEYS, SecretError, apply_secret, load_secret};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_types::timeout::TimeoutConfig;

/// The SDK configuration: credentials from the standard chain (environment,
/// profile, web identity, container or instance role), `region` when given
/// (else the chain's), and `timeout` on every attempt of every call.
pub async fn sdk_config(region: Option<&str>, timeout: Duration) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(timeout)
                .operation_attempt_timeout(timeout)
                .build(),
        );
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_owned()));
    }
    loader.load().await
}

/// An SDK error as one line: the service's code and message when it sent
/// them, else what failed (never a raw response body: it can hold data).
pub fn describe_error<E, R>(error: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            match (err.code(), err.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                _ => format!("the service answered with an error it did not name ({err})"),
            }
        }
        SdkError::ResponseError(_) => "the service's answer could not be read".to_owned(),
        SdkError::TimeoutError(_) => {
            "no answer within the time limit (HTTP_TIMEOUT_SECS)".to_owned()
        }
        _ => format!("{}", DisplayErrorContext(error)),
    }
}
