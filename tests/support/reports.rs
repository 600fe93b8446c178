//! Reports built in-process from Zoho-shaped records, with the shipped
//! report definition: for tests that check figures rather than the binary.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use pipeline_pulse::aggregate::period::start_of_day;
use pipeline_pulse::aggregate::{
    Baseline, Period, PipelineReport, Preparation, ReportContext, SnapshotDeal, build_report,
};
use pipeline_pulse::config::Config;
use pipeline_pulse::extract::Deal;
use pipeline_pulse::fx::{CurrencyCode, RateMode, RateSet};
use pipeline_pulse::render::pdf::PdfOptions;
use pipeline_pulse::render::{OutputFile, render_files};
use serde_json::Value;

/// The bundled CurrencyFreaks snapshot of 2026-11-23.
pub fn bundled_rates() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join("src/fx/bundled/currencyfreaks-2026-11-23.json"))
        .expect("bundled rates")
}

/// What a report is built from.
pub struct Inputs<'a> {
    /// The deals at the as-of date.
    pub now: &'a [Value],
    /// The deals at the period start; `None` for no baseline.
    pub then: Option<&'a [Value]>,
    /// As-of date (Singapore time, SGD base).
    pub as_of: NaiveDate,
    /// A CurrencyFreaks `latest` body.
    pub rates: &'a str,
}

/// The report, and the period-start deals as converted.
pub fn build(inputs: Inputs<'_>) -> (PipelineReport, Vec<SnapshotDeal>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let vars = BTreeMap::from([
        (
            "JOBS_DIR".to_owned(),
            root.join("jobs").display().to_string(),
        ),
        (
            "REPORTS_DIR".to_owned(),
            root.join("reports").display().to_string(),
        ),
    ]);
    let config = Config::load(&vars).expect("the shipped configuration");
    let definition = &config.reports["pipeline-summary"];
    let rates = RateSet::from_currencyfreaks(inputs.rates, "test rates").expect("rates");
    let timezone = chrono_tz::Asia::Singapore;
    let base = CurrencyCode::SGD;
    let preparation =
        Preparation::new(definition, &rates, base, base, timezone, RateMode::Provider);
    let deals = inputs
        .now
        .iter()
        .filter_map(Deal::from_record)
        .map(|deal| preparation.prepare(deal))
        .collect();
    let period = Period::ending_by(definition.period, inputs.as_of);
    let period_start = start_of_day(period.start, timezone);
    let snapshot: Vec<SnapshotDeal> = inputs
        .then
        .unwrap_or_default()
        .iter()
        .filter_map(Deal::from_record)
        .map(|deal| preparation.snapshot(&deal))
        .collect();
    let baseline = match inputs.then {
        Some(_) => Baseline::Snapshot {
            period_start,
            deals: snapshot.clone(),
        },
        None => Baseline::Missing {
            period_start,
            history_from: None,
        },
    };
    let context = ReportContext {
        run_id: "in-process".to_owned(),
        job: "weekly-pipeline".to_owned(),
        title: definition.title.clone(),
        as_of: inputs.as_of,
        timezone,
        period,
        base,
        rates_date: rates.date,
        rates_source: rates.source.clone(),
        deal_source: "test records".to_owned(),
        sample: false,
        last_sync: None,
        stale_data: None,
        csv_bom: false,
    };
    let report = build_report(context, definition, deals, &baseline).expect("a report");
    (report, snapshot)
}

/// One rendered file by name.
pub fn file<'a>(files: &'a [OutputFile], name: &str) -> &'a OutputFile {
    files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} is rendered"))
}

/// Renders every file of a report.
pub fn render(report: &PipelineReport) -> Vec<OutputFile> {
    render_files(report, &PdfOptions::default()).expect("render")
}
