//! Shared test helpers: a workspace with the shipped configuration, the
//! binary, and fresh databases.

pub mod currencyfreaks_fake;
pub mod loopback;
pub mod moto;
pub mod reports;
pub mod s3_proxy;
pub mod smtp;
pub mod synthetic;
pub mod zoho_fake;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pipeline_pulse::store::Store;
use sqlx::Connection;

/// The PostgreSQL server `.ci/test` starts.
const DEFAULT_TEST_DATABASE_URL: &str =
    "postgres://pipeline_pulse:pipeline_pulse@127.0.0.1:5432/pipeline_pulse_test";

/// A temporary directory holding copies of `jobs/` and `reports/`.
pub struct Workspace {
    dir: tempfile::TempDir,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create directory");
    for entry in std::fs::read_dir(from).expect("read directory") {
        let path = entry.expect("directory entry").path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().expect("file name"))).expect("copy file");
        }
    }
}

impl Workspace {
    /// A workspace with the shipped jobs and reports.
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("temporary directory");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        copy_dir(&root.join("jobs"), &dir.path().join("jobs"));
        copy_dir(&root.join("reports"), &dir.path().join("reports"));
        Workspace { dir }
    }

    /// The workspace directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the workspace.
    pub fn join(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Writes a file inside the workspace.
    pub fn write(&self, relative: &str, content: &str) {
        let path = self.join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create directory");
        std::fs::write(path, content).expect("write file");
    }

    /// The binary, run in the workspace with a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pipeline-pulse"));
        command
            .args(args)
            .current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LOG_LEVEL", "warn");
        command
    }

    /// Runs the binary with extra variables.
    pub fn run(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut command = self.command(args);
        for (key, value) in vars {
            command.env(key, value);
        }
        command.output().expect("run pipeline-pulse")
    }

    /// Reads a file of the workspace.
    pub fn read(&self, relative: &str) -> Vec<u8> {
        std::fs::read(self.join(relative)).unwrap_or_else(|e| panic!("reading {relative}: {e}"))
    }

    /// Runs `query` on the worker's SQLite database in this workspace.
    pub fn database<T>(&self, query: impl AsyncFnOnce(&mut sqlx::SqliteConnection) -> T) -> T {
        let url = format!("sqlite://{}", self.join("data/pipeline-pulse.db").display());
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(async {
                let mut db = sqlx::SqliteConnection::connect(&url)
                    .await
                    .expect("open the worker's database");
                query(&mut db).await
            })
    }

    /// Files directly in a directory of the workspace, sorted.
    pub fn files_in(&self, relative: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.join(relative))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// Standard output and error of a run, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A URL of a fresh, empty schema in the test PostgreSQL database.
pub async fn postgres_url() -> String {
    let base =
        std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_owned());
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut connection = sqlx::PgConnection::connect(&base).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is needed at TEST_DATABASE_URL ({e}); `.ci/test` starts it and runs the tests")
    });
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut connection)
        .await
        .expect("create a test schema");
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options=-c%20search_path%3D{schema}")
}

/// A migrated store on a fresh PostgreSQL schema.
pub async fn postgres_store() -> Store {
    Store::connect(&postgres_url().await)
        .await
        .expect("connect to PostgreSQL")
}

/// A migrated store on a fresh SQLite file (kept until the process ends).
pub async fn sqlite_store() -> Store {
    let dir = tempfile::tempdir().expect("temporary directory").keep();
    let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
    Store::connect(&url).await.expect("open SQLite")
}
