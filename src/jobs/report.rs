//! The `report` step: convert, aggregate, render, publish.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use rayon::prelude::*;
use tracing::{Instrument, Span, info, info_span};

use super::deliver::{Published, deliver_report};
use super::refresh_rates::ensure_rates;
use super::{Environment, RunRequest, StepReport};
use crate::aggregate::period::{end_of_day, start_of_day};
use crate::aggregate::{
    Baseline, Period, PipelineReport, Preparation, ReportContext, ReportDeal, build_report,
};
use crate::config::{Freshness, JobDefinition, OnStale, ReportDefinition};
use crate::extract::Deal;
use crate::fx::{CurrencyCode, RateMode, RateSet};
use crate::publish::{self, LocalDirStore, latest_folder, period_folder};
use crate::render::pdf::PdfOptions;
use crate::render::{self, OutputFile};
use crate::store::VersionBatch;

/// Builds the job's report for the as-of date and publishes it to the
/// job's targets (or only to the dry-run folder).
pub async fn report(
    env: &Environment,
    job: &JobDefinition,
    request: &RunRequest,
    run_id: &str,
) -> anyhow::Result<StepReport> {
    let definition = job
        .report
        .as_ref()
        .and_then(|name| env.config.reports.get(name))
        .with_context(|| format!("job {} names no known report definition", job.name))?
        .clone();
    let as_of = request.as_of;
    let rates = ensure_rates(env, as_of).await?;
    let mut step = StepReport::default();
    step.warnings.extend(rates.substitute);
    let rates = rates.set;
    if rates.date > as_of {
        step.warnings.push(format!(
            "the only exchange rates available are of {}, later than the as-of date {as_of}",
            rates.date
        ));
    }
    let sync = env.store.sync_state(&env.deals.source_key()).await?;
    if sync.last_success_at.is_none() {
        step.warnings
            .push("no sync has ever finished: the report has no deals to show".to_owned());
    }
    let stale_data = job
        .freshness
        .and_then(|freshness| stale(freshness, sync.last_success_at, Utc::now()));
    if let Some((message, on_stale)) = &stale_data {
        match on_stale {
            OnStale::Fail => anyhow::bail!("{message}; nothing was published"),
            OnStale::Warn => step.warnings.push(format!("stale data: {message}")),
        }
    }
    let context = ReportContext {
        run_id: run_id.to_owned(),
        job: job.name.clone(),
        title: definition.title.clone(),
        as_of,
        timezone: job.timezone,
        period: Period::ending_by(definition.period, as_of),
        base: env.config.settings.base_currency,
        rates_date: rates.date,
        rates_source: match job.convert.rates {
            RateMode::Provider => rates.source.clone(),
            RateMode::Zoho => format!(
                "each deal's Zoho Exchange_Rate; {}→{} from {}",
                env.config.settings.home_currency, env.config.settings.base_currency, rates.source
            ),
        },
        deal_source: env.deals.describe(),
        sample: env.deals.is_sample(),
        last_sync: sync.last_success_at,
        stale_data: stale_data.map(|(message, _)| message),
        csv_bom: job.publish.csv_bom,
    };
    let pdf = PdfOptions {
        layout: definition.pdf.clone(),
        fallback_font: env.config.settings.pdf_fallback_font.clone(),
    };
    let inputs = Arc::new(Inputs {
        definition,
        rates,
        home: env.config.settings.home_currency,
        rate_mode: job.convert.rates,
    });
    let (deals, baseline) = read_deals(env, &context, &inputs, sync.history_from).await?;
    let span = Span::current();
    let (report, files, manifest) = tokio::task::spawn_blocking(move || {
        span.in_scope(|| compute(context, &inputs.definition, deals, baseline, &pdf))
    })
    .await
    .context("the report computation stopped unexpectedly")??;

    step.deals_reported = report.deals.len() as u64;
    let data_warnings = report.warnings().count();
    if data_warnings > 0 {
        step.warnings.push(data_warning_summary(&report));
    }
    step.lines.push(format!(
        "report: {} deals, period {}, open pipeline {} {}",
        report.deals.len(),
        report.context.period.label(),
        report.context.base,
        render::format::grouped(report.kpis.open_amount, report.context.base.minor_units()),
    ));

    if request.dry_run {
        let dir = &env.config.settings.dry_run_dir;
        let folder = format!("{}/{}", job.name, report.context.period.label());
        publish::upload(
            &LocalDirStore::new(dir),
            std::slice::from_ref(&folder),
            &files,
            &manifest,
        )
        .await?;
        step.output_location = Some(dir.join(&folder).display().to_string());
        step.lines.push(format!(
            "dry run: {} files written to {}; nothing published",
            files.len() + 1,
            dir.join(folder).display()
        ));
        free_in_background((report, files, manifest));
        return Ok(step);
    }
    publish_report(env, job, request, &report, &files, &manifest, &mut step).await?;
    free_in_background((report, files, manifest));
    Ok(step)
}

/// Frees a report on a thread of its own: a million deals take most of a
/// second to free, and nothing needs to wait for that.
fn free_in_background<T: Send + 'static>(value: T) {
    // Should the thread not start, the closure and `value` with it are
    // dropped here instead.
    let _ = std::thread::Builder::new()
        .name("free-report".to_owned())
        .spawn(move || drop(value));
}

/// What every deal is prepared against.
struct Inputs {
    definition: ReportDefinition,
    rates: RateSet,
    home: CurrencyCode,
    rate_mode: RateMode,
}

impl Inputs {
    fn preparation(&self, base: CurrencyCode, timezone: chrono_tz::Tz) -> Preparation<'_> {
        Preparation::new(
            &self.definition,
            &self.rates,
            base,
            self.home,
            timezone,
            self.rate_mode,
        )
    }
}

/// What to do about a stored version that cannot be read.
const DAMAGED_VERSION: &str = "a stored deal version is not valid JSON; the database may be damaged: run a full sync (`[sync] mode = \"full\"`)";

/// Versions read per batch: parsing runs on a blocking thread while the
/// next batch is read.
const READ_BATCH: usize = 8_000;

/// The deals at the end of the as-of day, prepared, and the deal set at
/// the first instant of the period when history reaches back that far.
async fn read_deals(
    env: &Environment,
    context: &ReportContext,
    inputs: &Arc<Inputs>,
    history_from: Option<DateTime<Utc>>,
) -> anyhow::Result<(Vec<ReportDeal>, Baseline)> {
    let end = end_of_day(context.as_of, context.timezone);
    let period_start = start_of_day(context.period.start, context.timezone);
    let has_baseline = history_from.is_some_and(|from| from <= period_start);
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<VersionBatch>(4);
    let (base, timezone) = (context.base, context.timezone);
    let span = Span::current();
    let parse = {
        let inputs = Arc::clone(inputs);
        tokio::task::spawn_blocking(move || {
            span.in_scope(|| -> anyhow::Result<_> {
                let preparation = inputs.preparation(base, timezone);
                let (mut now, mut then) = (Vec::new(), Vec::new());
                while let Some(batch) = receiver.blocking_recv() {
                    let prepared = batch
                        .versions()
                        .map(|version| {
                            let version = version.map_err(|line| {
                                let start: String = line.chars().take(80).collect();
                                anyhow::anyhow!("{DAMAGED_VERSION}: `{start}`")
                            })?;
                            let Some(deal) =
                                Deal::from_json(version.payload).context(DAMAGED_VERSION)?
                            else {
                                return Ok((None, None));
                            };
                            let at_start = version.at_start.then(|| preparation.snapshot(&deal));
                            let at_end = version.at_end.then(|| preparation.prepare(deal));
                            Ok((at_start, at_end))
                        })
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    for (at_start, at_end) in prepared {
                        then.extend(at_start);
                        now.extend(at_end);
                    }
                }
                Ok((now, then))
            })
        })
    };
    let read = env
        .store
        .versions_at(
            has_baseline.then_some(period_start),
            end,
            READ_BATCH,
            sender,
        )
        .await;
    let (now, then) = parse
        .await
        .context("reading the deals stopped unexpectedly")??;
    read?;
    let baseline = if has_baseline {
        Baseline::Snapshot {
            period_start,
            deals: then,
        }
    } else {
        Baseline::Missing {
            period_start,
            history_from,
        }
    };
    Ok((now, baseline))
}

fn compute(
    context: ReportContext,
    definition: &ReportDefinition,
    deals: Vec<ReportDeal>,
    baseline: Baseline,
    pdf: &PdfOptions,
) -> anyhow::Result<(PipelineReport, Vec<OutputFile>, OutputFile)> {
    let report = build_report(context, definition, deals, &baseline)?;
    free_in_background(baseline);
    let files = render::render_files(&report, pdf)?;
    let manifest = render::manifest(&report, &files)?;
    Ok((report, files, manifest))
}

/// The stale-data message, when the newest successful sync is older than
/// the job allows.
fn stale(
    freshness: Freshness,
    last_success: Option<chrono::DateTime<Utc>>,
    now: chrono::DateTime<Utc>,
) -> Option<(String, OnStale)> {
    let limit = chrono::Duration::minutes(i64::from(freshness.max_sync_age_minutes));
    let message = match last_success {
        Some(at) if now - at <= limit => return None,
        Some(at) => format!(
            "the data is {} old: the last successful sync finished at {}, and this job allows {} (freshness.max_sync_age_minutes); see `pipeline-pulse runs --job sync-deals`",
            age(now - at),
            at.format("%Y-%m-%d %H:%M UTC"),
            age(limit)
        ),
        None => "no sync has ever finished, and this job requires fresh data (freshness.max_sync_age_minutes)".to_owned(),
    };
    Some((message, freshness.on_stale))
}

/// `2 h 05 min`, `45 min`, `3 d 4 h`.
fn age(duration: chrono::Duration) -> String {
    let minutes = duration.num_minutes().max(0);
    match (minutes / 1440, minutes % 1440 / 60, minutes % 60) {
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m:02} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

fn data_warning_summary(report: &PipelineReport) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for row in report.warnings() {
        *counts.entry(row.problem.kind.code()).or_default() += 1;
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(code, n)| format!("{n} {code}"))
        .collect();
    format!(
        "data warnings: {} (deals without a {} amount are excluded from totals; see data_quality.csv)",
        parts.join(", "),
        report.context.base
    )
}

async fn publish_report(
    env: &Environment,
    job: &JobDefinition,
    request: &RunRequest,
    report: &PipelineReport,
    files: &[OutputFile],
    manifest: &OutputFile,
    step: &mut StepReport,
) -> anyhow::Result<()> {
    let period = &report.context.period;
    let mut published = None;
    if let Some(target) = &job.publish.object_store {
        let store = match &target.bucket {
            Some(bucket) => env.objects.for_bucket(bucket),
            None => env.objects.clone(),
        };
        let folders = [
            period_folder(&target.prefix, &job.name, period),
            latest_folder(&target.prefix, &job.name),
        ];
        let artefacts = publish::upload(store.as_ref(), &folders, files, manifest)
            .instrument(info_span!("publish", store = %store.describe()))
            .await
            .with_context(|| {
                format!(
                    "publishing to {}; no new manifest was written, so the set is not announced",
                    store.describe()
                )
            })?;
        env.store
            .record_artefacts(&report.context.run_id, &artefacts, Utc::now())
            .await?;
        let folder = store.location(&folders[0]);
        info!(files = artefacts.len(), location = %folder, "Published the report files.");
        step.lines.push(format!(
            "published: {} objects to {folder}",
            artefacts.len()
        ));
        step.output_location = Some(folder);
        published = Some(Published {
            store,
            folder: folders[0].clone(),
        });
    }
    let Some(target) = &job.publish.email else {
        return Ok(());
    };
    if request.no_email {
        step.lines.push("email: skipped (--no-email)".to_owned());
        return Ok(());
    }
    deliver_report(
        env,
        target,
        request,
        report,
        files,
        published.as_ref(),
        step,
    )
    .instrument(info_span!("email", mailer = %env.mailer.describe()))
    .await
}

/// The default as-of date: today in the job's timezone.
pub fn today(job: &JobDefinition) -> NaiveDate {
    Utc::now().with_timezone(&job.timezone).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> chrono::DateTime<Utc> {
        text.parse().expect("time")
    }

    #[test]
    fn stale_data_says_how_old_it_is() {
        let freshness = Freshness {
            max_sync_age_minutes: 120,
            on_stale: OnStale::Warn,
        };
        let now = at("2026-11-23T07:00:00Z");
        assert_eq!(
            stale(freshness, Some(at("2026-11-23T05:30:00Z")), now),
            None
        );
        let (message, on_stale) =
            stale(freshness, Some(at("2026-11-23T01:55:00Z")), now).expect("stale");
        assert_eq!(on_stale, OnStale::Warn);
        assert!(
            message.starts_with("the data is 5 h 05 min old: the last successful sync finished at 2026-11-23 01:55 UTC, and this job allows 2 h 00 min"),
            "{message}"
        );
        assert!(
            stale(freshness, None, now)
                .is_some_and(|(m, _)| m.contains("no sync has ever finished"))
        );
        assert_eq!(age(chrono::Duration::minutes(3 * 1440 + 250)), "3 d 4 h");
        assert_eq!(age(chrono::Duration::minutes(45)), "45 min");
    }
}
