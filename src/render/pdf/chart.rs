//! Charts drawn with vector operations: horizontal bars (amount with the
//! weighted amount inside it) and columns by month. Bars differ by
//! lightness and hatching, not by hue alone, so a greyscale print reads.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::canvas::{Canvas, MARGIN};
use super::style::{Align, Style, accent, accent_light, alert, grey};
use crate::render::format::grouped;

/// One horizontal bar: the amount, and the weighted part drawn inside it.
pub struct Bar {
    /// Category, left of the bar.
    pub label: String,
    /// Unweighted amount: the bar's length.
    pub amount: Decimal,
    /// Weighted amount: the inner, darker bar.
    pub weighted: Decimal,
}

/// One column of a column chart.
pub struct Column {
    /// Category, under the column.
    pub label: String,
    /// The column's height.
    pub amount: Decimal,
    /// Drawn hatched with a dark outline, in the alert colour.
    pub flagged: bool,
}

/// Axis values: 0, step, 2 × step… up to the first at or above `max`, with
/// step a 1, 2 or 5 × 10ⁿ giving at most `intervals` steps.
pub fn ticks(max: Decimal, intervals: u32) -> Vec<Decimal> {
    if max <= Decimal::ZERO {
        return vec![Decimal::ZERO, Decimal::ONE];
    }
    let intervals = Decimal::from(intervals.max(1));
    let mut power = Decimal::ONE;
    while power * Decimal::TEN <= max / intervals {
        power *= Decimal::TEN;
    }
    while power > max / intervals && power > Decimal::new(1, 2) {
        power /= Decimal::TEN;
    }
    let step = [1, 2, 5, 10, 20, 50]
        .into_iter()
        .map(|m| power * Decimal::from(m))
        .find(|step| (max / step).ceil() <= intervals)
        .unwrap_or(power * Decimal::ONE_HUNDRED);
    let count = (max / step).ceil().to_u32().unwrap_or(1).max(1);
    (0..=count).map(|i| step * Decimal::from(i)).collect()
}

/// The value axis of a column chart: grid lines at round ticks with their
/// labels, the currency above; returns the axis maximum to scale by.
pub fn value_axis(
    canvas: &mut Canvas<'_>,
    max: Decimal,
    plot_x: f32,
    plot_bottom: f32,
    height: f32,
    currency: &str,
) -> Decimal {
    let axis = ticks(max, 4);
    let axis_max = axis.last().copied().unwrap_or(Decimal::ONE);
    let small = Style::new(6.5, grey(0.35));
    for tick in &axis {
        let y = plot_bottom + scale(*tick, axis_max, height);
        canvas.segment(
            plot_x,
            y,
            canvas.right(),
            y,
            grey(0.82),
            0.4,
            *tick != Decimal::ZERO,
        );
        canvas.text(
            plot_x - 1.5,
            y - 1.0,
            &tick_label(*tick),
            &small,
            Align::Right,
            None,
        );
    }
    canvas.text(
        MARGIN,
        plot_bottom + height + 2.5,
        currency,
        &small,
        Align::Left,
        None,
    );
    axis_max
}

/// Chart geometry: a value as a length along an axis of `length` mm.
pub fn scale(value: Decimal, max: Decimal, length: f32) -> f32 {
    let ratio = (value / max).to_f32().unwrap_or(0.0);
    ratio.clamp(0.0, 1.0) * length
}

/// A tick label: grouped thousands, no decimals unless the step needs them.
pub fn tick_label(value: Decimal) -> String {
    grouped(value, value.normalize().scale().min(2))
}

/// A legend entry: a swatch and its meaning.
pub fn legend(
    canvas: &mut Canvas<'_>,
    x: f32,
    y: f32,
    fill: printpdf::Color,
    dark_outline: bool,
    text: &str,
) -> f32 {
    canvas.fill_rect(x, y, 4.0, 2.6, fill);
    if dark_outline {
        canvas.stroke_rect(x, y, 4.0, 2.6, grey(0.3), 0.4);
    }
    let style = Style::new(7.0, grey(0.3));
    canvas.text(x + 5.5, y + 0.3, text, &style, Align::Left, None);
    x + 5.5 + canvas.fonts().width(text, 7.0) + 6.0
}

/// Horizontal bars, one per category, the weighted amount inside the
/// amount, on an axis in `currency`.
pub fn bars(canvas: &mut Canvas<'_>, bars: &[Bar], currency: &str, dp: u32) {
    const ROW: f32 = 6.2;
    const LABEL: f32 = 46.0;
    if bars.is_empty() {
        return;
    }
    let height = 8.0 + bars.len() as f32 * ROW + 12.0;
    canvas.ensure(height);
    let top = canvas.y();
    let legend_y = top - 4.0;
    let next = legend(
        canvas,
        MARGIN + LABEL,
        legend_y,
        accent_light(),
        true,
        "Amount",
    );
    legend(
        canvas,
        next,
        legend_y,
        accent(),
        false,
        "Weighted (amount × probability)",
    );

    let plot_x = MARGIN + LABEL;
    let plot_width = canvas.right() - plot_x - 16.0;
    let plot_top = top - 8.0;
    let plot_bottom = plot_top - bars.len() as f32 * ROW;
    let max = bars
        .iter()
        .map(|b| b.amount.max(b.weighted))
        .max()
        .unwrap_or_default();
    let axis = ticks(max, 5);
    let axis_max = axis.last().copied().unwrap_or(Decimal::ONE);
    let small = Style::new(6.5, grey(0.35));
    for tick in &axis {
        let x = plot_x + scale(*tick, axis_max, plot_width);
        canvas.segment(
            x,
            plot_bottom,
            x,
            plot_top,
            grey(0.82),
            0.4,
            *tick != Decimal::ZERO,
        );
        canvas.text(
            x,
            plot_bottom - 3.2,
            &tick_label(*tick),
            &small,
            Align::Center,
            None,
        );
    }
    canvas.text(
        plot_x + plot_width / 2.0,
        plot_bottom - 7.0,
        &format!("Open amount ({currency})"),
        &Style::new(7.0, grey(0.3)),
        Align::Center,
        None,
    );
    let label_style = Style::new(7.5, grey(0.15));
    for (i, bar) in bars.iter().enumerate() {
        let row_top = plot_top - i as f32 * ROW;
        let y = row_top - ROW + 1.0;
        canvas.text(
            MARGIN,
            y + 1.2,
            &bar.label,
            &label_style,
            Align::Left,
            Some(LABEL - 2.0),
        );
        let outer = scale(bar.amount, axis_max, plot_width);
        let inner = scale(bar.weighted, axis_max, plot_width);
        canvas.fill_rect(plot_x, y, outer, ROW - 2.0, accent_light());
        canvas.stroke_rect(plot_x, y, outer, ROW - 2.0, grey(0.3), 0.4);
        canvas.fill_rect(plot_x, y + 1.0, inner, ROW - 4.0, accent());
        let value = grouped(bar.amount, dp);
        // Paper behind the value, so a grid line does not cross it.
        let label_width = canvas.fonts().width(&value, small.size) + 1.0;
        canvas.fill_rect(
            plot_x + outer + 0.7,
            y + 0.4,
            label_width,
            ROW - 2.8,
            grey(1.0),
        );
        canvas.figure(
            plot_x + outer + 1.2,
            y + 1.2,
            &value,
            &small,
            Align::Left,
            canvas.right() - plot_x - outer - 1.2,
        );
    }
    canvas.down(height);
}

/// Columns, one per category, on an axis in `currency`; flagged columns
/// are hatched.
pub fn columns(
    canvas: &mut Canvas<'_>,
    columns: &[Column],
    currency: &str,
    dp: u32,
    flagged_meaning: &str,
) {
    const PLOT: f32 = 48.0;
    const AXIS: f32 = 24.0;
    if columns.is_empty() {
        return;
    }
    let height = 8.0 + PLOT + 14.0;
    canvas.ensure(height);
    let top = canvas.y();
    let plot_top = top - 10.0;
    let plot_bottom = plot_top - PLOT;
    let plot_x = MARGIN + AXIS;
    let plot_width = canvas.right() - plot_x;
    let legend_y = top - 4.0;
    let next = legend(
        canvas,
        plot_x,
        legend_y,
        accent(),
        false,
        &format!("Open amount ({currency})"),
    );
    canvas.fill_rect(next, legend_y, 4.0, 2.6, grey(1.0));
    canvas.hatch(next, legend_y, 4.0, 2.6, alert());
    canvas.stroke_rect(next, legend_y, 4.0, 2.6, alert(), 0.6);
    canvas.text(
        next + 5.5,
        legend_y + 0.3,
        flagged_meaning,
        &Style::new(7.0, grey(0.3)),
        Align::Left,
        None,
    );

    let max = columns.iter().map(|c| c.amount).max().unwrap_or_default();
    let axis_max = value_axis(canvas, max, plot_x, plot_bottom, PLOT, currency);
    let small = Style::new(6.5, grey(0.35));
    let slot = plot_width / columns.len() as f32;
    let width = slot * 0.62;
    for (i, column) in columns.iter().enumerate() {
        let x = plot_x + i as f32 * slot + (slot - width) / 2.0;
        let h = scale(column.amount, axis_max, PLOT);
        let centre = x + width / 2.0;
        if column.flagged {
            canvas.fill_rect(x, plot_bottom, width, h, grey(1.0));
            canvas.hatch(x, plot_bottom, width, h, alert());
            canvas.stroke_rect(x, plot_bottom, width, h, alert(), 0.9);
        } else {
            canvas.fill_rect(x, plot_bottom, width, h, accent());
        }
        canvas.figure(
            centre,
            plot_bottom + h + 1.2,
            &grouped(column.amount, dp),
            &small,
            Align::Center,
            slot - 1.0,
        );
        let label_color = if column.flagged { alert() } else { grey(0.2) };
        canvas.text(
            centre,
            plot_bottom - 3.6,
            &column.label,
            &Style::new(7.0, label_color),
            Align::Center,
            Some(slot),
        );
    }
    canvas.down(height);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().expect("decimal")
    }

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(
            ticks(d("56151452.72"), 5),
            [0, 20, 40, 60].map(|m| Decimal::from(m) * d("1000000"))
        );
        assert_eq!(
            ticks(d("950"), 5),
            [0, 200, 400, 600, 800, 1000].map(Decimal::from)
        );
        assert_eq!(ticks(d("1"), 4), [d("0"), d("0.5"), d("1")]);
        assert_eq!(ticks(Decimal::ZERO, 5), [Decimal::ZERO, Decimal::ONE]);
        assert_eq!(tick_label(d("20000000")), "20,000,000");
        assert_eq!(tick_label(d("0.5")), "0.5");
    }
}
