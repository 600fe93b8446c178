//! The body of the report: a block per section, in the definition's order.
//! The breakdowns are in `breakdowns.rs`, the deal lists in `lists.rs`.

use super::breakdowns;
use super::canvas::Canvas;
use super::cover::figures;
use super::lists;
use super::movement;
use super::style::{Style, accent, grey};
use super::table::{Column, Table};
use crate::aggregate::PipelineReport;
use crate::config::{PdfLayout, SectionKind};
use crate::render::format::grouped;

/// Draws every section; returns each one's title and first page.
pub fn body(
    canvas: &mut Canvas<'_>,
    report: &PipelineReport,
    layout: &PdfLayout,
) -> Vec<(String, usize)> {
    let mut contents = Vec::new();
    for section in &report.sections {
        heading(canvas, &section.title);
        contents.push((section.title.clone(), canvas.page_number()));
        match section.kind {
            SectionKind::Kpis => kpis(canvas, report),
            SectionKind::ByStage => breakdowns::by_stage(canvas, report),
            SectionKind::ByOwner => breakdowns::by_owner(canvas, report),
            SectionKind::ByCloseMonth => breakdowns::by_close_month(canvas, report),
            SectionKind::ByCurrency => breakdowns::by_currency(canvas, report),
            SectionKind::TopDeals => lists::top_deals(canvas, report, &section.title),
            SectionKind::Movement => movement::section(canvas, report),
            SectionKind::Slipped => lists::slipped(canvas, report, &section.title, layout),
            SectionKind::Stale => lists::stale(canvas, report, &section.title, layout),
            SectionKind::DataQuality => lists::data_quality(canvas, report, &section.title, layout),
        }
        canvas.down(6.0);
    }
    contents
}

/// A section's title, kept on the page of what follows it.
fn heading(canvas: &mut Canvas<'_>, title: &str) {
    canvas.ensure(40.0);
    canvas.paragraph(title, &Style::new(12.5, accent()));
    canvas.down(2.5);
}

/// A short explanation under a heading.
pub fn note(canvas: &mut Canvas<'_>, text: &str) {
    canvas.paragraph(text, &Style::new(7.5, grey(0.35)));
    canvas.down(2.0);
}

fn kpis(canvas: &mut Canvas<'_>, report: &PipelineReport) {
    let mut table = Table::new(
        "Headline figures",
        vec![
            Column::text("Figure", 3.0),
            Column::number("Value"),
            Column::text("What it counts", 7.0),
        ],
    );
    for figure in figures(report) {
        table.row(
            vec![figure.label.to_owned(), figure.value, figure.note],
            false,
        );
    }
    let k = &report.kpis;
    table.row(
        vec![
            format!("No {} amount", report.context.base),
            grouped(k.without_amount.into(), 0),
            format!("deals in no total, {} of them open", k.open_without_amount),
        ],
        k.without_amount > 0,
    );
    table.draw(canvas);
}
