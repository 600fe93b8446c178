//! Job definitions: `jobs/<name>.toml`, one job per file.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use lettre::message::Mailbox;
use serde::Deserialize;

use super::{ConfigErrors, toml_file};

/// What a job does, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Pull changed deals from the deal source into the database.
    Sync,
    /// Make sure an exchange-rate set for the as-of date is stored.
    Rates,
    /// Convert, aggregate, render and publish the job's report.
    Report,
}

/// Full or incremental extraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncMode {
    /// Only records modified since the stored cursor.
    #[default]
    Incremental,
    /// Every record, whatever the cursor says.
    Full,
}

/// The `[sync]` table.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SyncOptions {
    /// `incremental` (default) or `full`.
    #[serde(default)]
    pub mode: SyncMode,
}

/// The `[convert]` table.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConvertOptions {
    /// `provider` (default): the rate source's set; `zoho`: each deal's
    /// own `Exchange_Rate`.
    #[serde(default)]
    pub rates: crate::fx::RateMode,
}

/// What a report job does when its data is older than it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnStale {
    /// The run fails and nothing is published.
    #[default]
    Fail,
    /// The report is published with a visible warning.
    Warn,
}

/// The `[freshness]` table: the report needs a recent successful sync.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Freshness {
    /// The newest successful sync must have finished this recently.
    pub max_sync_age_minutes: u32,
    /// `fail` (default) or `warn`.
    #[serde(default)]
    pub on_stale: OnStale,
}

/// `[publish.object_store]`: upload the outputs.
#[derive(Debug, Clone, Deserialize)]
pub struct ObjectStoreTarget {
    /// The bucket; `S3_BUCKET` when absent. A local directory store
    /// stands in for every bucket.
    pub bucket: Option<String>,
    /// Key prefix in the bucket (or local directory), without slashes at
    /// either end.
    #[serde(default = "default_prefix")]
    pub prefix: String,
}

fn default_catch_up_hours() -> u32 {
    6
}

fn default_prefix() -> String {
    "pipeline-pulse".to_owned()
}

/// `[publish.email]` as written in the file.
#[derive(Debug, Clone, Deserialize)]
struct RawEmailTarget {
    to: Vec<String>,
    #[serde(default)]
    cc: Vec<String>,
    #[serde(default)]
    bcc: Vec<String>,
    from: String,
    reply_to: Option<String>,
    subject: Option<String>,
    #[serde(default)]
    attach_csv: bool,
    #[serde(default = "default_max_attachment_bytes")]
    max_attachment_bytes: u64,
    #[serde(default = "default_link_expiry_hours")]
    link_expiry_hours: u32,
    #[serde(default)]
    skip_when_empty: bool,
}

fn default_max_attachment_bytes() -> u64 {
    10_000_000
}

fn default_link_expiry_hours() -> u32 {
    72
}

/// `[ops]` as written in the file.
#[derive(Debug, Clone, Deserialize)]
struct RawOps {
    to: Vec<String>,
    from: Option<String>,
}

/// `[ops]`: who hears about a failed run.
#[derive(Debug, Clone)]
pub struct OpsTarget {
    /// Recipients of the failure notice.
    pub to: Vec<Mailbox>,
    /// Sender; the report email's sender when not given.
    pub from: Mailbox,
}

/// `[publish.email]`: send the report.
#[derive(Debug, Clone)]
pub struct EmailTarget {
    /// Main recipients.
    pub to: Vec<Mailbox>,
    /// Copied recipients.
    pub cc: Vec<Mailbox>,
    /// Blind-copied recipients.
    pub bcc: Vec<Mailbox>,
    /// Sender.
    pub from: Mailbox,
    /// Where replies go, if not to the sender.
    pub reply_to: Option<Mailbox>,
    /// Subject template; `{job}`, `{title}`, `{period}`, `{as_of}`,
    /// `{open_amount}`, `{weighted_amount}` and `{won_amount}` are filled in.
    pub subject: String,
    /// Attach the CSV files as well as the PDF.
    pub attach_csv: bool,
    /// Attachments larger than this in total are replaced by pre-signed
    /// download links (10 MB by default, below most servers' limits).
    pub max_attachment_bytes: u64,
    /// How long those links work, in hours (at most 168, S3's limit).
    pub link_expiry_hours: u32,
    /// Send nothing when the report has no open deals and none won or
    /// lost in the period.
    pub skip_when_empty: bool,
}

/// The `[publish]` table.
#[derive(Debug, Clone, Default, Deserialize)]
struct RawPublish {
    object_store: Option<ObjectStoreTarget>,
    email: Option<RawEmailTarget>,
    #[serde(default)]
    csv_bom: bool,
}

/// Where a report job's outputs go.
#[derive(Debug, Clone, Default)]
pub struct PublishTargets {
    /// Upload to the object store, if present.
    pub object_store: Option<ObjectStoreTarget>,
    /// Email, if present.
    pub email: Option<EmailTarget>,
    /// Start every CSV with a UTF-8 byte-order mark (for Excel users).
    pub csv_bom: bool,
}

/// A job file as written.
#[derive(Debug, Deserialize)]
struct RawJob {
    name: String,
    #[serde(default)]
    description: String,
    cron: String,
    timezone: String,
    steps: Vec<Step>,
    report: Option<String>,
    #[serde(default)]
    sync: SyncOptions,
    #[serde(default)]
    convert: ConvertOptions,
    freshness: Option<Freshness>,
    #[serde(default = "default_catch_up_hours")]
    catch_up_hours: u32,
    #[serde(default)]
    publish: RawPublish,
    ops: Option<RawOps>,
}

/// A validated job.
#[derive(Debug, Clone)]
pub struct JobDefinition {
    /// The job's name, equal to its file's stem.
    pub name: String,
    /// One line for `jobs list`.
    pub description: String,
    /// Cron expression with seconds: `sec min hour day-of-month month day-of-week`.
    pub cron: String,
    /// The parsed cron expression.
    pub schedule: croner::Cron,
    /// The IANA timezone the cron expression and dates are read in.
    pub timezone: Tz,
    /// What the job does, in order.
    pub steps: Vec<Step>,
    /// The report definition's name, for jobs with a `report` step.
    pub report: Option<String>,
    /// Extraction options.
    pub sync: SyncOptions,
    /// Conversion options.
    pub convert: ConvertOptions,
    /// How fresh the synced data must be for a report.
    pub freshness: Option<Freshness>,
    /// A tick missed while no worker ran is run at start-up if it is at
    /// most this old, else recorded as missed.
    pub catch_up_hours: u32,
    /// Publication targets of the report.
    pub publish: PublishTargets,
    /// Who is emailed when a run fails.
    pub ops: Option<OpsTarget>,
    /// The file it came from.
    pub file: PathBuf,
}

impl JobDefinition {
    /// True when the job includes `step`.
    pub fn has_step(&self, step: Step) -> bool {
        self.steps.contains(&step)
    }
}

/// Parses a six-field cron expression the way the scheduler does.
pub fn parse_cron(expression: &str) -> Result<croner::Cron, croner::errors::CronError> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expression)
}

/// Parses and validates one job file. Problems go to `errors`.
pub fn parse_job(path: &Path, text: &str, errors: &mut ConfigErrors) -> Option<JobDefinition> {
    let raw: RawJob = toml_file::parse(path, text, errors)?;
    let file = path.display().to_string();
    let at = |key: &str| format!("{file}: {key}");
    let before = errors.issues().len();

    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    if stem.as_deref() != Some(raw.name.as_str()) {
        errors.push(
            at("name"),
            format!("`{}` must equal the file name without `.toml`", raw.name),
        );
    }
    let schedule = parse_cron(&raw.cron);
    if let Err(error) = &schedule {
        errors.push(
            at("cron"),
            format!(
                "`{}` is not a cron expression with seconds, e.g. \"0 0 7 * * Mon\" ({error})",
                raw.cron
            ),
        );
    }
    let timezone = raw.timezone.parse::<Tz>().ok();
    if timezone.is_none() {
        errors.push(
            at("timezone"),
            format!(
                "`{}` is not an IANA timezone such as \"Asia/Singapore\"",
                raw.timezone
            ),
        );
    }
    if raw.steps.is_empty() {
        errors.push(at("steps"), "name at least one step: sync, rates, report");
    }
    let has_report_step = raw.steps.contains(&Step::Report);
    match (&raw.report, has_report_step) {
        (None, true) => errors.push(
            at("report"),
            "a job with a `report` step names its report definition",
        ),
        (Some(_), false) => errors.push(
            at("report"),
            "only a job with a `report` step takes a report",
        ),
        _ => {}
    }
    let email_from = raw.publish.email.as_ref().map(|e| e.from.clone());
    let email = raw.publish.email.and_then(|e| email_target(e, &at, errors));
    let ops = raw
        .ops
        .and_then(|o| ops_target(o, email_from.as_deref(), &at, errors));
    if !has_report_step && (raw.publish.object_store.is_some() || email.is_some()) {
        errors.push(at("publish"), "only a job with a `report` step publishes");
    }
    if let Some(store) = &raw.publish.object_store
        && (store.prefix.starts_with('/')
            || store.prefix.ends_with('/')
            || store.prefix.contains(".."))
    {
        errors.push(
            at("publish.object_store.prefix"),
            format!(
                "`{}` must not start or end with `/` nor contain `..`",
                store.prefix
            ),
        );
    }
    if errors.issues().len() > before {
        return None;
    }
    Some(JobDefinition {
        name: raw.name,
        description: raw.description,
        cron: raw.cron,
        schedule: schedule.ok()?,
        timezone: timezone?,
        steps: raw.steps,
        report: raw.report,
        sync: raw.sync,
        convert: raw.convert,
        freshness: raw.freshness,
        catch_up_hours: raw.catch_up_hours,
        publish: PublishTargets {
            object_store: raw.publish.object_store,
            email,
            csv_bom: raw.publish.csv_bom,
        },
        ops,
        file: path.to_owned(),
    })
}

fn mailboxes(
    key: &str,
    values: &[String],
    at: &dyn Fn(&str) -> String,
    errors: &mut ConfigErrors,
) -> Vec<Mailbox> {
    values
        .iter()
        .filter_map(|value| match value.parse::<Mailbox>() {
            Ok(mailbox) => Some(mailbox),
            Err(error) => {
                errors.push(
                    at(key),
                    format!("`{value}` is not an email address ({error})"),
                );
                None
            }
        })
        .collect()
}

fn ops_target(
    raw: RawOps,
    email_from: Option<&str>,
    at: &dyn Fn(&str) -> String,
    errors: &mut ConfigErrors,
) -> Option<OpsTarget> {
    let before = errors.issues().len();
    let to = mailboxes("ops.to", &raw.to, at, errors);
    if raw.to.is_empty() {
        errors.push(at("ops.to"), "name at least one recipient");
    }
    let from = match (&raw.from, email_from) {
        (Some(from), _) => mailboxes("ops.from", std::slice::from_ref(from), at, errors).pop(),
        // A bad report sender is already reported under publish.email.from.
        (None, Some(from)) => from.parse::<Mailbox>().ok(),
        (None, None) => {
            errors.push(
                at("ops.from"),
                "name the sender (or configure [publish.email], whose sender is used)",
            );
            None
        }
    };
    if errors.issues().len() > before {
        return None;
    }
    Some(OpsTarget { to, from: from? })
}

fn email_target(
    raw: RawEmailTarget,
    at: &dyn Fn(&str) -> String,
    errors: &mut ConfigErrors,
) -> Option<EmailTarget> {
    let before = errors.issues().len();
    let to = mailboxes("publish.email.to", &raw.to, at, errors);
    let cc = mailboxes("publish.email.cc", &raw.cc, at, errors);
    let bcc = mailboxes("publish.email.bcc", &raw.bcc, at, errors);
    let from = mailboxes(
        "publish.email.from",
        std::slice::from_ref(&raw.from),
        at,
        errors,
    )
    .pop();
    let reply_to = mailboxes(
        "publish.email.reply_to",
        raw.reply_to.as_slice(),
        at,
        errors,
    )
    .pop();
    if raw.to.is_empty() {
        errors.push(at("publish.email.to"), "name at least one recipient");
    }
    if !(1..=168).contains(&raw.link_expiry_hours) {
        errors.push(
            at("publish.email.link_expiry_hours"),
            format!(
                "{} is not from 1 to 168 (pre-signed links last at most 7 days)",
                raw.link_expiry_hours
            ),
        );
    }
    if errors.issues().len() > before {
        return None;
    }
    Some(EmailTarget {
        to,
        cc,
        bcc,
        from: from?,
        reply_to,
        subject: raw
            .subject
            .unwrap_or_else(|| "{job} {period}: open pipeline {open_amount}".to_owned()),
        attach_csv: raw.attach_csv,
        max_attachment_bytes: raw.max_attachment_bytes,
        link_expiry_hours: raw.link_expiry_hours,
        skip_when_empty: raw.skip_when_empty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"name = "weekly"
cron = "0 0 7 * * Mon"
timezone = "Asia/Singapore"
steps = ["report"]
report = "pipeline-summary"
"#;

    fn parse(body: &str) -> Result<JobDefinition, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let job = parse_job(
            Path::new("jobs/weekly.toml"),
            &format!("{HEAD}{body}"),
            &mut errors,
        );
        errors
            .into_result(job)
            .map(|job| job.expect("a job when no errors"))
    }

    #[test]
    fn email_options_default_and_ops_borrow_the_sender() {
        let job = parse(
            r#"
[publish.email]
to = ["a@example.com"]
from = "Reports <reports@example.com>"

[ops]
to = ["oncall@example.com"]
"#,
        )
        .expect("valid");
        let email = job.publish.email.expect("email");
        assert_eq!(email.max_attachment_bytes, 10_000_000);
        assert_eq!(email.link_expiry_hours, 72);
        assert!(!email.skip_when_empty);
        let ops = job.ops.expect("ops");
        assert_eq!(ops.from.email.to_string(), "reports@example.com");
        assert_eq!(ops.to.len(), 1);
    }

    #[test]
    fn bad_email_and_ops_settings_are_named_by_key() {
        let errors = parse(
            r#"
[publish.email]
to = ["a@example.com", "not an address"]
from = "reports@example.com"
link_expiry_hours = 200

[ops]
to = []
"#,
        )
        .expect_err("invalid");
        let locations = errors.locations();
        assert_eq!(
            locations,
            [
                "jobs/weekly.toml: publish.email.to",
                "jobs/weekly.toml: publish.email.link_expiry_hours",
                "jobs/weekly.toml: ops.to"
            ]
        );
        let without_sender =
            parse("\n[ops]\nto = [\"oncall@example.com\"]\n").expect_err("no sender");
        assert_eq!(
            without_sender.issues()[0].location,
            "jobs/weekly.toml: ops.from"
        );
    }
}
