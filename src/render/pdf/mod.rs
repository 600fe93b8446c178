//! The PDF report, drawn with printpdf from the same aggregates as the CSVs:
//! a first page of headline figures, then the definition's sections, with
//! provenance on every page.

mod breakdowns;
mod canvas;
mod chart;
mod cover;
mod decorate;
mod font;
mod lists;
mod movement;
mod sections;
mod style;
mod subset;
mod table;
mod waterfall;

use std::path::PathBuf;

use printpdf::{DateTime, Mm, PdfDocument, PdfFont, PdfPage, PdfSaveOptions};
use sha2::{Digest, Sha256};
use tracing::warn;

use super::RenderError;
use crate::aggregate::PipelineReport;
use crate::config::PdfLayout;
use canvas::{Canvas, font_id};
use font::{Face, Fonts};

/// How the PDF is drawn, beyond what the report holds.
#[derive(Debug, Clone, Default)]
pub struct PdfOptions {
    /// Paper and list lengths, from the report definition.
    pub layout: PdfLayout,
    /// A font file for the characters DejaVu Sans lacks.
    pub fallback_font: Option<PathBuf>,
}

/// Renders the report. The bytes depend only on the report and the
/// options: no clock, no random ids, so the same inputs give the same file.
pub fn render_pdf(report: &PipelineReport, options: &PdfOptions) -> Result<Vec<u8>, RenderError> {
    let fallback = options
        .fallback_font
        .as_deref()
        .map(font::load_fallback)
        .transpose()?;
    let fonts = Fonts::new(fallback)?;
    let mut canvas = Canvas::new(&fonts, options.layout.paper);
    let contents_at = cover::first_page(&mut canvas, report);
    let contents = sections::body(&mut canvas, report, &options.layout);
    canvas.revisit(1, contents_at, |canvas| cover::contents(canvas, &contents));
    let drawing = canvas.finish(|canvas, page, total| decorate::page(canvas, report, page, total));
    if !drawing.missing.is_empty() {
        let sample: String = drawing.missing.iter().take(12).collect();
        warn!(
            characters = drawing.missing.len(),
            sample = %sample,
            "Some characters have no glyph in the PDF's fonts and show as boxes; set PDF_FALLBACK_FONT to a font that has them."
        );
    }
    let (width, height) = Canvas::size(options.layout.paper);

    let c = &report.context;
    let mut doc = PdfDocument::new(&format!("{} – {}", c.title, c.period.label()));
    let as_of_midnight = c
        .as_of
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp();
    let date = DateTime::from_unix_timestamp(as_of_midnight)
        .map_err(|_| RenderError::Date { date: c.as_of })?;
    doc.metadata.info.creation_date = date;
    doc.metadata.info.modification_date = date;
    doc.metadata.info.metadata_date = date;
    doc.metadata.info.producer = "Pipeline Pulse".to_owned();
    doc.metadata.info.creator = "Pipeline Pulse".to_owned();
    doc.metadata.info.subject = format!("{} {}", c.job, c.period.label());
    for (face, chars, name) in [
        (Face::Main, &drawing.main_chars, "DejaVuSans"),
        (Face::Fallback, &drawing.fallback_chars, "Fallback"),
    ] {
        if chars.is_empty() {
            continue;
        }
        let font = subset::subset_font(fonts.get(face), name, chars)?;
        doc.resources
            .fonts
            .map
            .insert(font_id(face), PdfFont::new(font));
    }
    doc.with_pages(
        drawing
            .pages
            .into_iter()
            .map(|ops| PdfPage::new(Mm(width), Mm(height), ops))
            .collect(),
    );
    let mut warnings = Vec::new();
    let bytes = doc.save(&PdfSaveOptions::default(), &mut warnings);
    Ok(pin_document_id(bytes))
}

/// printpdf writes a fresh pseudo-random trailer `/ID` on every save; the
/// id is replaced, in place, by a digest of the rest of the file.
fn pin_document_id(mut pdf: Vec<u8>) -> Vec<u8> {
    const NEEDLE: &[u8] = b"/ID[(";
    let Some(at) = pdf.windows(NEEDLE.len()).rposition(|w| w == NEEDLE) else {
        return pdf;
    };
    let start = at + NEEDLE.len();
    let well_formed = pdf.len() > start + 66
        && pdf[start + 32] == b')'
        && pdf[start + 33] == b'('
        && pdf[start + 66] == b')';
    if well_formed {
        let digest = hex::encode(Sha256::digest(&pdf[..at]));
        let id = &digest.as_bytes()[..32];
        pdf[start..start + 32].copy_from_slice(id);
        pdf[start + 34..start + 66].copy_from_slice(id);
    }
    pdf
}
