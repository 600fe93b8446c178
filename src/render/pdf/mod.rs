//! The PDF report, drawn with printpdf from the same aggregates as the CSVs.

mod canvas;
mod font;
mod sections;

use printpdf::{DateTime, FontId, Mm, PdfDocument, PdfFont, PdfPage, PdfSaveOptions};
use sha2::{Digest, Sha256};

use super::RenderError;
use crate::aggregate::PipelineReport;
use canvas::{Align, Canvas, MARGIN, PAGE_HEIGHT, PAGE_WIDTH, alert, grey};

/// Renders the report. The bytes depend only on the report: no clock, no
/// random ids, so the same inputs give the same file.
pub fn render_pdf(report: &PipelineReport) -> Result<Vec<u8>, RenderError> {
    let font = font::dejavu_sans().ok_or(RenderError::Font)?;
    // A fixed resource name: printpdf's own ids come from a process-wide
    // counter and would differ between the first and the tenth report.
    let font_id = FontId("FDejaVuSans".to_owned());
    let mut canvas = Canvas::new(font, font_id.clone());
    sections::body(&mut canvas, report);
    let pages = canvas.finish(|canvas, page, total| decorate(canvas, report, page, total));

    let c = &report.context;
    let mut doc = PdfDocument::new(&format!("{} – {}", c.title, c.period.label()));
    let as_of_midnight = c
        .as_of
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp();
    let date = DateTime::from_unix_timestamp(as_of_midnight).map_err(|_| RenderError::Font)?;
    doc.metadata.info.creation_date = date;
    doc.metadata.info.modification_date = date;
    doc.metadata.info.metadata_date = date;
    doc.metadata.info.producer = "Pipeline Pulse".to_owned();
    doc.metadata.info.creator = "Pipeline Pulse".to_owned();
    doc.resources
        .fonts
        .map
        .insert(font_id, PdfFont::new(font.clone()));
    doc.with_pages(
        pages
            .into_iter()
            .map(|ops| PdfPage::new(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), ops))
            .collect(),
    );
    let mut warnings = Vec::new();
    let bytes = doc.save(&PdfSaveOptions::default(), &mut warnings);
    Ok(pin_document_id(bytes))
}

/// Header and footer of every page: what the report is, and where its
/// numbers came from.
fn decorate(canvas: &mut Canvas<'_>, report: &PipelineReport, page: usize, total: usize) {
    let c = &report.context;
    let top = PAGE_HEIGHT - 14.0;
    canvas.text_at(
        MARGIN,
        top,
        &c.title,
        15.0,
        grey(0.1),
        Align::Left,
        Some(120.0),
    );
    if c.sample {
        canvas.text_at(
            PAGE_WIDTH - MARGIN,
            top,
            "SAMPLE DATA – not real figures",
            10.0,
            alert(),
            Align::Right,
            None,
        );
    }
    let subtitle = format!(
        "{} · period {} ({} to {}) · as of {} ({}) · amounts in {}",
        c.job,
        c.period.label(),
        c.period.start,
        c.period.end,
        c.as_of,
        c.timezone.name(),
        c.base
    );
    canvas.text_at(
        MARGIN,
        top - 6.0,
        &subtitle,
        8.5,
        grey(0.35),
        Align::Left,
        Some(PAGE_WIDTH - 2.0 * MARGIN),
    );
    canvas.rule(top - 9.5, 0.8, grey(0.6));
    if let Some(stale) = &c.stale_data {
        canvas.text_at(
            MARGIN,
            top - 13.5,
            &format!("STALE DATA: {stale}"),
            8.0,
            alert(),
            Align::Left,
            Some(PAGE_WIDTH - 2.0 * MARGIN),
        );
    }

    let sync = c
        .last_sync
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "never".to_owned());
    let footer = format!(
        "Rates of {} ({}) · deals: {} · last successful sync {} · run {}",
        c.rates_date, c.rates_source, c.deal_source, sync, c.run_id
    );
    canvas.rule(15.0, 0.5, grey(0.75));
    canvas.text_at(
        MARGIN,
        10.5,
        &footer,
        6.5,
        grey(0.4),
        Align::Left,
        Some(PAGE_WIDTH - 2.0 * MARGIN - 22.0),
    );
    canvas.text_at(
        PAGE_WIDTH - MARGIN,
        10.5,
        &format!("page {page} of {total}"),
        7.0,
        grey(0.4),
        Align::Right,
        None,
    );
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
