//! The first page: the headline figures, large, and what changed since
//! the last period.

use super::canvas::{Canvas, MARGIN};
use super::style::{Align, Style, accent, alert, grey};
use crate::aggregate::PipelineReport;
use crate::render::format::{grouped, percent, ratio};

/// One headline figure.
pub struct Figure {
    /// What it is.
    pub label: &'static str,
    /// The value, formatted.
    pub value: String,
    /// A line under it: a count, or how it is computed.
    pub note: String,
}

/// The headline figures, most important first.
pub fn figures(report: &PipelineReport) -> Vec<Figure> {
    let k = &report.kpis;
    let dp = report.context.base.minor_units();
    let base = report.context.base.code();
    let money = |v| format!("{base} {}", grouped(v, dp));
    let window = "trailing window";
    vec![
        Figure {
            label: "Open pipeline",
            value: money(k.open_amount),
            note: deals(k.open_count, "open deal"),
        },
        Figure {
            label: "Weighted pipeline",
            value: money(k.weighted_amount),
            note: "Σ amount × probability of open deals".to_owned(),
        },
        Figure {
            label: "Won this period",
            value: money(k.won_amount),
            note: deals(k.won_count, "deal"),
        },
        Figure {
            label: "Lost this period",
            value: money(k.lost_amount),
            note: deals(k.lost_count, "deal"),
        },
        Figure {
            label: "Win rate",
            value: percent(k.win_rate_count),
            note: format!("by count; by amount {}", percent(k.win_rate_amount)),
        },
        Figure {
            label: "Average won deal",
            value: k.average_won_size.map_or_else(|| "–".to_owned(), money),
            note: format!("won deals, {window}"),
        },
        Figure {
            label: "Sales cycle",
            value: k
                .average_cycle_days
                .map_or_else(|| "–".to_owned(), |d| format!("{} days", ratio(Some(d), 1))),
            note: "created to won".to_owned(),
        },
        Figure {
            label: "Pipeline velocity",
            value: k
                .velocity_per_day
                .map_or_else(|| "–".to_owned(), |v| format!("{} / day", money(v))),
            note: "open × rate × size ÷ cycle".to_owned(),
        },
    ]
}

/// "1 deal", "2,345 deals".
pub fn deals(count: i64, noun: &str) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{} {noun}{plural}", grouped(count.into(), 0))
}

/// Draws the first page and starts the next; returns where on the first
/// page the list of contents goes.
pub fn first_page(canvas: &mut Canvas<'_>, report: &PipelineReport) -> f32 {
    let c = &report.context;
    canvas.down(2.0);
    canvas.paragraph("At a glance", &Style::new(13.0, accent()));
    canvas.paragraph(
        &format!(
            "Period {}: {} to {}, as of {} ({}); amounts in {}.",
            c.period.label(),
            c.period.start,
            c.period.end,
            c.as_of,
            c.timezone.name(),
            c.base
        ),
        &Style::new(8.5, grey(0.35)),
    );
    canvas.down(4.0);
    let figures = figures(report);
    let (headline, secondary) = figures.split_at(4);
    tiles(canvas, headline, 2, 27.0, 20.0);
    canvas.down(1.0);
    tiles(canvas, secondary, 4, 19.0, 12.0);
    canvas.down(3.0);

    let k = &report.kpis;
    if k.without_amount > 0 {
        canvas.paragraph(
            &format!(
                "{} deals ({} of them open) have no {} amount (empty amount or no exchange rate) and are in no total; see data_quality.csv.",
                k.without_amount, k.open_without_amount, c.base
            ),
            &Style::new(8.0, alert()),
        );
    }
    let warnings = report.warnings().count();
    if warnings > 0 {
        canvas.paragraph(
            &format!(
                "Data quality: {warnings} warnings on {} deals; every finding is in data_quality.csv.",
                grouped(report.deals.len().into(), 0)
            ),
            &Style::new(8.0, alert()),
        );
    }
    canvas.down(3.0);
    super::movement::summary(canvas, report);
    canvas.down(4.0);
    let contents_at = canvas.y();
    canvas.new_page();
    contents_at
}

/// The sections and the page each starts on, under the figures.
pub fn contents(canvas: &mut Canvas<'_>, sections: &[(String, usize)]) {
    if canvas.room() < 10.0 + 5.2 * sections.len() as f32 {
        return;
    }
    let line = Style::new(9.0, grey(0.2));
    canvas.paragraph("In this report", &Style::new(11.0, accent()));
    canvas.down(1.0);
    let right = canvas.right();
    for (title, page) in sections {
        canvas.down(5.2);
        let y = canvas.y();
        let number = format!("page {page}");
        let room = right - MARGIN - canvas.fonts().width(&number, 9.0) - 6.0;
        canvas.text(MARGIN, y, title, &line, Align::Left, Some(room));
        let end = MARGIN
            + canvas
                .fonts()
                .width(&canvas.fonts().fit(title, 9.0, room), 9.0)
            + 2.0;
        let start = right - canvas.fonts().width(&number, 9.0) - 2.0;
        if start > end {
            canvas.segment(end, y + 0.4, start, y + 0.4, grey(0.7), 0.5, true);
        }
        canvas.text(right, y, &number, &line, Align::Right, None);
    }
}

/// Figures in boxes, `columns` to a row, the value as large as fits.
fn tiles(canvas: &mut Canvas<'_>, figures: &[Figure], columns: usize, height: f32, size: f32) {
    const GAP: f32 = 5.0;
    let width = (canvas.body_width() - GAP * (columns - 1) as f32) / columns as f32;
    for row in figures.chunks(columns) {
        canvas.ensure(height + GAP);
        let top = canvas.y();
        for (i, figure) in row.iter().enumerate() {
            let x = MARGIN + i as f32 * (width + GAP);
            canvas.fill_rect(x, top - height, width, height, grey(0.95));
            canvas.fill_rect(x, top - height, 1.4, height, accent());
            let inner = width - 7.0;
            let label = Style::new((size * 0.42 + 0.5).max(7.0), grey(0.3));
            canvas.text(
                x + 4.5,
                top - 2.0 - label.size * 0.3528,
                figure.label,
                &label,
                Align::Left,
                Some(inner),
            );
            canvas.figure(
                x + 4.5,
                top - height * 0.62,
                &figure.value,
                &Style::new(size, grey(0.05)),
                Align::Left,
                inner,
            );
            let note = Style::new((size * 0.3 + 1.6).clamp(6.3, 7.5), grey(0.4));
            canvas.text(
                x + 4.5,
                top - height + 3.0,
                &figure.note,
                &note,
                Align::Left,
                Some(inner),
            );
        }
        canvas.down(height + GAP);
    }
}
