//! `manifest.json`: what a complete output set holds. Written last, so its
//! presence means every other file is in place.

use serde_json::json;

use super::{MANIFEST_NAME, OutputFile, RenderError};
use crate::aggregate::PipelineReport;

/// The manifest describing `files`.
pub fn manifest(report: &PipelineReport, files: &[OutputFile]) -> Result<OutputFile, RenderError> {
    let c = &report.context;
    let entries: Vec<_> = files
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "content_type": f.content_type,
                "bytes": f.bytes.len(),
                "rows": f.rows,
                "sha256": f.sha256,
            })
        })
        .collect();
    let manifest = json!({
        "run_id": c.run_id,
        "job": c.job,
        "as_of": c.as_of.to_string(),
        "timezone": c.timezone.name(),
        "period": {
            "label": c.period.label(),
            "start": c.period.start.to_string(),
            "end": c.period.end.to_string(),
        },
        "base_currency": c.base.code(),
        "rates": { "date": c.rates_date.to_string(), "source": c.rates_source },
        "deal_source": c.deal_source,
        "sample_data": c.sample,
        "last_sync": c.last_sync.map(|t| t.to_rfc3339()),
        "data_warnings": report.warnings().count(),
        "files": entries,
    });
    let mut bytes = serde_json::to_vec_pretty(&manifest)?;
    bytes.push(b'\n');
    Ok(OutputFile::new(
        MANIFEST_NAME,
        "application/json",
        bytes,
        None,
    ))
}
