//! Font subsetting: only the glyphs a report draws are embedded. DejaVu
//! Sans whole is 740 kB and a CJK fallback several MB; a report uses a few
//! hundred glyphs.

use std::collections::BTreeSet;

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile, subset};
use printpdf::ParsedFont;
use sha2::{Digest, Sha256};

use crate::render::RenderError;

/// A font holding only the glyphs of `chars` (and `.notdef`), with a
/// Unicode cmap of its own so printpdf maps text to the new glyph ids and
/// writes a ToUnicode map that makes the text searchable.
pub fn subset_font(
    font: &ParsedFont,
    name: &str,
    chars: &BTreeSet<char>,
) -> Result<ParsedFont, RenderError> {
    let failed = |reason: String| RenderError::Subset {
        font: name.to_owned(),
        reason,
    };
    let glyphs: BTreeSet<u16> = chars
        .iter()
        .filter_map(|&c| font.lookup_glyph_index(u32::from(c)))
        .filter(|&glyph| glyph != 0)
        .collect();
    // `.notdef` first: the subsetter requires it.
    let ids: Vec<u16> = std::iter::once(0).chain(glyphs).collect();
    let data = ReadScope::new(&font.original_bytes)
        .read::<FontData<'_>>()
        .map_err(|e| failed(e.to_string()))?;
    let provider = data
        .table_provider(font.font_index as usize)
        .map_err(|e| failed(e.to_string()))?;
    let bytes = subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
        .map_err(|e| failed(e.to_string()))?;
    let mut subset = ParsedFont::from_bytes(&bytes, 0, &mut Vec::new())
        .ok_or_else(|| failed("the subset font could not be read back".to_owned()))?;
    subset.font_name = Some(format!("{}+{name}", tag(chars)));
    Ok(subset)
}

/// The six capital letters that mark a subset font's name (PDF 32000-1,
/// 9.6.4), derived from the glyph set so the same report gets the same tag.
fn tag(chars: &BTreeSet<char>) -> String {
    let text: String = chars.iter().collect();
    Sha256::digest(text.as_bytes())
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::font::{Face, Fonts};
    use super::*;

    #[test]
    fn a_subset_keeps_the_advances_and_maps_every_character() {
        let fonts = Fonts::new(None).expect("embedded font");
        let main = fonts.get(Face::Main);
        let chars: BTreeSet<char> = "Pipeline €₹ Олег Zoë 0123456789,.".chars().collect();
        let small = subset_font(main, "DejaVuSans", &chars).expect("subset");
        assert!(small.original_bytes.len() < main.original_bytes.len() / 10);
        for c in &chars {
            let before = main.lookup_glyph_index(u32::from(*c)).expect("glyph");
            let after = small.lookup_glyph_index(u32::from(*c)).expect("mapped");
            assert_eq!(
                main.get_glyph_width(before),
                small.get_glyph_width(after),
                "{c}"
            );
        }
        let name = small.font_name.expect("name");
        assert!(name.ends_with("+DejaVuSans") && name.len() == 17, "{name}");
        assert_eq!(
            subset_font(main, "DejaVuSans", &chars)
                .expect("subset")
                .original_bytes,
            small.original_bytes,
            "deterministic"
        );
    }
}
