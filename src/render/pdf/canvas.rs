//! Pages drawn top-down: a cursor, text placed absolutely in font runs,
//! rectangles and lines, page breaks. Units are millimetres from the
//! page's lower-left corner.

use std::collections::BTreeSet;

use printpdf::{
    Color, FontId, Line, LineDashPattern, LinePoint, Mm, Op, PaintMode, PdfFontHandle, Point, Pt,
    Rect, TextItem, TextMatrix,
};

use super::font::{Face, Fonts};
use super::style::{Align, Style};
use crate::config::Paper;

/// Left and right margin.
pub const MARGIN: f32 = 16.0;
/// Space kept for the header above the body.
const HEADER: f32 = 30.0;
/// Space kept for the footer below the body.
const FOOTER: f32 = 20.0;

/// The font resource name of a face. Fixed names: printpdf's own ids come
/// from a process-wide counter and would differ between reports.
pub fn font_id(face: Face) -> FontId {
    FontId(
        match face {
            Face::Main => "FMain",
            Face::Fallback => "FFallback",
        }
        .to_owned(),
    )
}

fn point(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point::new(Mm(x), Mm(y)),
        bezier: false,
    }
}

/// What was drawn: the pages and the characters each face must embed.
pub struct Drawing {
    /// Operations of each page.
    pub pages: Vec<Vec<Op>>,
    /// Characters drawn with the main font.
    pub main_chars: BTreeSet<char>,
    /// Characters drawn with the fallback font.
    pub fallback_chars: BTreeSet<char>,
    /// Characters no font has a glyph for.
    pub missing: BTreeSet<char>,
}

/// Pages under construction, drawn from the top of the body down.
pub struct Canvas<'f> {
    fonts: &'f Fonts,
    width: f32,
    height: f32,
    pages: Vec<Vec<Op>>,
    /// The page drawn on when not the last one.
    target: Option<usize>,
    /// Distance of the cursor from the bottom of the page.
    y: f32,
    main_chars: BTreeSet<char>,
    fallback_chars: BTreeSet<char>,
    missing: BTreeSet<char>,
}

impl<'f> Canvas<'f> {
    /// Width and height of `paper`.
    pub fn size(paper: Paper) -> (f32, f32) {
        match paper {
            Paper::A4 => (210.0, 297.0),
            Paper::Letter => (215.9, 279.4),
        }
    }

    /// A canvas of one empty page of `paper`.
    pub fn new(fonts: &'f Fonts, paper: Paper) -> Self {
        let (width, height) = Self::size(paper);
        Self {
            fonts,
            width,
            height,
            pages: vec![Vec::new()],
            target: None,
            y: height - HEADER,
            main_chars: BTreeSet::new(),
            fallback_chars: BTreeSet::new(),
            missing: BTreeSet::new(),
        }
    }

    /// The fonts, for measuring.
    pub fn fonts(&self) -> &'f Fonts {
        self.fonts
    }

    /// Page height.
    pub fn height(&self) -> f32 {
        self.height
    }

    /// The right edge of the body.
    pub fn right(&self) -> f32 {
        self.width - MARGIN
    }

    /// Width between the margins.
    pub fn body_width(&self) -> f32 {
        self.width - 2.0 * MARGIN
    }

    /// The cursor's height above the page bottom.
    pub fn y(&self) -> f32 {
        self.y
    }

    /// Height of a page's body, between header and footer.
    pub fn body_height(&self) -> f32 {
        self.height - HEADER - FOOTER
    }

    /// Space left between the cursor and the footer.
    pub fn room(&self) -> f32 {
        self.y - FOOTER
    }

    /// Moves the cursor down.
    pub fn down(&mut self, mm: f32) {
        self.y -= mm;
    }

    /// The number of the page being drawn, from 1.
    pub fn page_number(&self) -> usize {
        self.pages.len()
    }

    /// Starts a new page.
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.height - HEADER;
    }

    /// Starts a new page unless `mm` fits below the cursor; true when it did.
    pub fn ensure(&mut self, mm: f32) -> bool {
        // A page being revisited never breaks: its caller checks `room`.
        if self.target.is_none() && self.y - mm < FOOTER {
            self.new_page();
            return true;
        }
        false
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        let page = self.target.unwrap_or(self.pages.len() - 1);
        &mut self.pages[page]
    }

    /// Draws on an earlier page (numbered from 1) with the cursor at `y`,
    /// e.g. a list of what the later pages hold.
    pub fn revisit(&mut self, page: usize, y: f32, draw: impl FnOnce(&mut Self)) {
        let cursor = self.y;
        self.target = Some(page.saturating_sub(1).min(self.pages.len() - 1));
        self.y = y;
        draw(self);
        self.target = None;
        self.y = cursor;
    }

    /// Text with its baseline at `y`, aligned at `x`, cut to `width` with an
    /// ellipsis. Each run of characters is set in the face that has them.
    pub fn text(
        &mut self,
        x: f32,
        y: f32,
        text: &str,
        style: &Style,
        align: Align,
        width: Option<f32>,
    ) {
        let fonts = self.fonts;
        // A line break or tab inside a CRM field would show as a box.
        let text: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let text = match width {
            Some(width) => fonts.fit(&text, style.size, width),
            None => text,
        };
        if text.is_empty() {
            return;
        }
        let x = match align {
            Align::Left => x,
            Align::Right => x - fonts.width(&text, style.size),
            Align::Center => x - fonts.width(&text, style.size) / 2.0,
        };
        let mut ops = vec![
            Op::StartTextSection,
            Op::SetFillColor {
                col: style.color.clone(),
            },
            Op::SetTextMatrix {
                matrix: TextMatrix::Translate(Mm(x).into(), Mm(y).into()),
            },
        ];
        for (face, run) in fonts.runs(&text) {
            for c in run.chars() {
                if !fonts.covers(c) {
                    self.missing.insert(c);
                }
                match face {
                    Face::Main => self.main_chars.insert(c),
                    Face::Fallback => self.fallback_chars.insert(c),
                };
            }
            ops.push(Op::SetFont {
                font: PdfFontHandle::External(font_id(face)),
                size: Pt(style.size),
            });
            ops.push(Op::ShowText {
                items: vec![TextItem::Text(run.to_owned())],
            });
        }
        ops.push(Op::EndTextSection);
        self.ops().extend(ops);
    }

    /// Text that must not be cut (a figure): set smaller until it fits in
    /// `width`.
    pub fn figure(&mut self, x: f32, y: f32, text: &str, style: &Style, align: Align, width: f32) {
        let natural = self.fonts.width(text, style.size);
        let mut style = style.clone();
        if natural > width {
            style.size *= width / natural;
        }
        self.text(x, y, text, &style, align, None);
    }

    /// A paragraph at the cursor, wrapped to the body width; the cursor
    /// moves below it.
    pub fn paragraph(&mut self, text: &str, style: &Style) {
        let line_height = style.size * 0.3528 * 1.4;
        for line in self.fonts.wrap(text, style.size, self.body_width()) {
            self.ensure(line_height);
            self.y -= line_height;
            self.text(MARGIN, self.y, &line, style, Align::Left, None);
        }
    }

    fn rectangle(&mut self, x: f32, y: f32, width: f32, height: f32, mode: PaintMode) -> Op {
        Op::DrawRectangle {
            rectangle: Rect {
                x: Mm(x).into(),
                y: Mm(y).into(),
                width: Mm(width).into(),
                height: Mm(height).into(),
                mode: Some(mode),
                winding_order: None,
            },
        }
    }

    /// A filled rectangle; `x`, `y` is its lower-left corner.
    pub fn fill_rect(&mut self, x: f32, y: f32, width: f32, height: f32, color: Color) {
        let rect = self.rectangle(x, y, width, height, PaintMode::Fill);
        self.ops().extend([
            Op::SaveGraphicsState,
            Op::SetFillColor { col: color },
            rect,
            Op::RestoreGraphicsState,
        ]);
    }

    /// The outline of a rectangle.
    pub fn stroke_rect(&mut self, x: f32, y: f32, width: f32, height: f32, color: Color, pt: f32) {
        let rect = self.rectangle(x, y, width, height, PaintMode::Stroke);
        self.ops().extend([
            Op::SaveGraphicsState,
            Op::SetOutlineColor { col: color },
            Op::SetOutlineThickness { pt: Pt(pt) },
            rect,
            Op::RestoreGraphicsState,
        ]);
    }

    /// Diagonal hatching inside a rectangle: tells a bar apart in
    /// greyscale where a colour alone would not.
    pub fn hatch(&mut self, x: f32, y: f32, width: f32, height: f32, color: Color) {
        const STEP: f32 = 1.6;
        let clip = self.rectangle(x, y, width, height, PaintMode::Clip);
        let mut ops = vec![
            Op::SaveGraphicsState,
            clip,
            Op::SetOutlineColor { col: color },
            Op::SetOutlineThickness { pt: Pt(0.6) },
        ];
        let mut offset = -height;
        while offset < width {
            ops.push(Op::DrawLine {
                line: Line {
                    is_closed: false,
                    points: vec![point(x + offset, y), point(x + offset + height, y + height)],
                },
            });
            offset += STEP;
        }
        ops.push(Op::RestoreGraphicsState);
        self.ops().extend(ops);
    }

    /// A straight line; dashed when `dashed`.
    #[expect(clippy::too_many_arguments, reason = "two points and a pen")]
    pub fn segment(
        &mut self,
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        color: Color,
        pt: f32,
        dashed: bool,
    ) {
        let dash = if dashed {
            LineDashPattern::new(0.0, &[2.0, 2.0])
        } else {
            LineDashPattern::solid()
        };
        self.ops().extend([
            Op::SaveGraphicsState,
            Op::SetOutlineColor { col: color },
            Op::SetOutlineThickness { pt: Pt(pt) },
            Op::SetLineDashPattern { dash },
            Op::DrawLine {
                line: Line {
                    is_closed: false,
                    points: vec![point(x1, y1), point(x2, y2)],
                },
            },
            Op::RestoreGraphicsState,
        ]);
    }

    /// A horizontal rule at `y` across the body.
    pub fn rule(&mut self, y: f32, pt: f32, color: Color) {
        self.segment(MARGIN, y, self.right(), y, color, pt, false);
    }

    /// The drawing; `decorate` adds header and footer to each page, given
    /// its number and the page count.
    pub fn finish(mut self, mut decorate: impl FnMut(&mut Canvas<'f>, usize, usize)) -> Drawing {
        let total = self.pages.len();
        let pages = std::mem::take(&mut self.pages);
        let pages = pages
            .into_iter()
            .enumerate()
            .map(|(index, ops)| {
                self.pages = vec![ops];
                decorate(&mut self, index + 1, total);
                self.pages.pop().unwrap_or_default()
            })
            .collect();
        Drawing {
            pages,
            main_chars: self.main_chars,
            fallback_chars: self.fallback_chars,
            missing: self.missing,
        }
    }
}
