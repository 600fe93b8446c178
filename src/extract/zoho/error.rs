//! What can go wrong talking to Zoho, each with what to do about it.

/// A failure of the Zoho client.
#[derive(Debug, thiserror::Error)]
pub enum ZohoError {
    /// Zoho answered with an error that retrying will not fix.
    #[error(
        "Zoho {endpoint} answered HTTP {status} {code}: {message}; {}",
        hint(code)
    )]
    Api {
        /// Method and path, e.g. `GET /crm/v8/Deals`.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// Zoho's error code, e.g. `NO_PERMISSION`.
        code: String,
        /// Zoho's message.
        message: String,
    },
    /// Transient failures outlasted every retry.
    #[error(
        "Zoho {endpoint} still failing after {attempts} attempts ({last}); {}",
        if *rate_limited {
            "the org's API credits or concurrent-call limit are exhausted: wait for them to renew, lower API_RATE_LIMIT_PER_HOUR, or raise SYNC_MAX_RETRIES"
        } else {
            "Zoho or a proxy in between is failing: try again later, or raise SYNC_MAX_RETRIES"
        }
    )]
    GaveUp {
        /// Method and path.
        endpoint: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure: status and what the body was.
        last: String,
        /// Whether the last failure was a 429.
        rate_limited: bool,
    },
    /// The accounts server refused to issue a token.
    #[error("Zoho accounts server {accounts_url} refused the token request: {detail}; {hint}")]
    Auth {
        /// The accounts server used.
        accounts_url: String,
        /// Zoho's answer.
        detail: String,
        /// What to do.
        hint: &'static str,
    },
    /// No refresh token is configured or stored.
    #[error(
        "no Zoho refresh token: run `pipeline-pulse zoho auth --grant-code CODE` with a self-client grant code, or set ZOHO_REFRESH_TOKEN"
    )]
    NoRefreshToken,
    /// A configured URL cannot be used.
    #[error("{setting}: `{value}` is not a usable URL: {detail}")]
    Url {
        /// The setting or response field it came from.
        setting: &'static str,
        /// The URL.
        value: String,
        /// Why.
        detail: String,
    },
    /// Paging could not make progress.
    #[error("Zoho {endpoint}: {detail}")]
    Paging {
        /// Method and path.
        endpoint: String,
        /// What happened and what to do.
        detail: String,
    },
    /// The token cache in the database failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

fn hint(code: &str) -> &'static str {
    match code {
        "INVALID_TOKEN" | "AUTHENTICATION_FAILURE" => {
            "check that ZOHO_REGION (or ZOHO_ACCOUNTS_URL/ZOHO_API_DOMAIN) is the org's data centre, or run `pipeline-pulse zoho auth` again"
        }
        "OAUTH_SCOPE_MISMATCH" => {
            "create the grant code with the scopes ZohoCRM.modules.deals.READ and ZohoCRM.settings.READ, then run `pipeline-pulse zoho auth` again"
        }
        "NO_PERMISSION" => "give the Zoho user behind the token permission to read Deals",
        "INVALID_MODULE" | "INVALID_URL_PATTERN" => {
            "check ZOHO_API_DOMAIN: it must be the org's API domain, e.g. https://www.zohoapis.eu"
        }
        _ => "see the message above; if it persists, report it with the run id",
    }
}
