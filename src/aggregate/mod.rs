//! Aggregate: the pipeline report, computed with polars from the prepared
//! deals. One file per section.

mod by_close_month;
mod by_currency;
mod by_owner;
mod by_stage;
mod columns;
mod deal_lists;
mod deals;
mod forecast;
mod frame;
mod kpis;
mod movement;
pub mod period;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

pub use by_close_month::CloseMonthRow;
pub use by_currency::CurrencyRow;
pub use by_owner::OwnerRow;
pub use by_stage::StageRow;
pub use deals::{Preparation, ReportDeal};
pub use forecast::ForecastRow;
pub use kpis::Kpis;
pub use movement::{Baseline, Movement, MovementRow, MovementStep, SlippedRow, SnapshotDeal};
pub use period::Period;

use crate::config::{ReportDefinition, SectionDefinition};
use crate::fx::CurrencyCode;
use crate::quality::Problem;

/// Why the report could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    /// A polars query failed.
    #[error("computing the {section} section: {source}")]
    Polars {
        /// Which section.
        section: &'static str,
        /// The polars error.
        source: polars::error::PolarsError,
    },
}

/// What the report is about and where its inputs came from: printed on
/// every output.
#[derive(Debug, Clone)]
pub struct ReportContext {
    /// The run that made it.
    pub run_id: String,
    /// The job.
    pub job: String,
    /// Report title.
    pub title: String,
    /// As-of date.
    pub as_of: NaiveDate,
    /// The job's timezone.
    pub timezone: Tz,
    /// The reporting period.
    pub period: Period,
    /// Reporting currency.
    pub base: CurrencyCode,
    /// Date of the rates used.
    pub rates_date: NaiveDate,
    /// Source of the rates.
    pub rates_source: String,
    /// Where the deals came from.
    pub deal_source: String,
    /// True when the deals are the bundled sample.
    pub sample: bool,
    /// When the last successful sync finished.
    pub last_sync: Option<DateTime<Utc>>,
    /// Set when the data is older than the job allows and it publishes anyway.
    pub stale_data: Option<String>,
    /// Start every CSV with a UTF-8 byte-order mark, for Excel.
    pub csv_bom: bool,
}

/// One row of `data_quality.csv`: a problem of a deal.
#[derive(Debug, Clone, Copy)]
pub struct QualityRow<'a> {
    /// The deal.
    pub deal: &'a ReportDeal,
    /// The problem.
    pub problem: &'a Problem,
}

/// The computed report.
#[derive(Debug, Clone)]
pub struct PipelineReport {
    /// Provenance and period.
    pub context: ReportContext,
    /// Sections to show, in order.
    pub sections: Vec<SectionDefinition>,
    /// Every deal, by id.
    pub deals: Vec<ReportDeal>,
    /// Headline figures.
    pub kpis: Kpis,
    /// Open pipeline by stage.
    pub by_stage: Vec<StageRow>,
    /// Open pipeline by forecast category; empty when the definition has
    /// no categories.
    pub forecast: Vec<ForecastRow>,
    /// Every deal by original currency.
    pub by_currency: Vec<CurrencyRow>,
    /// Pipeline and results per owner.
    pub by_owner: Vec<OwnerRow>,
    /// Open pipeline by expected closing month.
    pub by_close_month: Vec<CloseMonthRow>,
    /// The definition's top N open deals with an amount, largest first
    /// (indexes into `deals`).
    pub top_deals: Vec<usize>,
    /// How many open deals have an amount: `top_deals` and the rest.
    pub ranked: usize,
    /// How many deals `top_deals` may list.
    pub top_n: usize,
    /// Open deals untouched for the stale window, oldest first (indexes).
    pub stale: Vec<usize>,
    /// The waterfall from the period start to the as-of date.
    pub movement: Movement,
    /// Overdue deals and deals whose closing date moved later.
    pub slipped: Vec<SlippedRow>,
}

impl PipelineReport {
    /// Every problem of every deal, in deal order.
    pub fn quality(&self) -> impl Iterator<Item = QualityRow<'_>> {
        self.deals.iter().flat_map(|deal| {
            deal.problems
                .iter()
                .map(move |problem| QualityRow { deal, problem })
        })
    }

    /// Data-quality rows that are warnings (exit code 3).
    pub fn warnings(&self) -> impl Iterator<Item = QualityRow<'_>> {
        self.quality().filter(|row| row.problem.kind.is_warning())
    }
}

/// Computes every section from the prepared deals and the deal set at the
/// period start.
pub fn build_report(
    context: ReportContext,
    definition: &ReportDefinition,
    mut deals: Vec<ReportDeal>,
    baseline: &Baseline,
) -> Result<PipelineReport, AggregateError> {
    let minor = context.base.minor_units();
    let polars = |section| move |source| AggregateError::Polars { section, source };
    let built = frame::deals_frame(&deals, minor).map_err(polars("deals"))?;
    // The store reads deals in id order; other sources are sorted here.
    let frame = if built.in_id_order {
        built
    } else {
        drop(built);
        deals = deals::sort_by_id(deals);
        frame::deals_frame(&deals, minor).map_err(polars("deals"))?
    };
    let columns = &frame.frame;
    // What changed since the period start joins two frames; it runs beside
    // the sections of the deals as they stand.
    let (changes, current) = rayon::join(
        || -> Result<_, AggregateError> {
            let comparison = movement::Comparison::new(columns, &deals, baseline, minor)
                .map_err(polars("movement"))?;
            let movement = comparison
                .movement(baseline, minor)
                .map_err(polars("movement"))?;
            let slipped = comparison
                .slipped(context.as_of)
                .map_err(polars("slipped deals"))?;
            Ok((movement, slipped))
        },
        || current_sections(&frame, &deals, definition, &context),
    );
    let (movement, slipped) = changes?;
    let Current {
        kpis,
        by_stage,
        by_currency,
        by_owner,
        by_close_month,
        top_deals: (top_deals, ranked),
        stale,
    } = current?;
    let forecast = forecast::forecast(&by_stage, &kpis);
    Ok(PipelineReport {
        context,
        sections: definition.sections.clone(),
        deals,
        kpis,
        by_stage,
        forecast,
        by_currency,
        by_owner,
        by_close_month,
        top_deals,
        ranked,
        top_n: definition.windows.top_n as usize,
        stale,
        movement,
        slipped,
    })
}

/// The sections of the deals as they stand at the as-of date.
struct Current {
    kpis: Kpis,
    by_stage: Vec<StageRow>,
    by_currency: Vec<CurrencyRow>,
    by_owner: Vec<OwnerRow>,
    by_close_month: Vec<CloseMonthRow>,
    top_deals: (Vec<usize>, usize),
    stale: Vec<usize>,
}

fn current_sections(
    deals_frame: &frame::DealsFrame<'_>,
    deals: &[ReportDeal],
    definition: &ReportDefinition,
    context: &ReportContext,
) -> Result<Current, AggregateError> {
    let minor = context.base.minor_units();
    let polars = |section| move |source| AggregateError::Polars { section, source };
    let windows = &definition.windows;
    let frame = &deals_frame.frame;
    Ok(Current {
        kpis: kpis::kpis(
            frame,
            context.as_of,
            &context.period,
            windows.win_rate_days,
            minor,
        )
        .map_err(polars("KPI"))?,
        by_stage: by_stage::by_stage(deals_frame, definition, context.as_of, minor)
            .map_err(polars("by stage"))?,
        by_currency: by_currency::by_currency(deals),
        by_owner: by_owner::by_owner(
            deals_frame,
            context.as_of,
            &context.period,
            windows.win_rate_days,
            minor,
        )
        .map_err(polars("by owner"))?,
        by_close_month: by_close_month::by_close_month(
            frame,
            context.as_of,
            windows.months_ahead,
            minor,
        )
        .map_err(polars("by close month"))?,
        top_deals: deal_lists::top_deals(frame, windows.top_n as usize)
            .map_err(polars("top deals"))?,
        stale: deal_lists::stale_deals(frame, context.as_of, windows.stale_days)
            .map_err(polars("stale deals"))?,
    })
}
