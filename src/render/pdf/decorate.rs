//! Header and footer of every page: what the report is, and where its
//! numbers came from.

use super::canvas::{Canvas, MARGIN};
use super::style::{Align, Style, alert, grey};
use crate::aggregate::PipelineReport;

/// The provenance line of the footer: the rates and the last sync.
pub fn provenance(report: &PipelineReport) -> String {
    let c = &report.context;
    let sync = c
        .last_sync
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "never".to_owned());
    format!(
        "Rates of {} ({}) · last successful sync {sync}",
        c.rates_date, c.rates_source
    )
}

/// Draws the header and footer of page `page` of `total`.
pub fn page(canvas: &mut Canvas<'_>, report: &PipelineReport, page: usize, total: usize) {
    let c = &report.context;
    let width = canvas.body_width();
    let top = canvas.height() - 13.0;
    let flag = if c.sample {
        let flag = "SAMPLE DATA – not real figures";
        canvas.text(
            canvas.right(),
            top,
            flag,
            &Style::new(9.5, alert()),
            Align::Right,
            None,
        );
        canvas.fonts().width(flag, 9.5) + 4.0
    } else {
        0.0
    };
    canvas.text(
        MARGIN,
        top,
        &c.title,
        &Style::new(14.0, grey(0.1)),
        Align::Left,
        Some(width - flag),
    );
    let subtitle = format!(
        "{} · period {} ({} to {}) · as of {} ({}) · amounts in {}",
        c.job,
        c.period.label(),
        c.period.start,
        c.period.end,
        c.as_of,
        c.timezone.name(),
        c.base
    );
    canvas.text(
        MARGIN,
        top - 5.8,
        &subtitle,
        &Style::new(8.0, grey(0.35)),
        Align::Left,
        Some(width),
    );
    canvas.rule(top - 8.8, 0.8, grey(0.6));
    if let Some(stale) = &c.stale_data {
        canvas.text(
            MARGIN,
            top - 12.6,
            &format!("STALE DATA: {stale}"),
            &Style::new(7.5, alert()),
            Align::Left,
            Some(width),
        );
    }

    let small = Style::new(6.5, grey(0.4));
    canvas.rule(15.5, 0.5, grey(0.75));
    let pages = format!("page {page} of {total}");
    let pages_width = canvas.fonts().width(&pages, 7.0) + 4.0;
    canvas.text(
        MARGIN,
        11.5,
        &provenance(report),
        &small,
        Align::Left,
        Some(width - pages_width),
    );
    canvas.text(
        MARGIN,
        8.0,
        &format!("Deals: {} · run {}", c.deal_source, c.run_id),
        &small,
        Align::Left,
        Some(width - pages_width),
    );
    canvas.text(
        canvas.right(),
        11.5,
        &pages,
        &Style::new(7.0, grey(0.3)),
        Align::Right,
        None,
    );
}
