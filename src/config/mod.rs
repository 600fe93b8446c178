//! Configuration: environment variables (and `.env`), `jobs/*.toml` and
//! `reports/*.toml`. Parsing and validation do no network I/O and report
//! every problem at once.

mod errors;
mod job;
mod report;
mod secret;
mod settings;
mod toml_file;

use std::collections::BTreeMap;
use std::path::Path;

pub use errors::{ConfigErrors, ConfigIssue};
pub use job::{
    EmailTarget, Freshness, JobDefinition, ObjectStoreTarget, OnStale, OpsTarget, PublishTargets,
    Step, SyncMode, SyncOptions, parse_cron,
};
pub use report::{
    ForecastCategory, Paper, PdfLayout, PeriodKind, ReportDefinition, SectionDefinition,
    SectionKind, StageClass, StageDefinition, Windows,
};
pub use secret::Secret;
pub use settings::{
    CurrencySettings, DealSourceKind, Encryption, LogFormat, MailerKind, ObjectStoreKind,
    RateSourceKind, S3Settings, Settings, SmtpSecurity, SmtpSettings, SyncSettings, ZohoRegion,
    ZohoSettings,
};

/// Everything the worker is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Settings from the environment.
    pub settings: Settings,
    /// Jobs, sorted by name.
    pub jobs: Vec<JobDefinition>,
    /// Report definitions by name.
    pub reports: BTreeMap<String, ReportDefinition>,
}

impl Config {
    /// Loads and validates the whole configuration from the given variables.
    pub fn load(vars: &BTreeMap<String, String>) -> Result<Config, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let settings = match Settings::from_vars(vars) {
            Ok(settings) => Some(settings),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        // Read the files even when a variable is wrong, so one run shows all.
        let fallback;
        let dirs = match &settings {
            Some(s) => s,
            None => {
                fallback = Settings::from_vars(&BTreeMap::new())?;
                &fallback
            }
        };
        let reports = load_reports(&dirs.reports_dir, &mut errors);
        let jobs = load_jobs(&dirs.jobs_dir, &reports, &mut errors);
        if let Some(settings) = &settings {
            check_buckets(settings, &jobs, &mut errors);
        }
        match settings {
            Some(settings) if errors.is_empty() => Ok(Config {
                settings,
                jobs,
                reports,
            }),
            _ => Err(errors),
        }
    }

    /// The job called `name`.
    pub fn job(&self, name: &str) -> Option<&JobDefinition> {
        self.jobs.iter().find(|j| j.name == name)
    }
}

fn load_reports(dir: &Path, errors: &mut ConfigErrors) -> BTreeMap<String, ReportDefinition> {
    toml_file::read_dir(dir, errors)
        .into_iter()
        .filter_map(|(path, text)| report::parse_report(&path, &text, errors))
        .map(|report| (report.name.clone(), report))
        .collect()
}

fn load_jobs(
    dir: &Path,
    reports: &BTreeMap<String, ReportDefinition>,
    errors: &mut ConfigErrors,
) -> Vec<JobDefinition> {
    let files = toml_file::read_dir(dir, errors);
    if files.is_empty() && errors.is_empty() {
        errors.push(dir.display().to_string(), "holds no job files (`*.toml`)");
    }
    let jobs: Vec<JobDefinition> = files
        .into_iter()
        .filter_map(|(path, text)| job::parse_job(&path, &text, errors))
        .collect();
    for job in &jobs {
        if let Some(report) = &job.report
            && !reports.contains_key(report)
        {
            errors.push(
                format!("{}: report", job.file.display()),
                format!(
                    "no report definition `{report}` in the reports directory (known: {})",
                    reports.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
    jobs
}

/// With S3, every job that uploads needs a bucket: its own or `S3_BUCKET`.
fn check_buckets(settings: &Settings, jobs: &[JobDefinition], errors: &mut ConfigErrors) {
    let ObjectStoreKind::S3(s3) = &settings.object_store else {
        return;
    };
    for job in jobs {
        if let Some(target) = &job.publish.object_store
            && target.bucket.is_none()
            && s3.bucket.is_none()
        {
            errors.push(
                format!("{}: publish.object_store.bucket", job.file.display()),
                "name the bucket here, or set S3_BUCKET for every job (OBJECT_STORE=s3)",
            );
        }
    }
}

/// The process environment, with an optional `.env` file in the working
/// directory underneath it (a variable already set wins over the file).
pub fn environment() -> Result<BTreeMap<String, String>, ConfigErrors> {
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    match dotenvy::from_path_iter(".env") {
        Ok(iter) => {
            for item in iter {
                match item {
                    Ok((key, value)) => {
                        vars.insert(key, value);
                    }
                    Err(error) => {
                        let mut errors = ConfigErrors::default();
                        errors.push(".env", format!("cannot be parsed: {error}"));
                        return Err(errors);
                    }
                }
            }
        }
        Err(error) if error.not_found() => {}
        Err(error) => {
            let mut errors = ConfigErrors::default();
            errors.push(".env", format!("cannot be read: {error}"));
            return Err(errors);
        }
    }
    vars.extend(std::env::vars());
    Ok(vars)
}

/// Variables for a test, as the environment would give them.
#[cfg(test)]
pub(crate) fn test_vars(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}
