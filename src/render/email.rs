//! The email: subject, plain text and HTML (inline styles only, table
//! layout, so Outlook and Gmail render it alike).

use super::csv::no_baseline_note;
use super::format::{grouped, percent};
use crate::aggregate::{Movement, MovementStep, PipelineReport};

/// The parts of the report email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailContent {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Where the report's files are, as the email tells it.
#[derive(Debug, Clone)]
pub struct FilesNote {
    /// Where the whole set can be browsed.
    pub folder: String,
    /// Download links `(file name, URL)` sent instead of attachments that
    /// were too large; empty when the files are attached.
    pub links: Vec<(String, String)>,
    /// How long the links work.
    pub link_expiry_hours: u32,
}

/// Builds the email. `subject_template` may use `{job}`, `{title}`,
/// `{period}`, `{as_of}`, `{open_amount}`, `{weighted_amount}` and
/// `{won_amount}`.
pub fn email(report: &PipelineReport, subject_template: &str, files: &FilesNote) -> EmailContent {
    let c = &report.context;
    let k = &report.kpis;
    let dp = c.base.minor_units();
    let money = |v| format!("{} {}", c.base, grouped(v, dp));
    let subject = subject_template
        .replace("{job}", &c.job)
        .replace("{title}", &c.title)
        .replace("{period}", &c.period.label())
        .replace("{as_of}", &c.as_of.to_string())
        .replace("{open_amount}", &money(k.open_amount))
        .replace("{weighted_amount}", &money(k.weighted_amount))
        .replace("{won_amount}", &money(k.won_amount));
    let subject = if c.sample {
        format!("[SAMPLE DATA] {subject}")
    } else {
        subject
    };
    let subject = if c.stale_data.is_some() {
        format!("[STALE DATA] {subject}")
    } else {
        subject
    };

    let figures: Vec<(&str, String)> = vec![
        (
            "Open pipeline",
            format!("{} ({} deals)", money(k.open_amount), k.open_count),
        ),
        ("Weighted pipeline", money(k.weighted_amount)),
        (
            "Won this period",
            format!("{} ({} deals)", money(k.won_amount), k.won_count),
        ),
        (
            "Lost this period",
            format!("{} ({} deals)", money(k.lost_amount), k.lost_count),
        ),
        (
            "Win rate (count / amount)",
            format!(
                "{} / {}",
                percent(k.win_rate_count),
                percent(k.win_rate_amount)
            ),
        ),
    ];
    let stages: Vec<(String, String, String)> = report
        .by_stage
        .iter()
        .map(|s| (s.stage.clone(), s.count.to_string(), grouped(s.amount, dp)))
        .collect();
    let provenance = format!(
        "As of {} ({}), period {} ({} to {}). Rates of {} ({}). Deals: {}.",
        c.as_of,
        c.timezone.name(),
        c.period.label(),
        c.period.start,
        c.period.end,
        c.rates_date,
        c.rates_source,
        c.deal_source
    );
    let movement: Result<Vec<(&str, String, String)>, String> = match &report.movement {
        Movement::Computed(steps) => Ok(steps
            .iter()
            .map(|row| {
                (
                    movement_label(row.step),
                    row.deals.to_string(),
                    grouped(row.amount, dp),
                )
            })
            .collect()),
        Movement::NoBaseline {
            period_start,
            history_from,
        } => Err(no_baseline_note(*period_start, *history_from)),
    };
    let top: Vec<[String; 4]> = report
        .top_deals
        .iter()
        .filter_map(|&i| report.deals.get(i))
        .map(|d| {
            [
                d.name.to_string(),
                d.owner.to_string(),
                d.stage.to_string(),
                d.amount_base.map(|a| grouped(a, dp)).unwrap_or_default(),
            ]
        })
        .collect();
    let warnings = report.warnings().count();
    let quality = (warnings > 0).then(|| {
        format!("{warnings} data warnings: some deals are excluded from totals or classified by assumption; see data_quality.csv.")
    });

    let mut text = String::new();
    if let Some(stale) = &c.stale_data {
        text.push_str(&format!("STALE DATA: {stale}\n\n"));
    }
    if c.sample {
        text.push_str(
            "SAMPLE DATA: these figures come from the bundled sample, not from the CRM.\n\n",
        );
    }
    text.push_str(&format!("{}\n{provenance}\n\n", c.title));
    for (label, value) in &figures {
        text.push_str(&format!("{label}: {value}\n"));
    }
    text.push_str(&format!("\nOpen pipeline by stage ({}):\n", c.base));
    for (stage, count, amount) in &stages {
        text.push_str(&format!("  {stage}: {count} deals, {amount}\n"));
    }
    text.push_str(&format!(
        "\nMovement of the open pipeline since {} ({}):\n",
        c.period.start, c.base
    ));
    match &movement {
        Ok(steps) => {
            for (label, deals, amount) in steps {
                text.push_str(&format!("  {label}: {deals} deals, {amount}\n"));
            }
        }
        Err(note) => text.push_str(&format!("  {note}\n")),
    }
    if !top.is_empty() {
        text.push_str(&format!("\nTop open deals ({}):\n", c.base));
        for [name, owner, stage, amount] in &top {
            text.push_str(&format!("  {name} ({owner}, {stage}): {amount}\n"));
        }
    }
    if let Some(quality) = &quality {
        text.push_str(&format!("\n{quality}\n"));
    }
    if files.links.is_empty() {
        text.push_str("\nThe PDF is attached.");
    } else {
        text.push_str(&format!(
            "\nThe files are too large to attach; download them (links work for {} hours):\n",
            files.link_expiry_hours
        ));
        for (name, url) in &files.links {
            text.push_str(&format!("  {name}: {url}\n"));
        }
    }
    text.push_str(&format!(
        "\nEvery file: {}\nRun {}\n",
        files.folder, c.run_id
    ));

    let cell = "padding:4px 8px;border-bottom:1px solid #dddddd;font-family:Arial,sans-serif;font-size:14px;";
    let num = format!("{cell}text-align:right;");
    let mut html = String::from(
        "<!DOCTYPE html><html><body style=\"margin:0;padding:16px;background:#ffffff;color:#1a1a1a;\">",
    );
    if let Some(stale) = &c.stale_data {
        html.push_str(&format!(
            "<p style=\"font-family:Arial,sans-serif;color:#b01a1a;font-weight:bold;\">STALE DATA: {}</p>",
            escape(stale)
        ));
    }
    if c.sample {
        html.push_str("<p style=\"font-family:Arial,sans-serif;color:#b01a1a;font-weight:bold;\">SAMPLE DATA: these figures come from the bundled sample, not from the CRM.</p>");
    }
    html.push_str(&format!(
        "<h2 style=\"font-family:Arial,sans-serif;color:#1f5499;margin:0 0 4px 0;\">{}</h2><p style=\"font-family:Arial,sans-serif;font-size:12px;color:#555555;margin:0 0 12px 0;\">{}</p>",
        escape(&c.title),
        escape(&provenance)
    ));
    html.push_str("<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" style=\"border-collapse:collapse;\">");
    for (label, value) in &figures {
        html.push_str(&format!(
            "<tr><td style=\"{cell}\">{}</td><td style=\"{num}font-weight:bold;\">{}</td></tr>",
            escape(label),
            escape(value)
        ));
    }
    html.push_str("</table>");
    html.push_str(&format!(
        "<h3 style=\"font-family:Arial,sans-serif;color:#1f5499;\">Open pipeline by stage</h3><table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" style=\"border-collapse:collapse;\"><tr><th style=\"{cell}text-align:left;\">Stage</th><th style=\"{num}\">Deals</th><th style=\"{num}\">Amount ({})</th></tr>",
        c.base
    ));
    for (stage, count, amount) in &stages {
        html.push_str(&format!("<tr><td style=\"{cell}\">{}</td><td style=\"{num}\">{count}</td><td style=\"{num}\">{amount}</td></tr>", escape(stage)));
    }
    html.push_str("</table>");
    html.push_str(&format!(
        "<h3 style=\"font-family:Arial,sans-serif;color:#1f5499;\">Movement since {}</h3>",
        c.period.start
    ));
    match &movement {
        Ok(steps) => {
            html.push_str(&format!(
                "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" style=\"border-collapse:collapse;\"><tr><th style=\"{cell}text-align:left;\">Step</th><th style=\"{num}\">Deals</th><th style=\"{num}\">Amount ({})</th></tr>",
                c.base
            ));
            for (label, deals, amount) in steps {
                html.push_str(&format!(
                    "<tr><td style=\"{cell}\">{}</td><td style=\"{num}\">{deals}</td><td style=\"{num}\">{}</td></tr>",
                    escape(label),
                    escape(amount)
                ));
            }
            html.push_str("</table>");
        }
        Err(note) => html.push_str(&format!(
            "<p style=\"font-family:Arial,sans-serif;font-size:13px;color:#555555;\">{}</p>",
            escape(note)
        )),
    }
    if !top.is_empty() {
        html.push_str(&format!(
            "<h3 style=\"font-family:Arial,sans-serif;color:#1f5499;\">Top open deals</h3><table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" style=\"border-collapse:collapse;\"><tr><th style=\"{cell}text-align:left;\">Deal</th><th style=\"{cell}text-align:left;\">Owner</th><th style=\"{cell}text-align:left;\">Stage</th><th style=\"{num}\">Amount ({})</th></tr>",
            c.base
        ));
        for [name, owner, stage, amount] in &top {
            html.push_str(&format!(
                "<tr><td style=\"{cell}\">{}</td><td style=\"{cell}\">{}</td><td style=\"{cell}\">{}</td><td style=\"{num}\">{}</td></tr>",
                escape(name),
                escape(owner),
                escape(stage),
                escape(amount)
            ));
        }
        html.push_str("</table>");
    }
    if let Some(quality) = &quality {
        html.push_str(&format!(
            "<p style=\"font-family:Arial,sans-serif;font-size:13px;color:#b01a1a;\">{}</p>",
            escape(quality)
        ));
    }
    let small = "font-family:Arial,sans-serif;font-size:12px;color:#555555;";
    if files.links.is_empty() {
        html.push_str(&format!("<p style=\"{small}\">The PDF is attached.</p>"));
    } else {
        html.push_str(&format!(
            "<p style=\"font-family:Arial,sans-serif;font-size:13px;\">The files are too large to attach; download them (links work for {} hours):</p><table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" style=\"border-collapse:collapse;\">",
            files.link_expiry_hours
        ));
        for (name, url) in &files.links {
            html.push_str(&format!(
                "<tr><td style=\"{cell}\"><a href=\"{}\" style=\"color:#1f5499;\">{}</a></td></tr>",
                escape(url),
                escape(name)
            ));
        }
        html.push_str("</table>");
    }
    let folder = if files.folder.starts_with("http") {
        format!(
            "<a href=\"{0}\" style=\"color:#1f5499;\">{0}</a>",
            escape(&files.folder)
        )
    } else {
        escape(&files.folder)
    };
    html.push_str(&format!(
        "<p style=\"{small}\">Every file: {folder}<br>Run {}</p></body></html>",
        escape(&c.run_id)
    ));
    EmailContent {
        subject,
        text,
        html,
    }
}

/// A movement step as leadership reads it.
fn movement_label(step: MovementStep) -> &'static str {
    match step {
        MovementStep::Start => "Open at the period start",
        MovementStep::New => "New deals",
        MovementStep::Increased => "Increased",
        MovementStep::Decreased => "Decreased",
        MovementStep::Won => "Won",
        MovementStep::Lost => "Lost",
        MovementStep::Other => "Other (deleted or reopened)",
        MovementStep::End => "Open now",
    }
}
