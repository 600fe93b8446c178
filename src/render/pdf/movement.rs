//! Movement since the period start: a waterfall on the first page, and a
//! section with the waterfall and its figures.

use super::canvas::Canvas;
use super::sections::note;
use super::style::{Style, accent, grey};
use super::table::{Column, Table};
use super::waterfall::waterfall;
use crate::aggregate::{Movement, PipelineReport};
use crate::render::format::grouped;

/// Why there is no waterfall, in words.
fn no_baseline(report: &PipelineReport) -> Option<String> {
    let Movement::NoBaseline {
        period_start,
        history_from,
    } = &report.movement
    else {
        return None;
    };
    let tz = report.context.timezone;
    let local = |t: &chrono::DateTime<chrono::Utc>| {
        format!(
            "{} ({})",
            t.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
            tz.name()
        )
    };
    let start = local(period_start);
    Some(match history_from {
        Some(from) => format!(
            "No movement to show: the stored deal history starts at {}, after the period start, {start}. The first period that starts after it will show what changed.",
            local(from)
        ),
        None => format!(
            "No movement to show: no sync has finished, so there is no deal set at the period start, {start}."
        ),
    })
}

/// The first page's block: a heading and a compact waterfall.
pub fn summary(canvas: &mut Canvas<'_>, report: &PipelineReport) {
    canvas.paragraph(
        &format!("Movement since {}", report.context.period.start),
        &Style::new(11.0, accent()),
    );
    canvas.down(1.0);
    match &report.movement {
        Movement::Computed(rows) => {
            let base = report.context.base;
            waterfall(canvas, rows, base.code(), base.minor_units(), 38.0);
        }
        Movement::NoBaseline { .. } => {
            if let Some(text) = no_baseline(report) {
                canvas.paragraph(&text, &Style::new(8.0, grey(0.35)));
            }
        }
    }
}

/// The movement section: the waterfall and a table of its steps.
pub fn section(canvas: &mut Canvas<'_>, report: &PipelineReport) {
    let Movement::Computed(rows) = &report.movement else {
        if let Some(text) = no_baseline(report) {
            note(canvas, &text);
        }
        return;
    };
    let base = report.context.base;
    let dp = base.minor_units();
    note(
        canvas,
        &format!(
            "Open pipeline at the start of {} and now, valued at the rates of {}; start + every step = now.",
            report.context.period.label(),
            report.context.rates_date
        ),
    );
    waterfall(canvas, rows, base.code(), dp, 55.0);
    canvas.down(2.0);
    let mut table = Table::new(
        "Movement",
        vec![
            Column::text("Step", 1.0),
            Column::number("Deals"),
            Column::number(format!("Amount ({base})")),
        ],
    );
    for row in rows {
        table.row(
            vec![
                row.step.label().to_owned(),
                grouped(row.deals.into(), 0),
                grouped(row.amount, dp),
            ],
            false,
        );
    }
    table.draw(canvas);
}
