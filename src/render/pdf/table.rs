//! Tables that break across pages: the header row is repeated on every
//! page, numbers are right-aligned, text too long for its column is cut
//! with an ellipsis, and a long list ends with where to find the rest.

use super::canvas::{Canvas, MARGIN};
use super::style::{Align, Style, alert, grey};

/// Height of a body row.
pub const ROW_HEIGHT: f32 = 5.4;
/// Height of the header row.
const HEADER_HEIGHT: f32 = 6.5;
/// Body text size.
const TEXT_SIZE: f32 = 7.8;
/// Header text size.
const HEADER_SIZE: f32 = 7.3;
/// Space between a cell's text and its column's edges.
const PADDING: f32 = 1.5;

/// How wide a column is.
#[derive(Clone, Copy)]
enum Width {
    /// As wide as its widest cell or its header.
    Fit,
    /// A share of what the fitted columns leave.
    Share(f32),
}

/// One column: its header, its width, its alignment.
pub struct Column {
    title: String,
    width: Width,
    align: Align,
}

impl Column {
    /// A text column, left-aligned, taking `share` of the free width; text
    /// longer than that is cut with an ellipsis.
    pub fn text(title: impl Into<String>, share: f32) -> Self {
        Self {
            title: title.into(),
            width: Width::Share(share),
            align: Align::Left,
        }
    }

    /// A short text column (a code, a date), left-aligned, as wide as its
    /// content.
    pub fn fit(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            width: Width::Fit,
            align: Align::Left,
        }
    }

    /// A number column, right-aligned, as wide as its content.
    pub fn number(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            width: Width::Fit,
            align: Align::Right,
        }
    }
}

/// A table to draw at the cursor.
pub struct Table {
    /// Shown above the header on each page after the first.
    pub caption: String,
    /// The columns.
    pub columns: Vec<Column>,
    /// Cells, one vector per row.
    pub rows: Vec<Vec<String>>,
    /// Rows printed in the alert colour (e.g. overdue).
    pub flagged: Vec<bool>,
    /// A total row under a rule.
    pub total: Option<Vec<String>>,
    /// A closing note, e.g. "and 240 more — see stale.csv".
    pub more: Option<String>,
}

impl Table {
    /// A table of `columns` with no rows yet.
    pub fn new(caption: impl Into<String>, columns: Vec<Column>) -> Self {
        Self {
            caption: caption.into(),
            columns,
            rows: Vec::new(),
            flagged: Vec::new(),
            total: None,
            more: None,
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>, flagged: bool) {
        self.rows.push(cells);
        self.flagged.push(flagged);
    }

    /// Draws the table from the cursor down, breaking pages as needed.
    pub fn draw(&self, canvas: &mut Canvas<'_>) {
        let edges = self.layout(canvas);
        // A table that fits on a page is not split; a longer one keeps its
        // header with at least two rows.
        let whole = HEADER_HEIGHT
            + ROW_HEIGHT * (self.rows.len() + usize::from(self.total.is_some())) as f32
            + if self.more.is_some() { 7.0 } else { 0.0 };
        if whole <= canvas.body_height() {
            canvas.ensure(whole);
        } else {
            canvas.ensure(HEADER_HEIGHT + 2.0 * ROW_HEIGHT);
        }
        self.header(canvas, &edges, false);
        for (index, cells) in self.rows.iter().enumerate() {
            // The last row keeps the total and the closing note company.
            let last = index + 1 == self.rows.len();
            let tail = if last && self.total.is_some() {
                ROW_HEIGHT + 1.0
            } else {
                0.0
            } + if last && self.more.is_some() {
                6.0
            } else {
                0.0
            };
            if canvas.ensure(ROW_HEIGHT + tail) {
                self.header(canvas, &edges, true);
            }
            if index % 2 == 1 {
                canvas.fill_rect(
                    MARGIN,
                    canvas.y() - ROW_HEIGHT,
                    canvas.body_width(),
                    ROW_HEIGHT,
                    grey(0.955),
                );
            }
            let color = if self.flagged.get(index).copied().unwrap_or(false) {
                alert()
            } else {
                grey(0.1)
            };
            self.cells(canvas, &edges, cells, &Style::new(TEXT_SIZE, color));
        }
        if let Some(total) = &self.total {
            if canvas.ensure(ROW_HEIGHT + 1.0) {
                self.header(canvas, &edges, true);
            }
            canvas.rule(canvas.y() - 0.3, 0.6, grey(0.45));
            self.cells(canvas, &edges, total, &Style::new(TEXT_SIZE, grey(0.0)));
        }
        if let Some(more) = &self.more {
            canvas.down(1.0);
            canvas.paragraph(more, &Style::new(7.5, grey(0.35)));
        }
    }

    /// Left edge and width of every column: fitted columns get what their
    /// widest cell needs, shared ones split the rest (at least a quarter of
    /// the body); when that overflows, every column shrinks alike.
    fn layout(&self, canvas: &Canvas<'_>) -> Vec<(f32, f32)> {
        let fonts = canvas.fonts();
        let body = canvas.body_width();
        let fitted: Vec<f32> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| match column.width {
                Width::Share(_) => 0.0,
                Width::Fit => {
                    let widest = self
                        .rows
                        .iter()
                        .chain(self.total.as_ref())
                        .filter_map(|row| row.get(i))
                        .map(|cell| fonts.width(cell, TEXT_SIZE))
                        .fold(fonts.width(&column.title, HEADER_SIZE), f32::max);
                    widest + 2.0 * PADDING + 0.5
                }
            })
            .collect();
        let shares: f32 = self
            .columns
            .iter()
            .map(|c| match c.width {
                Width::Share(share) => share,
                Width::Fit => 0.0,
            })
            .sum();
        let fixed: f32 = fitted.iter().sum();
        let free = if shares > 0.0 {
            (body - fixed).max(body / 4.0)
        } else {
            0.0
        };
        let widths: Vec<f32> = self
            .columns
            .iter()
            .zip(&fitted)
            .map(|(column, fit)| match column.width {
                Width::Share(share) => free * share / shares,
                Width::Fit => *fit,
            })
            .collect();
        let total: f32 = widths.iter().sum();
        // Spare room goes to the fitted columns when nothing shares it.
        let stretch = if shares > 0.0 {
            (body / total).min(1.0)
        } else {
            body / total.max(f32::EPSILON)
        };
        let mut x = MARGIN;
        widths
            .into_iter()
            .map(|width| {
                let width = width * stretch;
                let edge = (x, width);
                x += width;
                edge
            })
            .collect()
    }

    fn header(&self, canvas: &mut Canvas<'_>, edges: &[(f32, f32)], continued: bool) {
        if continued {
            canvas.down(1.0);
            canvas.paragraph(
                &format!("{} (continued)", self.caption),
                &Style::new(8.0, grey(0.4)),
            );
            canvas.down(1.0);
        }
        let top = canvas.y();
        canvas.fill_rect(
            MARGIN,
            top - HEADER_HEIGHT,
            canvas.body_width(),
            HEADER_HEIGHT,
            grey(0.88),
        );
        let style = Style::new(HEADER_SIZE, grey(0.15));
        for (column, (x, width)) in self.columns.iter().zip(edges) {
            let (at, align) = anchor(column.align, *x, *width);
            canvas.text(
                at,
                top - HEADER_HEIGHT + 2.0,
                &column.title,
                &style,
                align,
                Some(width - 2.0 * PADDING),
            );
        }
        canvas.down(HEADER_HEIGHT);
    }

    fn cells(
        &self,
        canvas: &mut Canvas<'_>,
        edges: &[(f32, f32)],
        cells: &[String],
        style: &Style,
    ) {
        let baseline = canvas.y() - ROW_HEIGHT + 1.6;
        for ((column, (x, width)), cell) in self.columns.iter().zip(edges).zip(cells) {
            let (at, align) = anchor(column.align, *x, *width);
            canvas.text(
                at,
                baseline,
                cell,
                style,
                align,
                Some(width - 2.0 * PADDING),
            );
        }
        canvas.down(ROW_HEIGHT);
    }
}

fn anchor(align: Align, x: f32, width: f32) -> (f32, Align) {
    match align {
        Align::Left => (x + PADDING, Align::Left),
        Align::Right => (x + width - PADDING, Align::Right),
        Align::Center => (x + width / 2.0, Align::Center),
    }
}

/// "and 240 more — see stale.csv", when `shown` of `total` rows fit.
pub fn more(shown: usize, total: usize, file: &str) -> Option<String> {
    (total > shown).then(|| {
        format!(
            "and {} more — see {file}",
            crate::render::format::grouped((total - shown).into(), 0)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::font::Fonts;
    use super::*;
    use crate::config::Paper;

    #[test]
    fn fitted_columns_hold_their_widest_cell_and_text_takes_the_rest() {
        let fonts = Fonts::new(None).expect("embedded font");
        let canvas = Canvas::new(&fonts, Paper::A4);
        let mut table = Table::new(
            "Deals",
            vec![
                Column::text("Deal", 2.0),
                Column::number("Amount (SGD)"),
                Column::text("Owner", 1.0),
            ],
        );
        table.row(
            vec![
                "Acme".to_owned(),
                "12,345,678.90".to_owned(),
                "Ana".to_owned(),
            ],
            false,
        );
        let edges = table.layout(&canvas);
        let widths: Vec<f32> = edges.iter().map(|(_, w)| *w).collect();
        let total: f32 = widths.iter().sum();
        assert!((total - canvas.body_width()).abs() < 0.01, "{widths:?}");
        let needed = fonts
            .width("12,345,678.90", TEXT_SIZE)
            .max(fonts.width("Amount (SGD)", HEADER_SIZE));
        assert!(widths[1] >= needed + 2.0 * PADDING, "{widths:?}");
        assert!((widths[0] - 2.0 * widths[2]).abs() < 0.01, "shares 2 : 1");
        assert_eq!(edges[0].0, MARGIN);
        assert!((edges[2].0 - (MARGIN + widths[0] + widths[1])).abs() < 0.01);
        assert_eq!(
            more(20, 260, "stale.csv").as_deref(),
            Some("and 240 more — see stale.csv")
        );
        assert_eq!(more(20, 20, "stale.csv"), None);
    }
}
