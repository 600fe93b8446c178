//! PDF rendering time and file size for synthetic deal sets of 1,000 and
//! 10,000 deals, every section of the shipped report definition, the best
//! of five renders each.
//!
//! `cargo bench --bench render_pdf`; with `RENDER_PDF_SAVE=<file>` the
//! 1,000-deal PDF is kept (the README's picture is its first page).

#[allow(dead_code)]
#[path = "../tests/support/synthetic.rs"]
mod synthetic;

use std::time::{Duration, Instant};

use pipeline_pulse::render::pdf::{PdfOptions, render_pdf};

fn main() {
    let definition = synthetic::definition();
    let options = PdfOptions {
        layout: definition.pdf.clone(),
        fallback_font: std::env::var_os("PDF_FALLBACK_FONT").map(Into::into),
    };
    println!("deals    owners  build report  render PDF  pages  PDF size");
    for (deals, owners) in [(1_000, 24), (10_000, 120)] {
        let records = synthetic::records(deals, owners);
        let started = Instant::now();
        let report = synthetic::report(&definition, &records);
        let build = started.elapsed();
        let mut best = Duration::MAX;
        let mut pdf = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            pdf = render_pdf(&report, &options).expect("render");
            best = best.min(started.elapsed());
        }
        if deals == 1_000
            && let Some(path) = std::env::var_os("RENDER_PDF_SAVE")
        {
            std::fs::write(&path, &pdf).expect("write the PDF");
        }
        let pages = pdf
            .windows(b"/Type/Page/".len())
            .filter(|w| w == b"/Type/Page/")
            .count();
        println!(
            "{deals:>6}  {owners:>6}  {:>9.1} ms  {:>7.1} ms  {pages:>5}  {:>6.1} kB",
            build.as_secs_f64() * 1e3,
            best.as_secs_f64() * 1e3,
            pdf.len() as f64 / 1e3
        );
    }
}
