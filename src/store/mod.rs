//! Storage with sqlx: SQLite by default, PostgreSQL for production. One
//! schema, written in SQL both accept; each has its own migrations.

mod artefacts;
mod deals;
mod rates;
mod runs;
mod ticks;
mod tokens;

use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;

pub use artefacts::{ArtefactRecord, DeliveryKey};
pub use deals::{BatchOutcome, SyncState, VersionAt, VersionBatch};
pub use runs::{RunFinish, RunRecord, RunStatus, RunTotals};
pub use ticks::TickState;
pub use tokens::{CachedAccess, CachedToken};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A local SQLite file.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or opened.
    #[error(
        "cannot open the database at {target}: {source}. Check DATABASE_URL and that the server is running"
    )]
    Connect {
        /// The URL without its password.
        target: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("cannot apply the database migrations to {target}: {source}")]
    Migrate {
        /// The URL without its password.
        target: String,
        /// The migrator's error.
        source: sqlx::migrate::MigrateError,
    },
    /// A query failed.
    #[error("database error while {action}: {source}")]
    Query {
        /// What was being done.
        action: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// Stored data could not be read back.
    #[error("corrupt stored data while {action}: {detail}")]
    Corrupt {
        /// What was being done.
        action: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The database already holds deals of another source.
    #[error(
        "the database holds deals from `{stored}`, not from `{configured}`; use another database (DATABASE_URL) so the two never mix"
    )]
    SourceMismatch {
        /// The source already stored.
        stored: String,
        /// The configured source.
        configured: String,
    },
}

/// Wraps a driver error with what was being done.
pub(crate) fn query_error(action: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { action, source }
}

/// The database, migrated and ready.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// A database URL with any password replaced, safe to print.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Connects (creating a SQLite file and its directory if needed) and
    /// applies the migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let target = redact_url(url);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        if backend == Backend::Sqlite {
            create_sqlite_dir(url).map_err(|source| StoreError::Connect {
                target: target.clone(),
                source: sqlx::Error::Io(source),
            })?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 1 } else { 5 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Write-ahead log: a commit is one append, not a
                        // journal rewritten and synced three times, and
                        // readers (`runs`, a report) never wait for a sync.
                        // NORMAL syncs at checkpoints: a killed process
                        // loses nothing committed; a power cut may lose the
                        // last commits whole, cursor included, so the next
                        // sync reads them again.
                        // Switching to WAL takes a lock that SQLite's busy
                        // timeout does not wait for: another process opening
                        // the same new file at this moment makes it fail, so
                        // try again for a few seconds.
                        let mut attempts = 0;
                        loop {
                            let mode: String = sqlx::query_scalar("PRAGMA journal_mode = WAL")
                                .fetch_one(&mut *connection)
                                .await
                                .unwrap_or_default();
                            attempts += 1;
                            if mode.eq_ignore_ascii_case("wal") || attempts >= 50 {
                                break;
                            }
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *connection)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(|source| StoreError::Connect {
                target: target.clone(),
                source,
            })?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        // SQLite has no migration lock: two processes opening a new file
        // at once (`serve` starting while `runs` is typed) can collide, and
        // the one that loses finds the work done when it tries again.
        let mut attempt = 0;
        loop {
            match migrator.run(&pool).await {
                Ok(()) => break,
                Err(_) if backend == Backend::Sqlite && attempt < 5 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                }
                Err(source) => return Err(StoreError::Migrate { target, source }),
            }
        }
        Ok(Store { pool, backend })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates the directory of a `sqlite://path?…` URL's file.
fn create_sqlite_dir(url: &str) -> std::io::Result<()> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    match std::path::Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db.internal:5432/pulse"),
            "postgres://app:***@db.internal:5432/pulse"
        );
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
