//! A4 pages drawn top-down: a cursor, text placed absolutely, page breaks.

use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfFontHandle, Point, Pt, Rect,
    Rgb, TextItem, TextMatrix,
};

use super::font::{fit, text_width};

/// Page size in millimetres (A4).
pub const PAGE_WIDTH: f32 = 210.0;
/// Page height in millimetres.
pub const PAGE_HEIGHT: f32 = 297.0;
/// Left and right margin.
pub const MARGIN: f32 = 16.0;
/// Where the body starts, below the header.
const BODY_TOP: f32 = PAGE_HEIGHT - 34.0;
/// Where the body ends, above the footer.
const BODY_BOTTOM: f32 = 20.0;

/// Greys and one accent that stay distinct when printed in greyscale.
pub fn grey(level: f32) -> Color {
    Color::Rgb(Rgb {
        r: level,
        g: level,
        b: level,
        icc_profile: None,
    })
}

/// The accent colour.
pub fn accent() -> Color {
    Color::Rgb(Rgb {
        r: 0.12,
        g: 0.33,
        b: 0.62,
        icc_profile: None,
    })
}

/// Red for warnings and the sample-data flag.
pub fn alert() -> Color {
    Color::Rgb(Rgb {
        r: 0.75,
        g: 0.1,
        b: 0.1,
        icc_profile: None,
    })
}

/// Horizontal alignment.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Pages under construction, drawn from the top of the body down.
pub struct Canvas<'f> {
    font: &'f ParsedFont,
    font_id: FontId,
    pages: Vec<Vec<Op>>,
    /// Distance of the cursor from the bottom of the page, in mm.
    y: f32,
}

impl<'f> Canvas<'f> {
    /// A canvas with one empty page.
    pub fn new(font: &'f ParsedFont, font_id: FontId) -> Self {
        Self {
            font,
            font_id,
            pages: vec![Vec::new()],
            y: BODY_TOP,
        }
    }

    /// The cursor's height above the page bottom, in mm.
    pub fn y(&self) -> f32 {
        self.y
    }

    /// Moves the cursor down.
    pub fn down(&mut self, mm: f32) {
        self.y -= mm;
    }

    /// Starts a new page unless `mm` fits below the cursor.
    pub fn ensure(&mut self, mm: f32) -> bool {
        if self.y - mm < BODY_BOTTOM {
            self.pages.push(Vec::new());
            self.y = BODY_TOP;
            return true;
        }
        false
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "a drawing call: position, text and style"
    )]
    /// Text with its baseline at `y` mm, aligned at `x` mm, cut to `width` mm.
    pub fn text_at(
        &mut self,
        x: f32,
        y: f32,
        text: &str,
        size: f32,
        color: Color,
        align: Align,
        width: Option<f32>,
    ) {
        let text = match width {
            Some(width) => fit(self.font, text, size, Mm(width).into()),
            None => text.to_owned(),
        };
        let x = match align {
            Align::Left => Pt::from(Mm(x)),
            Align::Right => Pt::from(Mm(x)) - text_width(self.font, &text, size),
        };
        let font = PdfFontHandle::External(self.font_id.clone());
        self.ops().extend([
            Op::StartTextSection,
            Op::SetFillColor { col: color },
            Op::SetFont {
                font,
                size: Pt(size),
            },
            Op::SetTextMatrix {
                matrix: TextMatrix::Translate(x, Mm(y).into()),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text)],
            },
            Op::EndTextSection,
        ]);
    }

    /// A line of text at the cursor, which then moves below it.
    pub fn line(&mut self, text: &str, size: f32, color: Color) {
        let height = size * 0.3528 * 1.45;
        self.ensure(height);
        self.y -= height;
        self.text_at(
            MARGIN,
            self.y,
            text,
            size,
            color,
            Align::Left,
            Some(PAGE_WIDTH - 2.0 * MARGIN),
        );
    }

    /// A filled rectangle; `x`, `y` are its lower-left corner in mm.
    pub fn rect(&mut self, x: f32, y: f32, width: f32, height: f32, color: Color) {
        self.ops().extend([
            Op::SaveGraphicsState,
            Op::SetFillColor { col: color },
            Op::DrawRectangle {
                rectangle: Rect {
                    x: Mm(x).into(),
                    y: Mm(y).into(),
                    width: Mm(width).into(),
                    height: Mm(height).into(),
                    mode: Some(PaintMode::Fill),
                    winding_order: None,
                },
            },
            Op::RestoreGraphicsState,
        ]);
    }

    /// A horizontal rule at `y` mm across the body width.
    pub fn rule(&mut self, y: f32, thickness: f32, color: Color) {
        self.ops().extend([
            Op::SaveGraphicsState,
            Op::SetOutlineColor { col: color },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    is_closed: false,
                    points: vec![
                        LinePoint {
                            p: Point::new(Mm(MARGIN), Mm(y)),
                            bezier: false,
                        },
                        LinePoint {
                            p: Point::new(Mm(PAGE_WIDTH - MARGIN), Mm(y)),
                            bezier: false,
                        },
                    ],
                },
            },
            Op::RestoreGraphicsState,
        ]);
    }

    /// The pages drawn so far; `decorate` adds header and footer to each,
    /// given its number and the page count.
    pub fn finish(
        mut self,
        mut decorate: impl FnMut(&mut Canvas<'f>, usize, usize),
    ) -> Vec<Vec<Op>> {
        let total = self.pages.len();
        let pages = std::mem::take(&mut self.pages);
        pages
            .into_iter()
            .enumerate()
            .map(|(index, ops)| {
                self.pages = vec![ops];
                decorate(&mut self, index + 1, total);
                self.pages.pop().unwrap_or_default()
            })
            .collect()
    }
}
