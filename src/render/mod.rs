//! Render: the report's files (CSV, PDF, manifest) and its email.

mod content;
pub mod csv;
pub mod email;
pub mod format;
mod manifest;
pub mod pdf;

pub use content::Content;
pub use manifest::manifest;

use rayon::prelude::*;

use crate::aggregate::PipelineReport;

/// Why an output could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The embedded font could not be read.
    #[error("the embedded PDF font could not be read; the binary is damaged, reinstall it")]
    Font,
    /// The fallback font file could not be read.
    #[error(
        "reading the PDF fallback font {path} (PDF_FALLBACK_FONT): {source}; install the font or unset the variable"
    )]
    FallbackFontRead {
        /// The configured path.
        path: std::path::PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The fallback font file is not a font.
    #[error(
        "the PDF fallback font {path} (PDF_FALLBACK_FONT) is not a TrueType or OpenType font; point the variable at a .ttf or .otf file"
    )]
    FallbackFontParse {
        /// The configured path.
        path: std::path::PathBuf,
    },
    /// A font could not be cut down to the glyphs the report uses.
    #[error(
        "embedding the glyphs of font {font} in the PDF: {reason}; try another PDF_FALLBACK_FONT"
    )]
    Subset {
        /// Which font.
        font: String,
        /// The subsetter's error.
        reason: String,
    },
    /// The as-of date cannot be the PDF's creation date.
    #[error(
        "the as-of date {date} cannot be written as a PDF date; use a date between 1970 and 9999"
    )]
    Date {
        /// The as-of date.
        date: chrono::NaiveDate,
    },
    /// The manifest could not be serialised.
    #[error("writing manifest.json: {0}")]
    Manifest(#[from] serde_json::Error),
}

/// One file of a run's output set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// File name, e.g. `deals.csv`.
    pub name: &'static str,
    /// MIME type.
    pub content_type: &'static str,
    /// Content, shared by every copy published.
    pub bytes: Content,
    /// Data rows (CSV only).
    pub rows: Option<usize>,
    /// SHA-256 of `bytes`, in hex: hashed once, for the manifest and
    /// every copy published.
    pub sha256: String,
}

impl OutputFile {
    /// A file and its digest.
    pub fn new(
        name: &'static str,
        content_type: &'static str,
        bytes: impl Into<Content>,
        rows: Option<usize>,
    ) -> Self {
        let bytes = bytes.into();
        let sha256 = hex::encode(bytes.sha256());
        Self {
            name,
            content_type,
            bytes,
            rows,
            sha256,
        }
    }
}

/// The name of the PDF.
pub const PDF_NAME: &str = "pipeline-summary.pdf";
/// The name of the manifest, written last.
pub const MANIFEST_NAME: &str = "manifest.json";

/// Every file of the report except the manifest. CPU-bound: run it off the
/// async runtime.
pub fn render_files(
    report: &PipelineReport,
    pdf: &pdf::PdfOptions,
) -> Result<Vec<OutputFile>, RenderError> {
    let (pdf, csvs) = rayon::join(|| pdf::render_pdf(report, pdf), || csv_files(report));
    let mut files = vec![OutputFile::new(PDF_NAME, "application/pdf", pdf?, None)];
    files.extend(csvs);
    Ok(files)
}

/// Every CSV of the report.
pub fn csv_files(report: &PipelineReport) -> Vec<OutputFile> {
    type Writer = fn(&PipelineReport) -> OutputFile;
    const WRITERS: [Writer; 11] = [
        csv::summary_csv,
        csv::deals_csv,
        csv::by_stage_csv,
        csv::by_owner_csv,
        csv::by_close_month_csv,
        csv::movement_csv,
        csv::slipped_csv,
        csv::top_deals_csv,
        csv::stale_csv,
        csv::by_currency_csv,
        csv::data_quality_csv,
    ];
    // The large files are written (and hashed) side by side.
    WRITERS.par_iter().map(|write| write(report)).collect()
}
