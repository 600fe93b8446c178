//! OAuth credentials: the stored refresh token and the cached access token.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, StoreError, query_error};
use crate::config::Secret;
use crate::extract::{db_time, parse_timestamp};

/// An access token kept between processes.
#[derive(Debug, Clone)]
pub struct CachedAccess {
    /// The token.
    pub secret: Secret,
    /// The API domain it belongs to.
    pub api_domain: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// What is stored for one OAuth client.
#[derive(Debug, Clone, Default)]
pub struct CachedToken {
    /// The long-lived refresh token, when `zoho auth` stored one.
    pub refresh_token: Option<Secret>,
    /// The last access token issued, when its expiry is known.
    pub access: Option<CachedAccess>,
}

impl Store {
    /// The credentials stored under `key`, if any.
    pub async fn cached_token(&self, key: &str) -> Result<Option<CachedToken>, StoreError> {
        let row = sqlx::query(
            "SELECT refresh_token, access_token, api_domain, expires_at FROM oauth_tokens WHERE client_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error("reading the stored OAuth tokens"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let text = |column: &str| -> Result<Option<String>, StoreError> {
            row.try_get(column)
                .map_err(query_error("reading the stored OAuth tokens"))
        };
        let access = match (
            text("access_token")?,
            text("api_domain")?,
            text("expires_at")?,
        ) {
            (Some(token), Some(api_domain), Some(expires)) => {
                parse_timestamp(&expires).map(|expires_at| CachedAccess {
                    secret: Secret::new(token),
                    api_domain,
                    expires_at,
                })
            }
            _ => None,
        };
        Ok(Some(CachedToken {
            refresh_token: text("refresh_token")?.map(Secret::new),
            access,
        }))
    }

    /// Stores the access token just issued.
    pub async fn save_access_token(
        &self,
        key: &str,
        access: &CachedAccess,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oauth_tokens (client_key, access_token, api_domain, expires_at, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (client_key) DO UPDATE SET access_token = excluded.access_token, api_domain = excluded.api_domain, \
             expires_at = excluded.expires_at, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(access.secret.expose())
        .bind(&access.api_domain)
        .bind(db_time(access.expires_at))
        .bind(db_time(Utc::now()))
        .execute(&self.pool)
        .await
        .map_err(query_error("caching the OAuth access token"))?;
        Ok(())
    }

    /// Drops the cached access token if it is still `secret`.
    pub async fn forget_access_token(&self, key: &str, secret: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE oauth_tokens SET access_token = NULL, expires_at = NULL, updated_at = $1 WHERE client_key = $2 AND access_token = $3",
        )
        .bind(db_time(Utc::now()))
        .bind(key)
        .bind(secret)
        .execute(&self.pool)
        .await
        .map_err(query_error("dropping a rejected OAuth access token"))?;
        Ok(())
    }

    /// Stores the refresh token `zoho auth` obtained.
    pub async fn save_refresh_token(
        &self,
        key: &str,
        refresh_token: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oauth_tokens (client_key, refresh_token, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (client_key) DO UPDATE SET refresh_token = excluded.refresh_token, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(refresh_token)
        .bind(db_time(Utc::now()))
        .execute(&self.pool)
        .await
        .map_err(query_error("storing the OAuth refresh token"))?;
        Ok(())
    }
}
