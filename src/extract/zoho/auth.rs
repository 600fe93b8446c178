//! OAuth 2.0 against Zoho Accounts with the `oauth2` crate: refresh-token
//! grant, self-client code exchange, and an access token cached in memory
//! and in the database until shortly before it expires.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    ExtraTokenFields, RedirectUrl, RefreshToken, RequestTokenError, StandardRevocableToken,
    StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use tokio::sync::Mutex;
use tracing::{info, warn};

use super::error::ZohoError;
use crate::config::Secret;
use crate::store::{CachedAccess, Store};

/// How a throttled token request is described (and recognised).
const THROTTLED: &str = "throttled by the token endpoint";

/// A token this close to its expiry is replaced before use.
const EXPIRY_MARGIN: chrono::Duration = chrono::Duration::minutes(5);

/// The fields Zoho adds to a token response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ZohoTokenFields {
    /// Where this token's API calls must go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_domain: Option<String>,
    /// An older form: the lifetime in seconds, `expires_in` then being
    /// milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_in_sec: Option<u64>,
}

impl ExtraTokenFields for ZohoTokenFields {}

type ZohoTokenResponse = StandardTokenResponse<ZohoTokenFields, BasicTokenType>;

type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    ZohoTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// An access token and where to use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The bearer credential.
    pub secret: Secret,
    /// The API domain the token belongs to, e.g. `https://www.zohoapis.eu`.
    pub api_domain: String,
    /// When Zoho stops accepting it.
    pub expires_at: DateTime<Utc>,
}

impl AccessToken {
    fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        self.expires_at - EXPIRY_MARGIN > now
    }
}

/// What the token source needs to know.
pub struct TokenSettings {
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: Secret,
    /// `ZOHO_REFRESH_TOKEN`; when absent, the one `zoho auth` stored.
    pub refresh_token: Option<Secret>,
    /// The accounts server, e.g. `https://accounts.zoho.eu`.
    pub accounts_url: String,
    /// Overrides the token response's `api_domain`.
    pub api_domain_override: Option<String>,
    /// The API domain when neither the override nor the response gives one.
    pub default_api_domain: String,
    /// `ZOHO_REDIRECT_URI`, for grant codes of a server-based client.
    pub redirect_uri: Option<String>,
    /// Retries of a token request that timed out or was throttled.
    pub max_retries: u32,
    /// The first retry's wait.
    pub backoff: Duration,
}

/// Hands out access tokens, refreshing them only when needed: Zoho issues
/// at most ten per refresh token every ten minutes.
pub struct TokenSource {
    oauth: OAuthClient,
    http: reqwest::Client,
    settings: TokenSettings,
    store: Store,
    key: String,
    cached: Mutex<Option<AccessToken>>,
}

impl TokenSource {
    /// A token source; `http` must not follow redirects.
    pub fn new(
        settings: TokenSettings,
        http: reqwest::Client,
        store: Store,
    ) -> Result<Self, ZohoError> {
        let token_url = format!(
            "{}/oauth/v2/token",
            settings.accounts_url.trim_end_matches('/')
        );
        let mut oauth = oauth2::Client::new(ClientId::new(settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                settings.client_secret.expose().to_owned(),
            ))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(
                TokenUrl::new(token_url.clone()).map_err(|e| ZohoError::Url {
                    setting: "ZOHO_ACCOUNTS_URL",
                    value: token_url.clone(),
                    detail: e.to_string(),
                })?,
            );
        if let Some(uri) = &settings.redirect_uri {
            oauth = oauth.set_redirect_uri(RedirectUrl::new(uri.clone()).map_err(|e| {
                ZohoError::Url {
                    setting: "ZOHO_REDIRECT_URI",
                    value: uri.clone(),
                    detail: e.to_string(),
                }
            })?);
        }
        // One cache entry per OAuth client and data centre.
        // A refresh token from the environment gets its own entry, so a
        // changed token (another org, a rotation) never reuses an access
        // token issued for the old one.
        let key = match &settings.refresh_token {
            Some(token) => format!(
                "zoho:{}:{}:{}",
                settings.accounts_url,
                settings.client_id,
                &hex::encode(sha2::Sha256::digest(token.expose().as_bytes()))[..16]
            ),
            None => format!("zoho:{}:{}", settings.accounts_url, settings.client_id),
        };
        Ok(Self {
            oauth,
            http,
            settings,
            store,
            key,
            cached: Mutex::new(None),
        })
    }

    /// A usable access token: the cached one, else a refreshed one.
    pub async fn access_token(&self, calls: &AtomicU64) -> Result<AccessToken, ZohoError> {
        let mut cached = self.cached.lock().await;
        let now = Utc::now();
        if let Some(token) = cached.as_ref().filter(|t| t.is_fresh(now)) {
            return Ok(token.clone());
        }
        let stored = self.store.cached_token(&self.key).await?;
        if let Some(token) = stored.as_ref().and_then(|s| s.access.clone()) {
            let token = self.access_from_cache(token);
            if token.is_fresh(now) {
                *cached = Some(token.clone());
                return Ok(token);
            }
        }
        let refresh_token = self
            .settings
            .refresh_token
            .clone()
            .or_else(|| stored.and_then(|s| s.refresh_token))
            .ok_or(ZohoError::NoRefreshToken)?;
        let grant = RefreshToken::new(refresh_token.expose().to_owned());
        let response = self
            .with_retries(calls, self.settings.max_retries, || async {
                self.oauth
                    .exchange_refresh_token(&grant)
                    .request_async(&self.http)
                    .await
            })
            .await?;
        let token = self.access_token_from(&response);
        self.store
            .save_access_token(&self.key, &self.cache_entry(&token))
            .await?;
        info!(api_domain = %token.api_domain, expires_at = %token.expires_at, "Refreshed the Zoho access token.");
        *cached = Some(token.clone());
        Ok(token)
    }

    /// Forgets `token` after Zoho rejected it, so the next call refreshes.
    pub async fn invalidate(&self, token: &AccessToken) -> Result<(), ZohoError> {
        let mut cached = self.cached.lock().await;
        if cached.as_ref() == Some(token) {
            *cached = None;
        }
        self.store
            .forget_access_token(&self.key, token.secret.expose())
            .await?;
        Ok(())
    }

    /// Exchanges a self-client grant code and stores the refresh token.
    /// Returns the API domain the org lives on.
    pub async fn exchange_grant_code(
        &self,
        calls: &AtomicU64,
        code: &str,
    ) -> Result<String, ZohoError> {
        let code = AuthorizationCode::new(code.to_owned());
        let response = self
            // A grant code works once: after a request that may have
            // reached Zoho, a retry could only answer `invalid_code`.
            .with_retries(calls, 0, || async {
                self.oauth
                    .exchange_code(code.clone())
                    .request_async(&self.http)
                    .await
            })
            .await?;
        let refresh_token = response.refresh_token().ok_or_else(|| ZohoError::Auth {
            accounts_url: self.settings.accounts_url.clone(),
            detail: "the answer holds no refresh token".to_owned(),
            hint: "create the grant code with access type offline (a self client does this), then try again",
        })?;
        let token = self.access_token_from(&response);
        self.store
            .save_refresh_token(&self.key, refresh_token.secret())
            .await?;
        self.store
            .save_access_token(&self.key, &self.cache_entry(&token))
            .await?;
        *self.cached.lock().await = Some(token.clone());
        Ok(token.api_domain)
    }

    async fn with_retries<F, Fut, RE>(
        &self,
        calls: &AtomicU64,
        retries: u32,
        request: F,
    ) -> Result<ZohoTokenResponse, ZohoError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<
                Output = Result<ZohoTokenResponse, RequestTokenError<RE, BasicErrorResponse>>,
            >,
        RE: std::error::Error + 'static,
    {
        let mut attempt = 0;
        loop {
            calls.fetch_add(1, Ordering::Relaxed);
            let failure = match request().await {
                Ok(response) => return Ok(response),
                Err(error) => self.classify(error)?,
            };
            attempt += 1;
            let throttled = failure.starts_with(THROTTLED);
            if attempt > retries {
                return Err(ZohoError::GaveUp {
                    endpoint: "POST /oauth/v2/token".to_owned(),
                    attempts: attempt,
                    last: failure,
                    rate_limited: throttled,
                });
            }
            let mut wait = crate::http::backoff(self.settings.backoff, attempt);
            if throttled {
                // Ten tokens per ten minutes: hammering only extends it.
                wait = wait.max(self.settings.backoff.saturating_mul(30));
            }
            warn!(attempt, failure = %failure, "Zoho token request failed; retrying.");
            tokio::time::sleep(wait).await;
        }
    }

    /// A retryable failure's description, or the error that ends the run.
    fn classify<RE: std::error::Error + 'static>(
        &self,
        error: RequestTokenError<RE, BasicErrorResponse>,
    ) -> Result<String, ZohoError> {
        let refused = |code: String, description: Option<String>| {
            let detail = match &description {
                Some(d) => format!("{code} ({d})"),
                None => code.clone(),
            };
            // The token endpoint's throttle: ten tokens per ten minutes.
            if code == "Access Denied"
                || description.is_some_and(|d| d.contains("too many requests"))
            {
                return Ok(format!("{THROTTLED}: {detail}"));
            }
            Err(ZohoError::Auth {
                accounts_url: self.settings.accounts_url.clone(),
                detail,
                hint: match code.as_str() {
                    "invalid_client" => {
                        "check ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET, and that ZOHO_REGION is the data centre the client was created in"
                    }
                    "invalid_code" => {
                        "the grant code or refresh token is expired, used or revoked, or belongs to another data centre: check ZOHO_REGION, then run `pipeline-pulse zoho auth --grant-code` with a new code"
                    }
                    _ => "check the Zoho client settings and run `pipeline-pulse zoho auth` again",
                },
            })
        };
        match error {
            RequestTokenError::ServerResponse(response) => refused(
                response.error().as_ref().to_owned(),
                response.error_description().cloned(),
            ),
            // Zoho may send `{"error": …}` with HTTP 200, which fails to
            // parse as a token: read it as the error it is.
            RequestTokenError::Parse(_, body) => {
                match serde_json::from_slice::<serde_json::Value>(&body) {
                    Ok(value) if value.get("error").is_some() => refused(
                        value["error"].as_str().unwrap_or("error").to_owned(),
                        value
                            .get("error_description")
                            .and_then(|d| d.as_str())
                            .map(str::to_owned),
                    ),
                    _ => Ok(format!(
                        "the answer is not a token ({} bytes that are not Zoho's JSON)",
                        body.len()
                    )),
                }
            }
            RequestTokenError::Request(e) => Ok(format!("request failed: {}", error_chain(&e))),
            RequestTokenError::Other(detail) => Ok(detail),
        }
    }

    fn access_token_from(&self, response: &ZohoTokenResponse) -> AccessToken {
        let extra = response.extra_fields();
        let lifetime = extra
            .expires_in_sec
            .map(Duration::from_secs)
            .or_else(|| response.expires_in())
            .unwrap_or(Duration::from_secs(3600));
        AccessToken {
            secret: Secret::new(response.access_token().secret().clone()),
            api_domain: self.api_domain(extra.api_domain.as_deref()),
            expires_at: Utc::now()
                + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::hours(1)),
        }
    }

    fn api_domain(&self, from_response: Option<&str>) -> String {
        self.settings
            .api_domain_override
            .as_deref()
            .or(from_response)
            .unwrap_or(&self.settings.default_api_domain)
            .trim_end_matches('/')
            .to_owned()
    }

    fn access_from_cache(&self, cached: CachedAccess) -> AccessToken {
        AccessToken {
            secret: cached.secret,
            api_domain: self.api_domain(Some(&cached.api_domain)),
            expires_at: cached.expires_at,
        }
    }

    fn cache_entry(&self, token: &AccessToken) -> CachedAccess {
        CachedAccess {
            secret: token.secret.clone(),
            api_domain: token.api_domain.clone(),
            expires_at: token.expires_at,
        }
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
