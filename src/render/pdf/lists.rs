//! Sections that list deals: top deals, stale deals, data-quality
//! findings. Each shows its first rows and says where the rest are.

use chrono::NaiveDate;

use super::sections::note;
use super::table::{Column, Table, more};
use crate::aggregate::{PipelineReport, ReportDeal};
use crate::config::PdfLayout;
use crate::render::format::grouped;

fn date(value: Option<NaiveDate>) -> String {
    value.map_or_else(|| "–".to_owned(), |d| d.to_string())
}

fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "–".to_owned()
    } else {
        text.to_owned()
    }
}

fn amount(report: &PipelineReport, deal: &ReportDeal) -> (String, String) {
    let dp = report.context.base.minor_units();
    let show =
        |v: Option<rust_decimal::Decimal>| v.map_or_else(|| "–".to_owned(), |v| grouped(v, dp));
    (show(deal.amount_base), show(deal.weighted_base))
}

fn deal_columns(report: &PipelineReport, first: Column, last: Column) -> Vec<Column> {
    let base = report.context.base;
    vec![
        first,
        Column::text("Deal", 5.0),
        Column::text("Owner", 2.4),
        Column::text("Stage", 2.6),
        Column::number("Closing"),
        Column::number(format!("Amount ({base})")),
        last,
    ]
}

/// The largest open deals: as many as `top_deals.csv` holds.
pub fn top_deals(canvas: &mut super::canvas::Canvas<'_>, report: &PipelineReport, title: &str) {
    let base = report.context.base;
    let shown = report.top_deals.len();
    let mut table = Table::new(
        title,
        deal_columns(
            report,
            Column::number("#"),
            Column::number(format!("Weighted ({base})")),
        ),
    );
    for (rank, &index) in report.top_deals.iter().enumerate() {
        let deal = &report.deals[index];
        let (amount, weighted) = amount(report, deal);
        table.row(
            vec![
                (rank + 1).to_string(),
                deal.name.to_string(),
                or_dash(&deal.owner),
                deal.stage.to_string(),
                date(deal.closing_date),
                amount,
                weighted,
            ],
            false,
        );
    }
    table.more = (report.ranked > shown).then(|| {
        format!(
            "and {} more open deals with an amount — see deals.csv",
            grouped((report.ranked - shown).into(), 0)
        )
    });
    if shown == 0 {
        note(canvas, "No open deal has an amount.");
        return;
    }
    table.draw(canvas);
}

/// Open deals untouched for the stale window, the longest first.
pub fn stale(
    canvas: &mut super::canvas::Canvas<'_>,
    report: &PipelineReport,
    title: &str,
    layout: &PdfLayout,
) {
    if report.stale.is_empty() {
        note(canvas, "No open deal is stale.");
        return;
    }
    let shown = report.stale.len().min(layout.list_rows as usize);
    let mut table = Table::new(
        title,
        deal_columns(report, Column::fit("Modified"), Column::number("Days idle")),
    );
    for &index in report.stale.iter().take(shown) {
        let deal = &report.deals[index];
        let idle = deal.modified_date.map_or_else(
            || "–".to_owned(),
            |m| (report.context.as_of - m).num_days().to_string(),
        );
        table.row(
            vec![
                date(deal.modified_date),
                deal.name.to_string(),
                or_dash(&deal.owner),
                deal.stage.to_string(),
                date(deal.closing_date),
                amount(report, deal).0,
                idle,
            ],
            false,
        );
    }
    table.more = more(shown, report.stale.len(), "stale.csv");
    table.draw(canvas);
}

/// Findings about the CRM records, warnings first.
pub fn data_quality(
    canvas: &mut super::canvas::Canvas<'_>,
    report: &PipelineReport,
    title: &str,
    layout: &PdfLayout,
) {
    let mut rows: Vec<_> = report.quality().collect();
    if rows.is_empty() {
        note(canvas, "No finding: every record is complete.");
        return;
    }
    let warnings = report.warnings().count();
    note(
        canvas,
        &format!(
            "{warnings} warnings (they change a total or how a deal counts) and {} notes on {} deals.",
            rows.len() - warnings,
            grouped(report.deals.len().into(), 0)
        ),
    );
    rows.sort_by_key(|row| !row.problem.kind.is_warning());
    let shown = rows.len().min(layout.list_rows as usize);
    let mut table = Table::new(
        title,
        vec![
            Column::text("Deal", 4.0),
            Column::fit("Problem"),
            Column::text("Detail", 7.0),
        ],
    );
    for row in rows.iter().take(shown) {
        table.row(
            vec![
                or_dash(&row.deal.name),
                row.problem.kind.code().to_owned(),
                row.problem.detail.clone(),
            ],
            row.problem.kind.is_warning(),
        );
    }
    table.more = more(shown, rows.len(), "data_quality.csv");
    table.draw(canvas);
}

/// Open deals past their closing date, or whose closing date moved later
/// during the period.
pub fn slipped(
    canvas: &mut super::canvas::Canvas<'_>,
    report: &PipelineReport,
    title: &str,
    layout: &PdfLayout,
) {
    if report.slipped.is_empty() {
        note(canvas, "No open deal slipped.");
        return;
    }
    let overdue = report.slipped.iter().filter(|s| s.overdue).count();
    note(
        canvas,
        &format!(
            "{overdue} open deals are past their closing date; {} had their closing date moved later since {}.",
            report
                .slipped
                .iter()
                .filter(|s| s.moved_from.is_some())
                .count(),
            report.context.period.start
        ),
    );
    let shown = report.slipped.len().min(layout.list_rows as usize);
    let mut table = Table::new(
        title,
        deal_columns(report, Column::fit("Why"), Column::number("Was due")),
    );
    for row in report.slipped.iter().take(shown) {
        let deal = &report.deals[row.deal];
        let why = match (row.overdue, row.moved_from.is_some()) {
            (true, true) => "overdue, moved",
            (true, false) => "overdue",
            _ => "moved later",
        };
        table.row(
            vec![
                why.to_owned(),
                deal.name.to_string(),
                or_dash(&deal.owner),
                deal.stage.to_string(),
                date(deal.closing_date),
                amount(report, deal).0,
                row.moved_from.map_or_else(String::new, |d| d.to_string()),
            ],
            row.overdue,
        );
    }
    table.more = more(shown, report.slipped.len(), "slipped.csv");
    table.draw(canvas);
}
