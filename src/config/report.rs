//! Report definitions: `reports/<name>.toml`. A new layout is a new file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{ConfigErrors, toml_file};

/// How a stage counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageClass {
    /// Still in the pipeline.
    Open,
    /// Closed and won.
    Won,
    /// Closed and lost.
    Lost,
}

impl StageClass {
    /// The word used in CSVs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Won => "won",
            Self::Lost => "lost",
        }
    }
}

/// The reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    /// ISO week, Monday to Sunday.
    Week,
    /// Calendar month.
    Month,
    /// Calendar quarter.
    Quarter,
}

/// One stage of the CRM, in pipeline order.
#[derive(Debug, Clone, Deserialize)]
pub struct StageDefinition {
    /// The stage name exactly as the CRM spells it.
    pub name: String,
    /// open, won or lost.
    pub class: StageClass,
    /// Probability (percent) used when a deal has none of its own.
    pub probability: u8,
    /// The forecast category the stage's deals count in, if the report
    /// uses forecast categories.
    #[serde(default)]
    pub forecast: Option<ForecastCategory>,
}

/// Forecast categories, from the least to the most certain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForecastCategory {
    /// Early deals, not yet counted on.
    Pipeline,
    /// Could close in the period if things go well.
    BestCase,
    /// Expected to close.
    Commit,
    /// Won.
    Closed,
}

impl ForecastCategory {
    /// Every category, in order.
    pub const ALL: [ForecastCategory; 4] =
        [Self::Pipeline, Self::BestCase, Self::Commit, Self::Closed];

    /// The word used in CSVs and the report definition.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pipeline => "pipeline",
            Self::BestCase => "best_case",
            Self::Commit => "commit",
            Self::Closed => "closed",
        }
    }
}

/// Windows and limits of the sections.
#[derive(Debug, Clone, Deserialize)]
pub struct Windows {
    /// Trailing days over which win rate, deal size and cycle are measured.
    #[serde(default = "default_win_rate_days")]
    pub win_rate_days: u32,
    /// An open deal unmodified for this many days is stale.
    #[serde(default = "default_stale_days")]
    pub stale_days: u32,
    /// Months shown after the overdue bucket in "by close month".
    #[serde(default = "default_months_ahead")]
    pub months_ahead: u32,
    /// Rows of "top deals".
    #[serde(default = "default_top_n")]
    pub top_n: u32,
}

fn default_win_rate_days() -> u32 {
    90
}
fn default_stale_days() -> u32 {
    30
}
fn default_months_ahead() -> u32 {
    6
}
fn default_top_n() -> u32 {
    10
}

impl Default for Windows {
    fn default() -> Self {
        Self {
            win_rate_days: default_win_rate_days(),
            stale_days: default_stale_days(),
            months_ahead: default_months_ahead(),
            top_n: default_top_n(),
        }
    }
}

/// The sections of the report. Every one is computed (and has its CSV);
/// the definition chooses which the PDF and email show, in what order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// Headline figures.
    Kpis,
    /// Open pipeline by stage.
    ByStage,
    /// Pipeline and results per owner.
    ByOwner,
    /// Open pipeline by expected closing month.
    ByCloseMonth,
    /// Every deal by original currency.
    ByCurrency,
    /// The waterfall from the period start to the as-of date.
    Movement,
    /// Overdue deals and deals whose closing date moved later.
    Slipped,
    /// Open deals untouched for the stale window.
    Stale,
    /// The largest open deals.
    TopDeals,
    /// Every record with a problem.
    DataQuality,
}

/// Paper size of the PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    /// ISO A4, 210 × 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 × 11 in.
    Letter,
}

/// The `[pdf]` table: how the PDF is laid out.
#[derive(Debug, Clone, Deserialize)]
pub struct PdfLayout {
    /// `a4` (default) or `letter`.
    #[serde(default)]
    pub paper: Paper,
    /// Rows shown of each deal list (stale, slipped, data quality) before
    /// "and N more — see the CSV".
    #[serde(default = "default_list_rows")]
    pub list_rows: u32,
}

fn default_list_rows() -> u32 {
    20
}

impl Default for PdfLayout {
    fn default() -> Self {
        Self {
            paper: Paper::default(),
            list_rows: default_list_rows(),
        }
    }
}

/// One section of the report, in display order.
#[derive(Debug, Clone, Deserialize)]
pub struct SectionDefinition {
    /// Which section.
    pub kind: SectionKind,
    /// Its heading in the PDF and email.
    pub title: String,
}

#[derive(Debug, Deserialize)]
struct RawReport {
    title: String,
    #[serde(default = "default_period")]
    period: PeriodKind,
    #[serde(default)]
    windows: Windows,
    #[serde(default)]
    pdf: PdfLayout,
    stages: Vec<StageDefinition>,
    sections: Vec<SectionDefinition>,
}

fn default_period() -> PeriodKind {
    PeriodKind::Week
}

/// A validated report definition.
#[derive(Debug, Clone)]
pub struct ReportDefinition {
    /// Its name, the file's stem; jobs refer to it by this.
    pub name: String,
    /// Title on the PDF and in the email.
    pub title: String,
    /// Reporting period.
    pub period: PeriodKind,
    /// Windows and limits.
    pub windows: Windows,
    /// Layout of the PDF.
    pub pdf: PdfLayout,
    /// Stages in pipeline order.
    pub stages: Vec<StageDefinition>,
    /// Sections in display order.
    pub sections: Vec<SectionDefinition>,
    /// The file it came from.
    pub file: PathBuf,
}

impl ReportDefinition {
    /// The definition of a stage, by its CRM name.
    pub fn stage(&self, name: &str) -> Option<&StageDefinition> {
        self.stages.iter().find(|s| s.name == name)
    }
}

/// Parses and validates one report definition file.
pub fn parse_report(
    path: &Path,
    text: &str,
    errors: &mut ConfigErrors,
) -> Option<ReportDefinition> {
    let raw: RawReport = toml_file::parse(path, text, errors)?;
    let file = path.display().to_string();
    let before = errors.issues().len();
    if raw.stages.is_empty() {
        errors.push(
            format!("{file}: stages"),
            "list the CRM's stages in pipeline order",
        );
    }
    let mut seen = BTreeSet::new();
    for (i, stage) in raw.stages.iter().enumerate() {
        if !seen.insert(stage.name.as_str()) {
            errors.push(
                format!("{file}: stages[{i}].name"),
                format!("`{}` is listed twice", stage.name),
            );
        }
        if stage.probability > 100 {
            errors.push(
                format!("{file}: stages[{i}].probability"),
                format!("{} is not a percentage from 0 to 100", stage.probability),
            );
        }
    }
    let mut kinds = BTreeSet::new();
    for (i, section) in raw.sections.iter().enumerate() {
        if !kinds.insert(section.kind) {
            errors.push(
                format!("{file}: sections[{i}].kind"),
                "this section is listed twice",
            );
        }
    }
    if raw.pdf.list_rows == 0 {
        errors.push(format!("{file}: pdf.list_rows"), "must be at least 1");
    }
    for (i, stage) in raw.stages.iter().enumerate() {
        let problem = match (stage.class, stage.forecast) {
            (StageClass::Lost, Some(_)) => {
                Some("lost deals are in no forecast category: remove it")
            }
            (StageClass::Won, Some(f)) if f != ForecastCategory::Closed => {
                Some("won stages belong in `closed`")
            }
            (StageClass::Open, Some(ForecastCategory::Closed)) => {
                Some("`closed` is for won stages: use pipeline, best_case or commit")
            }
            _ => None,
        };
        if let Some(problem) = problem {
            errors.push(
                format!("{file}: stages[{i}].forecast"),
                format!("`{}` is {}: {problem}", stage.name, stage.class.as_str()),
            );
        }
    }
    if raw.stages.iter().any(|s| s.forecast.is_some())
        && let Some(i) = raw
            .stages
            .iter()
            .position(|s| s.forecast.is_none() && s.class != StageClass::Lost)
    {
        errors.push(
            format!("{file}: stages[{i}].forecast"),
            "once one stage has a forecast category, every open and won stage needs one",
        );
    }
    if raw.windows.win_rate_days == 0 {
        errors.push(
            format!("{file}: windows.win_rate_days"),
            "must be at least 1",
        );
    }
    if errors.issues().len() > before {
        return None;
    }
    Some(ReportDefinition {
        name: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        title: raw.title,
        period: raw.period,
        windows: raw.windows,
        pdf: raw.pdf,
        stages: raw.stages,
        sections: raw.sections,
        file: path.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAGES: &str = r#"
title = "Pipeline"
[[stages]]
name = "Open"
class = "open"
probability = 50
[[sections]]
kind = "kpis"
title = "Figures"
"#;

    fn parse(extra: &str) -> (Option<ReportDefinition>, Vec<String>) {
        let mut errors = ConfigErrors::default();
        let text = format!("{STAGES}{extra}");
        let definition = parse_report(Path::new("reports/r.toml"), &text, &mut errors);
        let issues = errors
            .issues()
            .iter()
            .map(|i| format!("{}: {}", i.location, i.message))
            .collect();
        (definition, issues)
    }

    #[test]
    fn the_pdf_table_sets_paper_and_list_rows_and_defaults_to_a4() {
        let (definition, issues) = parse("");
        let pdf = definition.expect("valid").pdf;
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!((pdf.paper, pdf.list_rows), (Paper::A4, 20));

        let (definition, _) = parse("[pdf]\npaper = \"letter\"\nlist_rows = 5\n");
        let pdf = definition.expect("valid").pdf;
        assert_eq!((pdf.paper, pdf.list_rows), (Paper::Letter, 5));

        let (definition, issues) = parse("[pdf]\nlist_rows = 0\n");
        assert!(definition.is_none());
        assert_eq!(
            issues,
            ["reports/r.toml: pdf.list_rows: must be at least 1"]
        );

        let (_, issues) = parse("[pdf]\npaper = \"a5\"\n");
        assert!(
            issues
                .iter()
                .any(|i| i.contains("a5") && i.contains("letter")),
            "{issues:?}"
        );
    }
}
