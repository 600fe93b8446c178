//! The Zoho CRM deal source: OAuth, Records API v8 with `page_token`
//! paging, incremental sync and deletions.

mod api;
mod auth;
mod error;
mod limiter;
mod pass;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use async_trait::async_trait;

pub use api::zoho_time;
pub use error::ZohoError;
pub use pass::FIELDS;

use self::api::Api;
use self::auth::{TokenSettings, TokenSource};
use self::limiter::RollingLimit;
use self::pass::ZohoPass;
use super::{ChangePages, DealSource, ExtractError, SyncFrom};
use crate::config::{Settings, ZohoRegion};
use crate::store::Store;

impl ZohoRegion {
    /// The data centre's accounts server.
    pub fn accounts_url(self) -> &'static str {
        match self {
            Self::Us => "https://accounts.zoho.com",
            Self::Eu => "https://accounts.zoho.eu",
            Self::In => "https://accounts.zoho.in",
            Self::Au => "https://accounts.zoho.com.au",
            Self::Cn => "https://accounts.zoho.com.cn",
            Self::Jp => "https://accounts.zoho.jp",
            Self::Ca => "https://accounts.zohocloud.ca",
            Self::Sa => "https://accounts.zoho.sa",
        }
    }

    /// The data centre's API domain.
    pub fn api_domain(self) -> &'static str {
        match self {
            Self::Us => "https://www.zohoapis.com",
            Self::Eu => "https://www.zohoapis.eu",
            Self::In => "https://www.zohoapis.in",
            Self::Au => "https://www.zohoapis.com.au",
            Self::Cn => "https://www.zohoapis.com.cn",
            Self::Jp => "https://www.zohoapis.jp",
            Self::Ca => "https://www.zohoapis.ca",
            Self::Sa => "https://www.zohoapis.sa",
        }
    }
}

/// Deals from Zoho CRM.
pub struct ZohoSource {
    api: Arc<Api>,
    tokens_for_auth: Arc<TokenSource>,
    accounts_url: String,
    per_page: u32,
}

impl ZohoSource {
    /// A source built from the settings; the database caches tokens.
    pub fn new(settings: &Settings, store: Store) -> Result<Self, ZohoError> {
        let zoho = &settings.zoho;
        let accounts_url = zoho
            .accounts_url
            .clone()
            .unwrap_or_else(|| zoho.region.accounts_url().to_owned());
        let timeout = Duration::from_secs(u64::from(settings.http_timeout_secs));
        let http = crate::http::client(timeout).map_err(|e| ZohoError::Url {
            setting: "HTTP_TIMEOUT_SECS",
            value: settings.http_timeout_secs.to_string(),
            detail: e.to_string(),
        })?;
        let backoff = Duration::from_millis(u64::from(settings.sync.retry_base_ms));
        let token_settings = TokenSettings {
            client_id: zoho.client_id.clone().unwrap_or_default(),
            client_secret: zoho
                .client_secret
                .clone()
                .unwrap_or_else(|| crate::config::Secret::new("")),
            refresh_token: zoho.refresh_token.clone(),
            accounts_url: accounts_url.clone(),
            api_domain_override: zoho.api_domain.clone(),
            default_api_domain: zoho.region.api_domain().to_owned(),
            redirect_uri: zoho.redirect_uri.clone(),
            max_retries: settings.sync.max_retries,
            backoff,
        };
        let tokens = Arc::new(TokenSource::new(token_settings, http.clone(), store)?);
        let api = Api::new(
            http,
            Arc::clone(&tokens),
            RollingLimit::per_hour(settings.sync.rate_limit_per_hour),
            settings.sync.max_retries,
            backoff,
        );
        Ok(Self {
            api: Arc::new(api),
            tokens_for_auth: tokens,
            accounts_url,
            per_page: settings.sync.batch_size,
        })
    }

    /// Exchanges a self-client grant code and stores the refresh token;
    /// returns the org's API domain and the HTTP requests made.
    pub async fn authorize(&self, grant_code: &str) -> Result<(String, u64), ZohoError> {
        let calls = AtomicU64::new(0);
        let domain = self
            .tokens_for_auth
            .exchange_grant_code(&calls, grant_code)
            .await?;
        Ok((domain, calls.into_inner()))
    }
}

#[async_trait]
impl DealSource for ZohoSource {
    fn describe(&self) -> String {
        format!("Zoho CRM via {}", self.accounts_url)
    }

    fn is_sample(&self) -> bool {
        false
    }

    fn source_key(&self) -> String {
        "zoho".to_owned()
    }

    async fn changes(&self, from: SyncFrom) -> Result<Box<dyn ChangePages>, ExtractError> {
        Ok(Box::new(ZohoPass::new(
            Arc::clone(&self.api),
            self.per_page,
            from,
        )))
    }
}
