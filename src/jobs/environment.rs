//! The adapters a job runs with, chosen once from configuration.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, DealSourceKind, MailerKind, ObjectStoreKind, RateSourceKind};
use crate::extract::{DealSource, FileDealSource, ZohoError, ZohoSource};
use crate::fx::{BundledRates, CurrencyFreaks, RateProvider};
use crate::publish::{
    FileOutbox, LocalDirStore, Mailer, ObjectStore, PublishError, S3Store, SmtpMailer,
};
use crate::store::{Store, StoreError};

/// Everything a job needs. Jobs see the ports, never which adapter is
/// behind them.
#[derive(Clone)]
pub struct Environment {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The database.
    pub store: Store,
    /// Where deals come from.
    pub deals: Arc<dyn DealSource>,
    /// Where rates come from.
    pub rates: Arc<dyn RateProvider>,
    /// Where files are published.
    pub objects: Arc<dyn ObjectStore>,
    /// How email leaves.
    pub mailer: Arc<dyn Mailer>,
    /// This process, in the runs it records.
    pub worker_id: String,
}

/// Why the adapters could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum EnvironmentError {
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The Zoho client could not be built.
    #[error(transparent)]
    Zoho(#[from] ZohoError),
    /// No HTTP client could be built (the TLS set-up failed).
    #[error("setting up HTTPS: {0}")]
    Http(reqwest::Error),
    /// The object store or mailer could not be set up.
    #[error(transparent)]
    Publish(#[from] PublishError),
}

impl Environment {
    /// Connects to the database and builds the configured adapters.
    pub async fn connect(config: Config) -> Result<Environment, EnvironmentError> {
        let store = Store::connect(&config.settings.database_url).await?;
        Self::with_store(config, store).await
    }

    /// Builds the configured adapters around an open database.
    pub async fn with_store(config: Config, store: Store) -> Result<Environment, EnvironmentError> {
        let settings = &config.settings;
        let deals: Arc<dyn DealSource> = match &settings.deal_source {
            DealSourceKind::Sample { dir: None } => {
                Arc::new(FileDealSource::bundled(settings.sync.batch_size))
            }
            DealSourceKind::Sample { dir: Some(dir) } => {
                Arc::new(FileDealSource::from_dir(dir, settings.sync.batch_size))
            }
            DealSourceKind::Zoho => Arc::new(ZohoSource::new(settings, store.clone())?),
        };
        let rates: Arc<dyn RateProvider> = match settings.rate_source {
            RateSourceKind::Bundled => Arc::new(BundledRates),
            RateSourceKind::CurrencyFreaks => Arc::new(CurrencyFreaks::new(
                crate::http::client(Duration::from_secs(u64::from(settings.http_timeout_secs)))
                    .map_err(EnvironmentError::Http)?,
                &settings.currency.api_url,
                settings
                    .currency
                    .api_key
                    .clone()
                    .unwrap_or_else(|| crate::config::Secret::new("")),
                settings.sync.max_retries,
                Duration::from_millis(u64::from(settings.sync.retry_base_ms)),
            )),
        };
        let objects: Arc<dyn ObjectStore> = match &settings.object_store {
            ObjectStoreKind::LocalDir { root } => Arc::new(LocalDirStore::new(root)),
            ObjectStoreKind::S3(s3) => {
                let sdk = crate::aws::sdk_config(
                    settings.aws_region.as_deref(),
                    Duration::from_secs(u64::from(settings.http_timeout_secs)),
                )
                .await;
                Arc::new(S3Store::new(&sdk, s3))
            }
        };
        let mailer: Arc<dyn Mailer> = match &settings.mailer {
            MailerKind::Outbox { dir } => Arc::new(FileOutbox::new(dir)),
            MailerKind::Smtp(smtp) => Arc::new(SmtpMailer::new(smtp)?),
        };
        Ok(Environment {
            config: Arc::new(config),
            store,
            deals,
            rates,
            objects,
            mailer,
            worker_id: uuid::Uuid::new_v4().to_string(),
        })
    }
}
