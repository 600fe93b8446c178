//! The fonts: DejaVu Sans, embedded in the binary (see
//! `fonts/DejaVu-LICENSE.txt`), and an optional fallback font file for the
//! characters DejaVu lacks (CJK names); text measurement with both.

use std::path::Path;
use std::sync::OnceLock;

use printpdf::ParsedFont;

use crate::render::RenderError;

const DEJAVU_SANS: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// Millimetres per typographic point.
const MM_PER_PT: f32 = 25.4 / 72.0;

/// Which font draws a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// DejaVu Sans.
    Main,
    /// The configured fallback font.
    Fallback,
}

/// The main font, parsed once per process.
fn dejavu_sans() -> Option<&'static ParsedFont> {
    static FONT: OnceLock<Option<ParsedFont>> = OnceLock::new();
    FONT.get_or_init(|| ParsedFont::from_bytes(DEJAVU_SANS, 0, &mut Vec::new()))
        .as_ref()
}

/// Reads a fallback font file (TrueType or OpenType, the first face of a
/// collection).
pub fn load_fallback(path: &Path) -> Result<ParsedFont, RenderError> {
    let bytes = std::fs::read(path).map_err(|source| RenderError::FallbackFontRead {
        path: path.to_owned(),
        source,
    })?;
    ParsedFont::from_bytes(&bytes, 0, &mut Vec::new()).ok_or_else(|| {
        RenderError::FallbackFontParse {
            path: path.to_owned(),
        }
    })
}

/// The fonts of one document.
pub struct Fonts {
    main: &'static ParsedFont,
    fallback: Option<ParsedFont>,
}

impl Fonts {
    /// DejaVu Sans, with `fallback` for the characters it has no glyph for.
    pub fn new(fallback: Option<ParsedFont>) -> Result<Self, RenderError> {
        Ok(Self {
            main: dejavu_sans().ok_or(RenderError::Font)?,
            fallback,
        })
    }

    /// The parsed font of a face.
    pub fn get(&self, face: Face) -> &ParsedFont {
        match (face, &self.fallback) {
            (Face::Fallback, Some(font)) => font,
            _ => self.main,
        }
    }

    /// The face that draws `c`: the main font when it has the glyph (or
    /// when neither has it, so a missing glyph shows as DejaVu's box).
    pub fn face(&self, c: char) -> Face {
        if c.is_whitespace() || has_glyph(self.main, c) {
            return Face::Main;
        }
        match &self.fallback {
            Some(font) if has_glyph(font, c) => Face::Fallback,
            _ => Face::Main,
        }
    }

    /// True when some font has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        has_glyph(self.get(self.face(c)), c) || c.is_whitespace()
    }

    /// `text` cut into runs of one face each.
    pub fn runs<'t>(&self, text: &'t str) -> Vec<(Face, &'t str)> {
        let mut runs: Vec<(Face, &'t str)> = Vec::new();
        let mut start = 0;
        let mut current = None;
        for (at, c) in text.char_indices() {
            let face = self.face(c);
            match current {
                Some(f) if f != face => {
                    runs.push((f, &text[start..at]));
                    start = at;
                    current = Some(face);
                }
                None => current = Some(face),
                _ => {}
            }
        }
        if let Some(face) = current {
            runs.push((face, &text[start..]));
        }
        runs
    }

    /// Advance of one character in 1/1000 em, truncated as the PDF's width
    /// array is, so right-aligned text lands exactly.
    fn milli_em(&self, c: char) -> i64 {
        let font = self.get(self.face(c));
        let units_per_em = f32::from(font.pdf_font_metrics.units_per_em.max(1));
        let glyph = font.lookup_glyph_index(u32::from(c)).unwrap_or(0);
        (f32::from(font.get_glyph_width(glyph).unwrap_or(0)) * 1000.0 / units_per_em) as i64
    }

    /// Width of `text` at `size` points, in millimetres.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let milli_em: i64 = text.chars().map(|c| self.milli_em(c)).sum();
        milli_em as f32 * size / 1000.0 * MM_PER_PT
    }

    /// `text` cut with an ellipsis so that it fits in `width` mm.
    pub fn fit(&self, text: &str, size: f32, width: f32) -> String {
        if self.width(text, size) <= width {
            return text.to_owned();
        }
        let room = width - self.width("…", size);
        let mut used = 0.0;
        let mut end = 0;
        for (at, c) in text.char_indices() {
            let advance = self.width(c.encode_utf8(&mut [0; 4]), size);
            if used + advance > room {
                break;
            }
            used += advance;
            end = at + c.len_utf8();
        }
        if end == 0 {
            return String::new();
        }
        format!("{}…", text[..end].trim_end())
    }

    /// `text` broken into lines no wider than `width` mm, at spaces.
    pub fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split(' ') {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width(&candidate, size) <= width || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

fn has_glyph(font: &ParsedFont, c: char) -> bool {
    font.lookup_glyph_index(u32::from(c))
        .is_some_and(|glyph| glyph != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dejavu_draws_accents_rupee_euro_and_cyrillic() {
        let fonts = Fonts::new(None).expect("embedded font");
        for c in "éüñ₹€ЖжОлег".chars() {
            assert!(fonts.covers(c), "{c}");
        }
        assert!(!fonts.covers('株'), "DejaVu Sans has no CJK");
        assert_eq!(fonts.runs("Zoë 株式"), vec![(Face::Main, "Zoë 株式")]);
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis_that_fits() {
        let fonts = Fonts::new(None).expect("embedded font");
        let text = "Müller & Söhne KG – multi-year platform licence";
        let cut = fonts.fit(text, 9.0, 30.0);
        assert!(cut.ends_with('…') && cut.len() < text.len(), "{cut}");
        assert!(fonts.width(&cut, 9.0) <= 30.0);
        assert_eq!(fonts.fit("Initech", 9.0, 30.0), "Initech");
        let lines = fonts.wrap(text, 9.0, 40.0);
        assert!(lines.len() > 1 && lines.iter().all(|l| fonts.width(l, 9.0) <= 40.0));
        assert_eq!(lines.join(" "), text);
    }
}
