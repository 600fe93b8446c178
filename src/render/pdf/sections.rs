//! The body of the report: a block per section, in the definition's order.

use super::canvas::{Align, Canvas, MARGIN, PAGE_WIDTH, accent, alert, grey};
use crate::aggregate::PipelineReport;
use crate::config::SectionKind;
use crate::render::format::{grouped, percent, ratio};

/// Draws every section.
pub fn body(canvas: &mut Canvas<'_>, report: &PipelineReport) {
    for section in &report.sections {
        // The other sections are in their CSVs; the PDF draws these.
        let draw: fn(&mut Canvas<'_>, &PipelineReport) = match section.kind {
            SectionKind::Kpis => kpis,
            SectionKind::ByStage => by_stage,
            _ => continue,
        };
        canvas.ensure(30.0);
        canvas.down(4.0);
        canvas.line(&section.title, 12.5, accent());
        canvas.down(2.0);
        draw(canvas, report);
        canvas.down(4.0);
    }
    quality_note(canvas, report);
}

fn kpis(canvas: &mut Canvas<'_>, report: &PipelineReport) {
    let k = &report.kpis;
    let dp = report.context.base.minor_units();
    let base = report.context.base.code();
    let money = |v| format!("{base} {}", grouped(v, dp));
    let optional_money = |v: Option<_>| v.map_or_else(|| "–".to_owned(), money);
    let tiles: Vec<(&str, String, String)> = vec![
        (
            "Open pipeline",
            money(k.open_amount),
            format!("{} open deals", k.open_count),
        ),
        (
            "Weighted pipeline",
            money(k.weighted_amount),
            "Σ amount × probability".to_owned(),
        ),
        (
            "Won this period",
            money(k.won_amount),
            format!("{} deals", k.won_count),
        ),
        (
            "Lost this period",
            money(k.lost_amount),
            format!("{} deals", k.lost_count),
        ),
        (
            "Win rate (count)",
            percent(k.win_rate_count),
            format!("by amount {}", percent(k.win_rate_amount)),
        ),
        (
            "Average won deal",
            optional_money(k.average_won_size),
            "in the win-rate window".to_owned(),
        ),
        (
            "Sales cycle",
            k.average_cycle_days
                .map_or_else(|| "–".to_owned(), |d| format!("{} days", ratio(Some(d), 1))),
            "created to closed, won deals".to_owned(),
        ),
        (
            "Pipeline velocity",
            k.velocity_per_day
                .map_or_else(|| "–".to_owned(), |v| format!("{} / day", money(v))),
            "open × win rate × size ÷ cycle".to_owned(),
        ),
    ];
    let columns = 2;
    let width = (PAGE_WIDTH - 2.0 * MARGIN - 6.0) / columns as f32;
    let height = 19.0;
    for row in tiles.chunks(columns) {
        canvas.ensure(height + 3.0);
        let top = canvas.y();
        for (i, (label, value, note)) in row.iter().enumerate() {
            let x = MARGIN + i as f32 * (width + 6.0);
            canvas.rect(x, top - height, width, height, grey(0.95));
            canvas.rect(x, top - height, 1.2, height, accent());
            canvas.text_at(
                x + 4.0,
                top - 5.5,
                label,
                8.5,
                grey(0.35),
                Align::Left,
                Some(width - 6.0),
            );
            canvas.text_at(
                x + 4.0,
                top - 12.5,
                value,
                15.0,
                grey(0.05),
                Align::Left,
                Some(width - 6.0),
            );
            canvas.text_at(
                x + 4.0,
                top - 17.0,
                note,
                7.0,
                grey(0.45),
                Align::Left,
                Some(width - 6.0),
            );
        }
        canvas.down(height + 3.0);
    }
    if k.without_amount > 0 {
        canvas.line(
            &format!(
                "{} deals ({} of them open) have no {base} amount (empty amount or no exchange rate) and are in no total; see data_quality.csv.",
                k.without_amount, k.open_without_amount
            ),
            8.0,
            alert(),
        );
    }
}

fn by_stage(canvas: &mut Canvas<'_>, report: &PipelineReport) {
    let dp = report.context.base.minor_units();
    let base = report.context.base.code();
    // (header, right edge or left start in mm, alignment)
    let columns: [(String, f32, Align); 6] = [
        ("Stage".to_owned(), MARGIN + 1.0, Align::Left),
        ("Deals".to_owned(), 88.0, Align::Right),
        (format!("Amount ({base})"), 122.0, Align::Right),
        (format!("Weighted ({base})"), 154.0, Align::Right),
        ("Share".to_owned(), 172.0, Align::Right),
        (
            "Avg age (d)".to_owned(),
            PAGE_WIDTH - MARGIN - 1.0,
            Align::Right,
        ),
    ];
    let header = |canvas: &mut Canvas<'_>| {
        canvas.ensure(7.0);
        let y = canvas.y() - 5.0;
        for (title, x, align) in &columns {
            canvas.text_at(*x, y, title, 8.0, grey(0.3), *align, None);
        }
        canvas.rule(y - 1.8, 0.6, grey(0.5));
        canvas.down(7.0);
    };
    header(canvas);
    for (index, row) in report.by_stage.iter().enumerate() {
        if canvas.ensure(6.0) {
            header(canvas);
        }
        let y = canvas.y() - 4.2;
        if index % 2 == 1 {
            canvas.rect(MARGIN, y - 1.6, PAGE_WIDTH - 2.0 * MARGIN, 6.0, grey(0.96));
        }
        let stage = if row.known {
            row.stage.clone()
        } else {
            format!("{} (not in definition)", row.stage)
        };
        let cells = [
            stage,
            row.count.to_string(),
            grouped(row.amount, dp),
            grouped(row.weighted, dp),
            percent(row.share),
            ratio(row.average_age_days, 1),
        ];
        for ((_, x, align), cell) in columns.iter().zip(cells) {
            let width = (*align == Align::Left).then_some(60.0);
            canvas.text_at(*x, y, &cell, 8.5, grey(0.1), *align, width);
        }
        canvas.down(6.0);
    }
    let k = &report.kpis;
    let y = canvas.y() - 4.5;
    canvas.rule(y + 3.2, 0.6, grey(0.5));
    canvas.text_at(
        MARGIN + 1.0,
        y,
        "Open pipeline",
        8.5,
        grey(0.05),
        Align::Left,
        None,
    );
    canvas.text_at(
        88.0,
        y,
        &k.open_count.to_string(),
        8.5,
        grey(0.05),
        Align::Right,
        None,
    );
    canvas.text_at(
        122.0,
        y,
        &grouped(k.open_amount, dp),
        8.5,
        grey(0.05),
        Align::Right,
        None,
    );
    canvas.text_at(
        154.0,
        y,
        &grouped(k.weighted_amount, dp),
        8.5,
        grey(0.05),
        Align::Right,
        None,
    );
    canvas.down(7.0);
}

fn quality_note(canvas: &mut Canvas<'_>, report: &PipelineReport) {
    let warnings = report.warnings().count();
    let notes = report.quality.len() - warnings;
    if report.quality.is_empty() {
        return;
    }
    canvas.down(2.0);
    let color = if warnings > 0 { alert() } else { grey(0.3) };
    canvas.line(
        &format!(
            "Data quality: {warnings} warnings and {notes} notes on {} deals; every finding is listed in data_quality.csv.",
            report.deals.len()
        ),
        8.5,
        color,
    );
}
