//! The PDF report, read back with poppler's `pdftotext` and `pdfinfo` and
//! checked with `qpdf`: every figure and name is searchable text, pages
//! grow with the lists, and the same report gives the same bytes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pipeline_pulse::aggregate::{Movement, PipelineReport};
use pipeline_pulse::config::{Paper, ReportDefinition};
use pipeline_pulse::render::format::{grouped, percent, ratio};
use pipeline_pulse::render::pdf::{PdfOptions, render_pdf};

use crate::support::synthetic;
use crate::support::{Workspace, describe};

/// The CJK font `.ci/run` installs (Debian's fonts-droid-fallback).
const CJK_FONT: &str = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

fn cjk_font() -> PathBuf {
    let path = PathBuf::from(CJK_FONT);
    assert!(
        path.is_file(),
        "{CJK_FONT} is missing: install the Debian package fonts-droid-fallback (.ci/run does)"
    );
    path
}

fn tool(name: &str, args: &[&str], package: &str) -> Output {
    Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {name} ({e}): install the Debian package {package}"))
}

/// A rendered PDF in a temporary file.
struct Pdf {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Pdf {
    fn new(bytes: &[u8]) -> Pdf {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("report.pdf");
        std::fs::write(&path, bytes).expect("write the PDF");
        Pdf { _dir: dir, path }
    }

    fn at(path: &Path) -> Pdf {
        Pdf::new(&std::fs::read(path).expect("read the PDF"))
    }

    fn arg(&self) -> &str {
        self.path.to_str().expect("UTF-8 path")
    }

    /// The text, in reading order, with runs of spaces and line breaks
    /// kept as poppler writes them.
    fn text(&self) -> String {
        let out = tool(
            "pdftotext",
            &["-enc", "UTF-8", self.arg(), "-"],
            "poppler-utils",
        );
        assert!(out.status.success(), "pdftotext failed: {out:?}");
        String::from_utf8(out.stdout).expect("UTF-8 text")
    }

    fn info(&self, key: &str) -> String {
        let out = tool("pdfinfo", &[self.arg()], "poppler-utils");
        assert!(out.status.success(), "pdfinfo failed: {out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{key}:")))
            .unwrap_or_else(|| panic!("pdfinfo shows no {key}"))
            .trim()
            .to_owned()
    }

    fn pages(&self) -> usize {
        self.info("Pages").parse().expect("a page count")
    }

    fn assert_valid(&self) {
        let out = tool("qpdf", &["--check", self.arg()], "qpdf");
        assert!(
            out.status.success(),
            "qpdf --check fails:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

fn options(definition: &ReportDefinition, fallback: bool) -> PdfOptions {
    PdfOptions {
        layout: definition.pdf.clone(),
        fallback_font: fallback.then(cjk_font),
    }
}

fn render(report: &PipelineReport, options: &PdfOptions) -> Pdf {
    Pdf::new(&render_pdf(report, options).expect("render the PDF"))
}

/// Every figure of the first page, formatted as people read them.
fn kpi_figures(report: &PipelineReport) -> Vec<String> {
    let k = &report.kpis;
    let dp = report.context.base.minor_units();
    let money = |v| format!("{} {}", report.context.base, grouped(v, dp));
    let mut figures = vec![
        money(k.open_amount),
        money(k.weighted_amount),
        money(k.won_amount),
        money(k.lost_amount),
        percent(k.win_rate_count),
        percent(k.win_rate_amount),
        k.open_count.to_string(),
    ];
    figures.extend(k.average_won_size.map(money));
    figures.extend(
        k.average_cycle_days
            .map(|d| format!("{} days", ratio(Some(d), 1))),
    );
    figures.extend(k.velocity_per_day.map(money));
    figures
}

/// pdftotext breaks lines where the layout does; search in one line.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_figure_stage_name_script_and_the_provenance_are_searchable_text() {
    let mut definition = synthetic::definition();
    definition.windows.top_n = 40;
    let report = synthetic::report(&definition, &synthetic::records(1_000, 40));
    let pdf = render(&report, &options(&definition, true));
    pdf.assert_valid();
    let text = flat(&pdf.text());

    for figure in kpi_figures(&report) {
        assert!(text.contains(&figure), "PDF lacks the figure `{figure}`");
    }
    for stage in &report.by_stage {
        assert!(
            text.contains(&stage.stage),
            "PDF lacks the stage `{}`",
            stage.stage
        );
    }
    let listed: Vec<&str> = report
        .top_deals
        .iter()
        .map(|&i| report.deals[i].name.as_str())
        .collect();
    for script in [('\u{0400}'..='\u{04ff}'), ('\u{3040}'..='\u{9fff}')] {
        let name = listed
            .iter()
            .find(|name| name.chars().any(|c| script.contains(&c)))
            .expect("the synthetic top deals have a name in this script");
        assert!(text.contains(name), "PDF lacks the deal name `{name}`");
    }
    for owner in &report.by_owner {
        assert!(
            text.contains(&owner.owner),
            "PDF lacks the owner `{}`",
            owner.owner
        );
    }
    for accented in [
        "Müller & Söhne KG",
        "Ñandú Logística",
        "ООО Ромашка",
        "株式会社サンプル",
    ] {
        assert!(text.contains(accented), "PDF lacks `{accented}`");
    }

    let Movement::Computed(steps) = &report.movement else {
        panic!("the synthetic report has a baseline");
    };
    for step in steps {
        let amount = grouped(step.amount, 2);
        assert!(
            text.contains(&amount),
            "PDF lacks the {} step {amount}",
            step.step.label()
        );
    }
    assert!(
        text.contains(&format!(
            "and {} more — see slipped.csv",
            report.slipped.len() - definition.pdf.list_rows as usize
        )),
        "the slipped list points to slipped.csv"
    );

    let fonts = tool("pdffonts", &[pdf.arg()], "poppler-utils");
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    let faces: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(faces.len(), 2, "DejaVu Sans and the fallback:\n{fonts}");
    for face in faces {
        // Embedded, subset, with a ToUnicode map.
        assert!(face.contains("yes yes yes"), "{face}");
    }

    let c = &report.context;
    assert_eq!(
        pdf.info("Title"),
        format!("{} – {}", c.title, c.period.label())
    );
    let pages = pdf.pages();
    for provenance in [
        format!(
            "Rates of {} ({}) · last successful sync 2026-11-23 01:55 UTC",
            c.rates_date, c.rates_source
        ),
        format!("Deals: {} · run {}", c.deal_source, c.run_id),
        format!(
            "{} · period {} ({} to {}) · as of {} ({}) · amounts in {}",
            c.job,
            c.period.label(),
            c.period.start,
            c.period.end,
            c.as_of,
            c.timezone.name(),
            c.base
        ),
        format!("page 1 of {pages}"),
        format!("page {pages} of {pages}"),
    ] {
        assert!(text.contains(&provenance), "PDF lacks `{provenance}`");
    }
    assert_eq!(
        text.matches("Rates of ").count(),
        pages,
        "the provenance is on every page"
    );
}

#[test]
fn the_hand_worked_deal_set_shows_its_hand_computed_figures() {
    // The deal set and figures of tests/golden/README.md.
    let (now, then) = (crate::golden::now(), crate::golden::then());
    let (report, _) = crate::support::reports::build(crate::support::reports::Inputs {
        now: &now,
        then: Some(&then),
        as_of: crate::golden::as_of(),
        rates: crate::golden::RATES,
    });
    let definition = synthetic::definition();
    let pdf = render(&report, &options(&definition, false));
    pdf.assert_valid();
    let text = flat(&pdf.text());
    for figure in [
        // KPIs
        "SGD 20,700.00",
        "7 open deals",
        "SGD 6,535.00",
        "50.0%",
        "by amount 74.1%",
        "SGD 4,000.00",
        "75.0 days",
        "SGD 186.67 / day",
        // movement: start, new, increased, decreased, won, lost, other, end
        "24,200.00",
        "+1,500.00",
        "+2,000.00",
        "-1,000.00",
        "-6,000.00",
        "-1,800.00",
        "+1,800.00",
        // by stage: Qualification amount, weighted, share, age
        "Qualification 2 12,500.00 1,250.00 60.4% 131.5",
        // by close month: overdue
        "overdue 2 5,200.00 2,410.00",
    ] {
        assert!(text.contains(figure), "PDF lacks `{figure}`:\n{text}");
    }
}

#[test]
fn without_a_fallback_font_cjk_is_not_text_but_everything_else_is() {
    let definition = synthetic::definition();
    let mut records = synthetic::records(300, 40);
    // The largest deal, so the top-deals table shows its hostile name.
    records.push(serde_json::json!({
        "id": "999", "Deal_Name": "Evil\n\t(deal) \\) 🚀 <b>&amp;",
        "Owner": {"name": "Ana\rRuiz", "id": "9"}, "Amount": "99999999.99",
        "Currency": "SGD", "Stage": "Qualification", "Closing_Date": "2026-12-01",
        "Created_Time": "2026-06-01T09:00:00+08:00", "Modified_Time": "2026-11-20T09:00:00+08:00"
    }));
    let report = synthetic::report(&definition, &records);
    let pdf = render(&report, &options(&definition, false));
    pdf.assert_valid();
    let text = flat(&pdf.text());
    assert!(!text.contains("株式会社"), "DejaVu Sans has no CJK glyphs");
    assert!(text.contains("ООО Ромашка") && text.contains("Ñandú Logística"));
    assert!(
        text.contains("Evil (deal) \\)"),
        "control characters become spaces"
    );
    assert!(text.contains("Ana Ruiz"));
}

#[test]
fn the_same_report_renders_to_the_same_bytes() {
    let definition = synthetic::definition();
    let report = synthetic::report(&definition, &synthetic::records(500, 30));
    let options = options(&definition, true);
    let first = render_pdf(&report, &options).expect("render");
    // Another report in between: nothing may carry over from one to the next.
    let other = synthetic::report(&definition, &synthetic::records(50, 3));
    let between = render_pdf(&other, &options).expect("render");
    let second = render_pdf(&report, &options).expect("render");
    assert!(first == second, "two renders of one report differ");
    assert!(first != between);
}

#[test]
fn long_lists_add_pages_with_the_header_repeated_and_end_with_where_the_rest_is() {
    let mut definition = synthetic::definition();
    let report = synthetic::report(&definition, &synthetic::records(2_000, 20));
    assert!(report.stale.len() > 400, "the fixture has many stale deals");
    // Rows the stale, slipped and data-quality lists show.
    let lists = [
        report.stale.len(),
        report.slipped.len(),
        report.quality().count(),
    ];
    let shown = |rows: usize| -> usize { lists.iter().map(|len| (*len).min(rows)).sum() };
    let mut pages = Vec::new();
    for rows in [10, 200, 400] {
        definition.pdf.list_rows = rows as u32;
        let pdf = render(&report, &options(&definition, false));
        let text = flat(&pdf.text());
        let more = report.stale.len() - rows;
        assert!(
            text.contains(&format!(
                "and {} more — see stale.csv",
                grouped(more.into(), 0)
            )),
            "{rows} rows: no pointer to stale.csv for the {more} others"
        );
        assert!(
            text.matches("Days idle").count() > rows / 46,
            "{rows} rows: the header is not repeated on each page"
        );
        pages.push((shown(rows), pdf.pages()));
    }
    // A row is 5.4 mm: an A4 body of 247 mm holds 40 to 45 of them under a
    // header, so N more rows need about N ÷ 45 to N ÷ 40 more pages.
    for pair in pages.windows(2) {
        let (rows, added) = (pair[1].0 - pair[0].0, pair[1].1 - pair[0].1);
        assert!(
            (rows / 45..=rows / 40 + 2).contains(&added),
            "{rows} more rows added {added} pages: {pages:?}"
        );
    }
}

#[test]
fn stale_data_is_flagged_on_every_page() {
    let definition = synthetic::definition();
    let mut report = synthetic::report(&definition, &synthetic::records(200, 10));
    let warning = "the last successful sync finished 3 d 4 h ago";
    report.context.stale_data = Some(warning.to_owned());
    let pdf = render(&report, &options(&definition, false));
    let text = flat(&pdf.text());
    assert_eq!(
        text.matches(&format!("STALE DATA: {warning}")).count(),
        pdf.pages()
    );
}

#[test]
fn letter_paper_is_a_layout_choice_of_the_report_definition() {
    let mut definition = synthetic::definition();
    let report = synthetic::report(&definition, &synthetic::records(200, 10));
    assert_eq!(definition.pdf.paper, Paper::A4, "A4 is the shipped default");
    let a4 = render(&report, &options(&definition, false));
    assert!(
        a4.info("Page size").contains("(A4)"),
        "{}",
        a4.info("Page size")
    );
    definition.pdf.paper = Paper::Letter;
    let letter = render(&report, &options(&definition, false));
    assert!(
        letter.info("Page size").starts_with("612 x 792"),
        "{}",
        letter.info("Page size")
    );
    letter.assert_valid();
}

#[test]
fn the_weekly_run_writes_a_valid_pdf_with_the_sample_names_and_a_bad_font_path_is_explained() {
    let workspace = Workspace::new();
    let args = [
        "--run-once",
        "weekly-pipeline",
        "--as-of",
        "2026-11-23",
        "--dry-run",
    ];
    let output = workspace.run(&args, &[("PDF_FALLBACK_FONT", CJK_FONT)]);
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let pdf = Pdf::at(&workspace.join("out/dry-run/weekly-pipeline/2026-W47/pipeline-summary.pdf"));
    pdf.assert_valid();
    let text = flat(&pdf.text());
    for name in [
        "田中 太郎",
        "Олег Иванов",
        "株式会社サンプル",
        "SAMPLE DATA",
        "page 1 of",
    ] {
        assert!(text.contains(name), "the sample report lacks `{name}`");
    }
    let size = std::fs::metadata(&pdf.path).expect("size").len();
    assert!(size < 1_000_000, "a weekly report of {size} bytes");

    let missing = workspace.run(&args, &[("PDF_FALLBACK_FONT", "/nowhere/font.ttf")]);
    assert_eq!(missing.status.code(), Some(1), "{}", describe(&missing));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("/nowhere/font.ttf") && stderr.contains("PDF_FALLBACK_FONT"),
        "{stderr}"
    );
}
