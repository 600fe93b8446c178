//! Settings from environment variables (and an optional `.env` file).
//!
//! Validation is pure: [`Settings::from_vars`] takes the variables as a map,
//! so tests need no process environment, and every problem is collected.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use super::{ConfigErrors, Secret};
use crate::fx::CurrencyCode;

/// Where deals come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DealSourceKind {
    /// Pages of Zoho `GET /crm/v8/Deals` responses read from files: the
    /// bundled sample when `dir` is `None`, else every `*.json` in `dir`.
    Sample { dir: Option<PathBuf> },
    /// Zoho CRM's Records API, with the credentials in [`ZohoSettings`].
    Zoho,
}

/// Where exchange rates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateSourceKind {
    /// The CurrencyFreaks snapshot bundled with the binary.
    Bundled,
    /// The CurrencyFreaks API, with `CURRENCY_API_KEY`.
    CurrencyFreaks,
}

/// Where published files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectStoreKind {
    /// A local directory laid out with the same keys as the S3 bucket.
    LocalDir { root: PathBuf },
    /// Amazon S3 or an S3-compatible store.
    S3(S3Settings),
}

/// Server-side encryption of uploaded objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    /// No encryption header: the bucket's default applies.
    BucketDefault,
    /// `AES256`: keys managed by S3.
    Aes256,
    /// `aws:kms` with this key id or ARN.
    Kms { key_id: String },
}

/// `OBJECT_STORE=s3`: how to reach the bucket and what every upload carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// `S3_BUCKET`: the bucket of jobs that name none.
    pub bucket: Option<String>,
    /// `S3_ENDPOINT_URL`: an S3-compatible store (MinIO, Ceph) instead of AWS.
    pub endpoint_url: Option<String>,
    /// `S3_FORCE_PATH_STYLE`: `host/bucket/key` addressing, which most
    /// S3-compatible stores need.
    pub force_path_style: bool,
    /// `S3_SSE` (+ `S3_SSE_KMS_KEY_ID`).
    pub encryption: Encryption,
    /// `S3_MULTIPART_THRESHOLD_BYTES`: larger files go up in parts.
    pub multipart_threshold: u64,
    /// `S3_MULTIPART_PART_BYTES`: the size of each part but the last.
    pub part_size: u64,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS; refused if the server
    /// cannot upgrade (port 587 by default).
    StartTls,
    /// TLS from the first byte (port 465 by default).
    ImplicitTls,
    /// No encryption, for a relay on the same host or network; only with
    /// `SMTP_ALLOW_PLAIN=true` (port 25 by default).
    Plain,
}

/// `MAILER=smtp`: the submission server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// `SMTP_HOST`.
    pub host: String,
    /// `SMTP_PORT`; defaults by security: 587, 465 or 25.
    pub port: u16,
    /// `SMTP_SECURITY`: `starttls` (default), `tls` or `plain`.
    pub security: SmtpSecurity,
    /// `SMTP_USERNAME`.
    pub username: Option<String>,
    /// `SMTP_PASSWORD`.
    pub password: Option<Secret>,
    /// `SMTP_TIMEOUT_SECS`: the limit on each SMTP command.
    pub timeout_secs: u32,
    /// `SMTP_CA_FILE`: PEM certificates trusted besides the public roots,
    /// for a relay with a certificate of a private CA.
    pub ca_file: Option<PathBuf>,
}

/// How email leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailerKind {
    /// `.eml` files written to a directory.
    Outbox { dir: PathBuf },
    /// An SMTP submission server.
    Smtp(SmtpSettings),
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Zoho data centre, which decides the accounts server and API domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZohoRegion {
    Us,
    Eu,
    In,
    Au,
    Cn,
    Jp,
    Ca,
    Sa,
}

impl ZohoRegion {
    const ALL: [(&'static str, ZohoRegion); 8] = [
        ("US", Self::Us),
        ("EU", Self::Eu),
        ("IN", Self::In),
        ("AU", Self::Au),
        ("CN", Self::Cn),
        ("JP", Self::Jp),
        ("CA", Self::Ca),
        ("SA", Self::Sa),
    ];
}

impl FromStr for ZohoRegion {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|(_, region)| *region)
            .ok_or(())
    }
}

/// Zoho CRM credentials and endpoints.
#[derive(Debug, Clone)]
pub struct ZohoSettings {
    /// `ZOHO_CLIENT_ID`: the OAuth client of the self-client or server app.
    pub client_id: Option<String>,
    /// `ZOHO_CLIENT_SECRET`.
    pub client_secret: Option<Secret>,
    /// `ZOHO_REFRESH_TOKEN`: long-lived token from `zoho auth`.
    pub refresh_token: Option<Secret>,
    /// `ZOHO_REGION`: data centre (US, EU, IN, AU, CN, JP, CA, SA).
    pub region: ZohoRegion,
    /// `ZOHO_ACCOUNTS_URL`: overrides the region's accounts server.
    pub accounts_url: Option<String>,
    /// `ZOHO_API_DOMAIN`: overrides the API domain.
    pub api_domain: Option<String>,
    /// `ZOHO_REDIRECT_URI`: sent with a grant code of a server-based client.
    pub redirect_uri: Option<String>,
}

/// CurrencyFreaks access and the rate cache.
#[derive(Debug, Clone)]
pub struct CurrencySettings {
    /// `CURRENCY_API_KEY`.
    pub api_key: Option<Secret>,
    /// `CURRENCY_API_URL`.
    pub api_url: String,
    /// `CURRENCY_CACHE_DAYS`: a stored rate set younger than this is reused.
    pub cache_days: u32,
}

/// Extraction limits.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// `SYNC_BATCH_SIZE`: records per page (at most 200).
    pub batch_size: u32,
    /// `SYNC_MAX_RETRIES`: retries of a transient failure before the run fails.
    pub max_retries: u32,
    /// `API_RATE_LIMIT_PER_HOUR`: calls to Zoho per rolling hour.
    pub rate_limit_per_hour: u32,
    /// `SYNC_RETRY_BASE_MS`: the first retry's wait; later ones double.
    pub retry_base_ms: u32,
}

/// Every setting the worker reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`: `sqlite://…` or `postgres://…`; defaults to a SQLite
    /// file in `DATA_DIR`.
    pub database_url: String,
    /// `DATA_DIR`: local state (the default SQLite database).
    pub data_dir: PathBuf,
    /// `JOBS_DIR`: one TOML file per job.
    pub jobs_dir: PathBuf,
    /// `REPORTS_DIR`: report definitions.
    pub reports_dir: PathBuf,
    /// `BASE_CURRENCY`: every amount is reported in it.
    pub base_currency: CurrencyCode,
    /// `HOME_CURRENCY`: the CRM org's home currency, applied to deals whose
    /// `Currency` is empty; defaults to the base currency.
    pub home_currency: CurrencyCode,
    /// `DEAL_SOURCE` (+ `SAMPLE_DATA_DIR`).
    pub deal_source: DealSourceKind,
    /// `RATE_SOURCE`.
    pub rate_source: RateSourceKind,
    /// `OBJECT_STORE` (+ `LOCAL_STORE_DIR`).
    pub object_store: ObjectStoreKind,
    /// `MAILER` (+ `OUTBOX_DIR`).
    pub mailer: MailerKind,
    /// `DRY_RUN_DIR`: where `--dry-run` writes its outputs.
    pub dry_run_dir: PathBuf,
    /// Zoho CRM settings.
    pub zoho: ZohoSettings,
    /// `HTTP_TIMEOUT_SECS`: the limit on every HTTP call, token requests included.
    pub http_timeout_secs: u32,
    /// `OPS_ADDR`: where `serve` answers `/healthz` and `/metrics`.
    pub ops_addr: std::net::SocketAddr,
    /// `SHUTDOWN_GRACE_SECS`: how long `serve` lets a run finish after
    /// SIGTERM before recording it as interrupted.
    pub shutdown_grace_secs: u32,
    /// CurrencyFreaks settings.
    pub currency: CurrencySettings,
    /// Extraction limits.
    pub sync: SyncSettings,
    /// `AWS_REGION`.
    pub aws_region: Option<String>,
    /// `LOG_LEVEL`: a `tracing` filter such as `info` or `pipeline_pulse=debug`.
    pub log_level: String,
    /// `LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
    /// `PDF_FALLBACK_FONT`: a TrueType font file whose glyphs are used for
    /// the characters the embedded DejaVu Sans lacks (CJK deal names).
    pub pdf_fallback_font: Option<PathBuf>,
}

/// Reads variables by name, recording each problem with the variable's name.
struct Vars<'a> {
    vars: &'a BTreeMap<String, String>,
    errors: ConfigErrors,
}

impl Vars<'_> {
    /// A set, non-blank variable.
    fn get(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn path(&self, name: &str, default: &str) -> PathBuf {
        PathBuf::from(self.get(name).unwrap_or_else(|| default.to_owned()))
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        self.get(name).map(Secret::new)
    }

    /// An `http(s)://` URL without a trailing slash.
    fn url(&mut self, name: &str) -> Option<String> {
        let value = self.get(name)?;
        if value.starts_with("https://") || value.starts_with("http://") {
            Some(value.trim_end_matches('/').to_owned())
        } else {
            self.errors.push(
                name,
                format!("`{value}` is not an http(s) URL, e.g. https://accounts.zoho.eu"),
            );
            None
        }
    }

    fn flag(&mut self, name: &str) -> bool {
        match self.get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                self.errors
                    .push(name, format!("`{other}` is not true or false"));
                false
            }
        }
    }

    fn bytes(&mut self, name: &str, default: u64, min: u64) -> u64 {
        let Some(raw) = self.get(name) else {
            return default;
        };
        match raw.parse::<u64>() {
            Ok(n) if n >= min => n,
            _ => {
                self.errors.push(
                    name,
                    format!("`{raw}` is not a whole number of bytes of at least {min}"),
                );
                default
            }
        }
    }

    fn number(&mut self, name: &str, default: u32, range: std::ops::RangeInclusive<u32>) -> u32 {
        let Some(raw) = self.get(name) else {
            return default;
        };
        match raw.parse::<u32>() {
            Ok(n) if range.contains(&n) => n,
            _ => {
                self.errors.push(
                    name,
                    format!(
                        "`{raw}` is not a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                );
                default
            }
        }
    }

    fn currency(&mut self, name: &str, default: CurrencyCode) -> CurrencyCode {
        let Some(raw) = self.get(name) else {
            return default;
        };
        CurrencyCode::parse(&raw).unwrap_or_else(|| {
            self.errors.push(
                name,
                format!("`{raw}` is not an ISO 4217 currency code (for example SGD, USD, EUR)"),
            );
            default
        })
    }

    /// One of a fixed set of words; the first is the default.
    fn choice<'c>(&mut self, name: &str, choices: &[&'c str]) -> &'c str {
        let default = choices[0];
        let Some(raw) = self.get(name) else {
            return default;
        };
        match choices.iter().find(|c| c.eq_ignore_ascii_case(&raw)) {
            Some(found) => found,
            None => {
                self.errors.push(
                    name,
                    format!("`{raw}` is not one of: {}", choices.join(", ")),
                );
                default
            }
        }
    }
}

impl Settings {
    /// Validates the variables without any I/O.
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Settings, ConfigErrors> {
        let mut v = Vars {
            vars,
            errors: ConfigErrors::default(),
        };
        let data_dir = v.path("DATA_DIR", "data");
        let database_url = v.get("DATABASE_URL").unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("pipeline-pulse.db").display()
            )
        });
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            v.errors.push(
                "DATABASE_URL",
                "must start with `sqlite:` or `postgres://` (the value is not shown: it may hold a password)",
            );
        }
        let base_currency = v.currency("BASE_CURRENCY", CurrencyCode::SGD);
        let home_currency = v.currency("HOME_CURRENCY", base_currency);

        let deal_source = match v.choice("DEAL_SOURCE", &["sample", "zoho"]) {
            "zoho" => {
                for required in ["ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET"] {
                    if v.get(required).is_none() {
                        v.errors.push(
                            required,
                            "is required when DEAL_SOURCE=zoho (the Zoho API console's self client shows it)",
                        );
                    }
                }
                DealSourceKind::Zoho
            }
            _ => DealSourceKind::Sample {
                dir: v.get("SAMPLE_DATA_DIR").map(PathBuf::from),
            },
        };
        let rate_source = match v.choice("RATE_SOURCE", &["bundled", "currencyfreaks"]) {
            "currencyfreaks" => {
                if v.get("CURRENCY_API_KEY").is_none() {
                    v.errors.push(
                        "CURRENCY_API_KEY",
                        "is required when RATE_SOURCE=currencyfreaks (the key of the CurrencyFreaks dashboard)",
                    );
                }
                RateSourceKind::CurrencyFreaks
            }
            _ => RateSourceKind::Bundled,
        };
        let object_store = match v.choice("OBJECT_STORE", &["local", "s3"]) {
            "s3" => ObjectStoreKind::S3(s3_settings(&mut v)),
            _ => ObjectStoreKind::LocalDir {
                root: v.path("LOCAL_STORE_DIR", "out/bucket"),
            },
        };
        let mailer = match v.choice("MAILER", &["outbox", "smtp"]) {
            "smtp" => MailerKind::Smtp(smtp_settings(&mut v)),
            _ => MailerKind::Outbox {
                dir: v.path("OUTBOX_DIR", "out/outbox"),
            },
        };

        let region_raw = v.get("ZOHO_REGION").unwrap_or_else(|| "US".to_owned());
        let region = region_raw.parse().unwrap_or_else(|()| {
            v.errors.push(
                "ZOHO_REGION",
                format!(
                    "`{region_raw}` is not a Zoho data centre (US, EU, IN, AU, CN, JP, CA, SA)"
                ),
            );
            ZohoRegion::Us
        });
        let zoho = ZohoSettings {
            client_id: v.get("ZOHO_CLIENT_ID"),
            client_secret: v.secret("ZOHO_CLIENT_SECRET"),
            refresh_token: v.secret("ZOHO_REFRESH_TOKEN"),
            region,
            accounts_url: v.url("ZOHO_ACCOUNTS_URL"),
            api_domain: v.url("ZOHO_API_DOMAIN"),
            redirect_uri: v.url("ZOHO_REDIRECT_URI"),
        };
        let currency = CurrencySettings {
            api_key: v.secret("CURRENCY_API_KEY"),
            api_url: v
                .url("CURRENCY_API_URL")
                .unwrap_or_else(|| "https://api.currencyfreaks.com/v2.0".to_owned()),
            cache_days: v.number("CURRENCY_CACHE_DAYS", 1, 0..=365),
        };
        let sync = SyncSettings {
            batch_size: v.number("SYNC_BATCH_SIZE", 200, 1..=200),
            max_retries: v.number("SYNC_MAX_RETRIES", 5, 0..=20),
            rate_limit_per_hour: v.number("API_RATE_LIMIT_PER_HOUR", 1000, 1..=1_000_000),
            retry_base_ms: v.number("SYNC_RETRY_BASE_MS", 1000, 1..=60_000),
        };
        let http_timeout_secs = v.number("HTTP_TIMEOUT_SECS", 30, 1..=600);
        let shutdown_grace_secs = v.number("SHUTDOWN_GRACE_SECS", 240, 0..=86_400);
        let ops_raw = v
            .get("OPS_ADDR")
            .unwrap_or_else(|| "0.0.0.0:9464".to_owned());
        let ops_addr = ops_raw.parse().unwrap_or_else(|_| {
            v.errors.push(
                "OPS_ADDR",
                format!("`{ops_raw}` is not an address and port, e.g. 0.0.0.0:9464"),
            );
            std::net::SocketAddr::from(([0, 0, 0, 0], 9464))
        });
        let log_format = match v.choice("LOG_FORMAT", &["text", "json"]) {
            "json" => LogFormat::Json,
            _ => LogFormat::Text,
        };
        let settings = Settings {
            database_url,
            jobs_dir: v.path("JOBS_DIR", "jobs"),
            reports_dir: v.path("REPORTS_DIR", "reports"),
            dry_run_dir: v.path("DRY_RUN_DIR", "out/dry-run"),
            data_dir,
            base_currency,
            home_currency,
            deal_source,
            rate_source,
            object_store,
            mailer,
            zoho,
            http_timeout_secs,
            shutdown_grace_secs,
            ops_addr,
            currency,
            sync,
            aws_region: v.get("AWS_REGION"),
            log_level: v.get("LOG_LEVEL").unwrap_or_else(|| "info".to_owned()),
            log_format,
            pdf_fallback_font: v.get("PDF_FALLBACK_FONT").map(PathBuf::from),
        };
        v.errors.into_result(settings)
    }
}

/// Multipart uploads below 5 MiB parts are refused by S3.
const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

fn s3_settings(v: &mut Vars<'_>) -> S3Settings {
    let encryption = match v.choice("S3_SSE", &["none", "AES256", "aws:kms"]) {
        "AES256" => Encryption::Aes256,
        "aws:kms" => match v.get("S3_SSE_KMS_KEY_ID") {
            Some(key_id) => Encryption::Kms { key_id },
            None => {
                v.errors.push(
                    "S3_SSE_KMS_KEY_ID",
                    "is required when S3_SSE=aws:kms (the KMS key's id, ARN or alias)",
                );
                Encryption::BucketDefault
            }
        },
        _ => Encryption::BucketDefault,
    };
    S3Settings {
        bucket: v.get("S3_BUCKET"),
        endpoint_url: v.url("S3_ENDPOINT_URL"),
        force_path_style: v.flag("S3_FORCE_PATH_STYLE"),
        encryption,
        multipart_threshold: v.bytes("S3_MULTIPART_THRESHOLD_BYTES", 16 * 1024 * 1024, 1),
        part_size: v.bytes("S3_MULTIPART_PART_BYTES", 8 * 1024 * 1024, MIN_PART_SIZE),
    }
}

fn smtp_settings(v: &mut Vars<'_>) -> SmtpSettings {
    let security = match v.choice("SMTP_SECURITY", &["starttls", "tls", "plain"]) {
        "tls" => SmtpSecurity::ImplicitTls,
        "plain" => {
            if !v.flag("SMTP_ALLOW_PLAIN") {
                v.errors.push(
                    "SMTP_SECURITY",
                    "`plain` sends mail and passwords unencrypted: set SMTP_ALLOW_PLAIN=true as well, and only for a relay on a trusted network",
                );
            }
            SmtpSecurity::Plain
        }
        _ => SmtpSecurity::StartTls,
    };
    let host = v.get("SMTP_HOST").unwrap_or_else(|| {
        v.errors.push(
            "SMTP_HOST",
            "is required when MAILER=smtp (e.g. smtp.example.com)",
        );
        String::new()
    });
    let default_port: u16 = match security {
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::ImplicitTls => 465,
        SmtpSecurity::Plain => 25,
    };
    let port = v.number("SMTP_PORT", u32::from(default_port), 1..=65_535);
    let username = v.get("SMTP_USERNAME");
    let password = v.secret("SMTP_PASSWORD");
    if username.is_some() != password.is_some() {
        v.errors.push(
            if username.is_some() { "SMTP_PASSWORD" } else { "SMTP_USERNAME" },
            "SMTP_USERNAME and SMTP_PASSWORD go together: set both, or neither for a server without authentication",
        );
    }
    SmtpSettings {
        host,
        port: u16::try_from(port).unwrap_or(default_port),
        security,
        username,
        password,
        timeout_secs: v.number("SMTP_TIMEOUT_SECS", 30, 1..=600),
        ca_file: v.get("SMTP_CA_FILE").map(PathBuf::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_vars as vars;

    #[test]
    fn defaults_need_no_variables() {
        let settings = Settings::from_vars(&BTreeMap::new()).expect("defaults are valid");
        assert_eq!(settings.base_currency, CurrencyCode::SGD);
        assert_eq!(
            settings.database_url,
            "sqlite://data/pipeline-pulse.db?mode=rwc"
        );
        assert_eq!(settings.deal_source, DealSourceKind::Sample { dir: None });
    }

    #[test]
    fn every_bad_variable_is_reported_by_name() {
        let errors = Settings::from_vars(&vars(&[
            ("BASE_CURRENCY", "XXQ"),
            ("SYNC_BATCH_SIZE", "500"),
            ("ZOHO_REGION", "MARS"),
            ("DEAL_SOURCE", "excel"),
            ("DATABASE_URL", "mysql://user:hunter2@db/x"),
        ]))
        .expect_err("invalid");
        let locations = errors.locations();
        assert_eq!(
            locations,
            [
                "DATABASE_URL",
                "BASE_CURRENCY",
                "DEAL_SOURCE",
                "ZOHO_REGION",
                "SYNC_BATCH_SIZE"
            ]
        );
        assert!(!errors.to_string().contains("hunter2"));
    }

    #[test]
    fn s3_and_smtp_settings_are_validated_together() {
        let errors = Settings::from_vars(&vars(&[
            ("OBJECT_STORE", "s3"),
            ("S3_SSE", "aws:kms"),
            ("S3_MULTIPART_PART_BYTES", "1024"),
            ("MAILER", "smtp"),
            ("SMTP_SECURITY", "plain"),
            ("SMTP_USERNAME", "reports"),
        ]))
        .expect_err("invalid");
        let locations = errors.locations();
        assert_eq!(
            locations,
            [
                "S3_SSE_KMS_KEY_ID",
                "S3_MULTIPART_PART_BYTES",
                "SMTP_SECURITY",
                "SMTP_HOST",
                "SMTP_PASSWORD"
            ]
        );
        let settings = Settings::from_vars(&vars(&[
            ("MAILER", "smtp"),
            ("SMTP_HOST", "relay.internal"),
            ("SMTP_SECURITY", "plain"),
            ("SMTP_ALLOW_PLAIN", "true"),
        ]))
        .expect("valid");
        let MailerKind::Smtp(smtp) = settings.mailer else {
            panic!("smtp expected");
        };
        assert_eq!((smtp.security, smtp.port), (SmtpSecurity::Plain, 25));
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let settings =
            Settings::from_vars(&vars(&[("ZOHO_CLIENT_SECRET", "s3cr3t-value")])).expect("valid");
        assert!(!format!("{settings:?}").contains("s3cr3t-value"));
    }
}
