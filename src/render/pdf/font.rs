//! The embedded Unicode font (DejaVu Sans, see `fonts/DejaVu-LICENSE.txt`)
//! and text measurement.

use std::sync::OnceLock;

use printpdf::{ParsedFont, Pt};

const DEJAVU_SANS: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// The font, parsed once per process.
pub fn dejavu_sans() -> Option<&'static ParsedFont> {
    static FONT: OnceLock<Option<ParsedFont>> = OnceLock::new();
    FONT.get_or_init(|| {
        let mut font = ParsedFont::from_bytes(DEJAVU_SANS, 0, &mut Vec::new())?;
        // Without a name the PDF's /BaseFont would be the resource id.
        font.font_name = Some("DejaVuSans".to_owned());
        Some(font)
    })
    .as_ref()
}

/// Advance width of `text` at `size`, truncated per glyph to 1/1000 em as
/// the PDF's width array is, so right-aligned text lands exactly.
pub fn text_width(font: &ParsedFont, text: &str, size: f32) -> Pt {
    let units_per_em = f32::from(font.pdf_font_metrics.units_per_em.max(1));
    let milli_em: i64 = text
        .chars()
        .map(|c| {
            let glyph = font.lookup_glyph_index(u32::from(c)).unwrap_or(0);
            (f32::from(font.get_glyph_width(glyph).unwrap_or(0)) * 1000.0 / units_per_em) as i64
        })
        .sum();
    Pt(milli_em as f32 * size / 1000.0)
}

/// `text` cut with an ellipsis so it fits in `width`.
pub fn fit(font: &ParsedFont, text: &str, size: f32, width: Pt) -> String {
    if text_width(font, text, size).0 <= width.0 {
        return text.to_owned();
    }
    let mut cut: String = text.to_owned();
    while !cut.is_empty() {
        cut.pop();
        let candidate = format!("{}…", cut.trim_end());
        if text_width(font, &candidate, size).0 <= width.0 {
            return candidate;
        }
    }
    String::new()
}
