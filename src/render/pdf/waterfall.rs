//! The movement waterfall: the open amount at the period start, each step
//! that added or took away, and the open amount now. Start and end are
//! solid, additions light, subtractions hatched: apart in greyscale too.

use rust_decimal::Decimal;

use super::canvas::{Canvas, MARGIN};
use super::chart::{legend, scale, value_axis};
use super::style::{Align, Style, accent, accent_light, grey};
use crate::aggregate::{MovementRow, MovementStep};
use crate::render::format::grouped;

/// A step's name under its bar.
fn title(step: MovementStep) -> &'static str {
    match step {
        MovementStep::Start => "Start",
        MovementStep::New => "New",
        MovementStep::Increased => "Increased",
        MovementStep::Decreased => "Decreased",
        MovementStep::Won => "Won",
        MovementStep::Lost => "Lost",
        MovementStep::Other => "Other",
        MovementStep::End => "Now",
    }
}

/// "+1,234.50" for a step, "1,234.50" for a level.
fn signed(row: &MovementRow, dp: u32) -> String {
    let text = grouped(row.amount, dp);
    let level = matches!(row.step, MovementStep::Start | MovementStep::End);
    if level || row.amount < Decimal::ZERO {
        text
    } else {
        format!("+{text}")
    }
}

/// Draws the waterfall with a plot `plot` mm high, on an axis in
/// `currency`.
pub fn waterfall(
    canvas: &mut Canvas<'_>,
    rows: &[MovementRow],
    currency: &str,
    dp: u32,
    plot: f32,
) {
    const AXIS: f32 = 24.0;
    if rows.is_empty() {
        return;
    }
    let height = 8.0 + plot + 14.0;
    canvas.ensure(height);
    let top = canvas.y();
    let plot_top = top - 10.0;
    let plot_bottom = plot_top - plot;
    let plot_x = MARGIN + AXIS;
    let plot_width = canvas.right() - plot_x;
    let legend_y = top - 4.0;
    let next = legend(canvas, plot_x, legend_y, accent(), false, "Open pipeline");
    let next = legend(canvas, next, legend_y, accent_light(), true, "Added");
    canvas.fill_rect(next, legend_y, 4.0, 2.6, grey(1.0));
    canvas.hatch(next, legend_y, 4.0, 2.6, grey(0.25));
    canvas.stroke_rect(next, legend_y, 4.0, 2.6, grey(0.25), 0.5);
    let style = Style::new(7.0, grey(0.3));
    canvas.text(
        next + 5.5,
        legend_y + 0.3,
        "Taken away",
        &style,
        Align::Left,
        None,
    );

    // Each bar spans from the running level before it to the one after.
    let mut level = Decimal::ZERO;
    let spans: Vec<(Decimal, Decimal)> = rows
        .iter()
        .map(|row| match row.step {
            MovementStep::Start | MovementStep::End => {
                level = row.amount;
                (Decimal::ZERO, row.amount)
            }
            _ => {
                let before = level;
                level += row.amount;
                (before, level)
            }
        })
        .collect();
    let max = spans
        .iter()
        .map(|(a, b)| (*a).max(*b))
        .max()
        .unwrap_or_default();
    let axis_max = value_axis(canvas, max, plot_x, plot_bottom, plot, currency);
    let small = Style::new(6.2, grey(0.35));

    let slot = plot_width / rows.len() as f32;
    let width = slot * 0.6;
    let mut previous_top: Option<(f32, f32)> = None;
    for (i, (row, (from, to))) in rows.iter().zip(&spans).enumerate() {
        let x = plot_x + i as f32 * slot + (slot - width) / 2.0;
        let low = plot_bottom + scale((*from).min(*to), axis_max, plot);
        let high = plot_bottom + scale((*from).max(*to), axis_max, plot);
        let h = (high - low).max(0.3);
        match row.step {
            MovementStep::Start | MovementStep::End => canvas.fill_rect(x, low, width, h, accent()),
            _ if row.amount < Decimal::ZERO => {
                canvas.fill_rect(x, low, width, h, grey(1.0));
                canvas.hatch(x, low, width, h, grey(0.25));
                canvas.stroke_rect(x, low, width, h, grey(0.25), 0.6);
            }
            _ => {
                canvas.fill_rect(x, low, width, h, accent_light());
                canvas.stroke_rect(x, low, width, h, grey(0.3), 0.4);
            }
        }
        let level_y = plot_bottom + scale(*to, axis_max, plot);
        if let Some((end_x, y)) = previous_top {
            canvas.segment(end_x, y, x, y, grey(0.45), 0.4, true);
        }
        previous_top = Some((x + width, level_y));
        let centre = x + width / 2.0;
        canvas.figure(
            centre,
            high + 1.2,
            &signed(row, dp),
            &small,
            Align::Center,
            slot - 0.5,
        );
        canvas.text(
            centre,
            plot_bottom - 3.4,
            title(row.step),
            &Style::new(7.0, grey(0.2)),
            Align::Center,
            Some(slot),
        );
        let deals = format!("{} deals", grouped(row.deals.into(), 0));
        canvas.text(
            centre,
            plot_bottom - 6.6,
            &deals,
            &small,
            Align::Center,
            Some(slot),
        );
    }
    canvas.down(height);
}
