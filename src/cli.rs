//! The command line: parsing with clap, dispatching, exit codes.

use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use clap::{Args, Parser, Subcommand};

use crate::aws::{self, SecretError};
use crate::config::{Config, ConfigErrors, LogFormat};
use crate::extract::{ZohoError, ZohoSource};
use crate::jobs::{Environment, EnvironmentError, RunFailure, RunRequest, Trigger, run_job, today};
use crate::schedule::{ScheduleError, close_abandoned_runs, next_fire_times, serve};
use crate::store::{RunStatus, Store, StoreError};
use crate::{config, telemetry};

/// Scheduled sales-pipeline reports: Zoho CRM deals, converted to one base
/// currency, aggregated, and published as PDF and CSV to S3 and email.
#[derive(Debug, Parser)]
#[command(
    name = "pipeline-pulse",
    version,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Run one job once, then exit.
    #[arg(long, value_name = "JOB")]
    pub run_once: Option<String>,
    /// The report's as-of date (default: today in the job's timezone).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "run_once")]
    pub as_of: Option<NaiveDate>,
    /// Compute and write the outputs to DRY_RUN_DIR; publish nothing.
    #[arg(long, requires = "run_once", env = "DRY_RUN")]
    pub dry_run: bool,
    /// Publish the files but send no email.
    #[arg(long, requires = "run_once", env = "NO_EMAIL")]
    pub no_email: bool,
    /// Email again even if this period was already delivered.
    #[arg(long, requires = "run_once")]
    pub force: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every job in the jobs directory on its schedule until stopped.
    Serve,
    /// List or validate the jobs.
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Show the run history, newest first.
    Runs(RunsArgs),
    /// Zoho CRM set-up.
    Zoho {
        #[command(subcommand)]
        action: ZohoAction,
    },
}

/// `zoho` actions.
#[derive(Debug, Subcommand)]
pub enum ZohoAction {
    /// Exchange a self-client grant code (Zoho API console, scope
    /// ZohoCRM.modules.deals.READ) for a refresh token, stored in the database.
    Auth {
        /// The grant code; it is single-use and valid for minutes.
        #[arg(
            long,
            value_name = "CODE",
            env = "ZOHO_GRANT_CODE",
            hide_env_values = true
        )]
        grant_code: String,
    },
}

/// `jobs` actions.
#[derive(Debug, Subcommand)]
pub enum JobsAction {
    /// Each job with its schedule and next fire times.
    List,
    /// Check every job and report file and setting; exit 2 on any problem.
    Validate,
}

/// `runs` options.
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Only runs of this job.
    #[arg(long)]
    pub job: Option<String>,
    /// How many runs to show.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
}

/// Why a command failed, and so its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad configuration: exit 2.
    #[error("{0}")]
    Config(#[from] ConfigErrors),
    /// The credentials secret could not be read: exit 2, it is configuration.
    #[error("{0}")]
    Secret(#[from] SecretError),
    /// Bad usage: exit 2.
    #[error("{0}")]
    Usage(String),
    /// The database could not be opened: exit 2, it is configuration.
    #[error("{0}")]
    Database(#[from] StoreError),
    /// The adapters could not be set up: exit 2, it is configuration.
    #[error("{0}")]
    Environment(#[from] EnvironmentError),
    /// A Zoho set-up command failed: exit 1.
    #[error("{0}")]
    Zoho(#[from] ZohoError),
    /// The job failed: exit 1.
    #[error("{0}")]
    Run(#[from] RunFailure),
    /// The scheduler failed: exit 1.
    #[error("{0}")]
    Schedule(#[from] ScheduleError),
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Config(_)
            | Self::Secret(_)
            | Self::Usage(_)
            | Self::Database(_)
            | Self::Environment(_) => ExitCode::from(2),
            Self::Run(_) | Self::Schedule(_) | Self::Zoho(_) => ExitCode::from(1),
        }
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let vars = config::environment()?;
    // Logging starts before the settings are validated, so that reading
    // the secret is logged too; a bad LOG_FORMAT is still reported below.
    telemetry::init(
        vars.get("LOG_LEVEL").map_or("info", String::as_str),
        match vars.get("LOG_FORMAT") {
            Some(format) if format.trim().eq_ignore_ascii_case("json") => LogFormat::Json,
            _ => LogFormat::Text,
        },
    );
    let vars = aws::load_secret(&vars).await?;
    let config = Config::load(&vars)?;

    if let Some(job) = cli.run_once {
        return run_once(config, job, cli.as_of, cli.dry_run, cli.no_email, cli.force).await;
    }
    match cli.command {
        Some(Command::Serve) => {
            let env = Environment::connect(config).await?;
            serve(env).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Jobs {
            action: JobsAction::List,
        }) => {
            print_jobs(&config);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Jobs {
            action: JobsAction::Validate,
        }) => {
            println!(
                "Configuration is valid: {} jobs, {} report definitions.",
                config.jobs.len(),
                config.reports.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Runs(args)) => {
            let store = Store::connect(&config.settings.database_url).await?;
            print_runs(&store, &args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Zoho {
            action: ZohoAction::Auth { grant_code },
        }) => zoho_auth(&config, &grant_code).await,
        None => Err(CliError::Usage(
            "nothing to do: give --run-once <JOB> or a command (serve, jobs, runs, zoho); see --help"
                .to_owned(),
        )),
    }
}

async fn zoho_auth(config: &Config, grant_code: &str) -> Result<ExitCode, CliError> {
    let zoho = &config.settings.zoho;
    if zoho.client_id.is_none() || zoho.client_secret.is_none() {
        return Err(CliError::Usage(
            "`zoho auth` needs ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET (and ZOHO_REGION unless the org is in the US data centre)".to_owned(),
        ));
    }
    let store = Store::connect(&config.settings.database_url).await?;
    let source = ZohoSource::new(&config.settings, store.clone())?;
    let (api_domain, _calls) = source.authorize(grant_code).await?;
    store.close().await;
    println!(
        "Stored the Zoho refresh token in the database; the org's API domain is {api_domain}. Set DEAL_SOURCE=zoho to sync deals from it."
    );
    Ok(ExitCode::SUCCESS)
}

async fn run_once(
    config: Config,
    job: String,
    as_of: Option<NaiveDate>,
    dry_run: bool,
    no_email: bool,
    force: bool,
) -> Result<ExitCode, CliError> {
    let Some(definition) = config.job(&job) else {
        let known: Vec<_> = config.jobs.iter().map(|j| j.name.as_str()).collect();
        return Err(CliError::Usage(format!(
            "no job called `{job}`; the jobs are: {}",
            known.join(", ")
        )));
    };
    let as_of = as_of.unwrap_or_else(|| today(definition));
    let env = Environment::connect(config).await?;
    close_abandoned_runs(&env).await?;
    let request = RunRequest {
        job: job.clone(),
        as_of,
        dry_run,
        no_email,
        force,
        trigger: Trigger::RunOnce,
    };
    let outcome = run_job(&env, request).await;
    env.store.close().await;
    let outcome = outcome?;
    let report = &outcome.report;
    let verdict = match outcome.status {
        RunStatus::Warnings => format!("finished with {} warnings", report.warnings.len()),
        _ => "succeeded".to_owned(),
    };
    println!("{job} as of {as_of}: {verdict} (run {})", outcome.run_id);
    for line in &report.lines {
        println!("  {line}");
    }
    for warning in &report.warnings {
        println!("  warning: {warning}");
    }
    Ok(match outcome.status {
        RunStatus::Warnings => ExitCode::from(3),
        _ => ExitCode::SUCCESS,
    })
}

fn print_jobs(config: &Config) {
    let now = Utc::now();
    for job in &config.jobs {
        let steps: Vec<&str> = job
            .steps
            .iter()
            .map(|s| match s {
                config::Step::Sync => "sync",
                config::Step::Rates => "rates",
                config::Step::Report => "report",
            })
            .collect();
        println!(
            "{}  [{}]  cron \"{}\" in {}",
            job.name,
            steps.join(", "),
            job.cron,
            job.timezone
        );
        if !job.description.is_empty() {
            println!("  {}", job.description);
        }
        for fire in next_fire_times(job, now, 3) {
            println!(
                "  next: {}  ({})",
                fire.format("%a %Y-%m-%d %H:%M:%S %Z"),
                fire.with_timezone(&Utc).format("%Y-%m-%d %H:%M:%S UTC")
            );
        }
    }
}

async fn print_runs(store: &Store, args: &RunsArgs) -> Result<(), StoreError> {
    let runs = store.runs(args.job.as_deref(), args.limit).await?;
    if runs.is_empty() {
        println!("No runs recorded yet.");
        return Ok(());
    }
    println!(
        "{:<20} {:<16} {:<11} {:<10} {:>9} {:>6} {:>5} {:>5}  error / warnings",
        "started (UTC)", "job", "status", "as of", "duration", "deals", "api", "warn"
    );
    for run in runs {
        let duration = match (run.started_at, run.finished_at) {
            (Some(start), Some(end)) => {
                format!("{:.1}s", (end - start).num_milliseconds() as f64 / 1000.0)
            }
            _ => "–".to_owned(),
        };
        let note = run.error.or(run.warning_summary).unwrap_or_default();
        let note: String = note.chars().take(100).collect();
        println!(
            "{:<20} {:<16} {:<11} {:<10} {:>9} {:>6} {:>5} {:>5}  {}",
            run.started_at
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default(),
            run.job,
            if run.dry_run {
                format!("{} (dry)", run.status)
            } else {
                run.status
            },
            run.as_of,
            duration,
            run.deals_extracted.max(run.deals_reported),
            run.api_calls,
            run.warnings,
            note
        );
    }
    Ok(())
}
