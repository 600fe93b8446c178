//! The email: subject, plain text and HTML (inline styles only, table
//! layout, so Outlook and Gmail render it alike).

use super::format::{grouped, percent};
use crate::aggregate::PipelineReport;

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

/// Builds the email. `subject_template` may use `{job}`, `{period}` and
/// `{open_amount}`; `location` says where the files are.
pub fn email(report: &PipelineReport, subject_template: &str, location: &str) -> EmailContent {
    let c = &report.context;
    let k = &report.kpis;
    let dp = c.base.minor_units();
    let money = |v| format!("{} {}", c.base, grouped(v, dp));
    let subject = subject_template
        .replace("{job}", &c.job)
        .replace("{period}", &c.period.label())
        .replace("{open_amount}", &money(k.open_amount));
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
    if let Some(quality) = &quality {
        text.push_str(&format!("\n{quality}\n"));
    }
    text.push_str(&format!(
        "\nThe PDF is attached; every file is at {location}\nRun {}\n",
        c.run_id
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
    if let Some(quality) = &quality {
        html.push_str(&format!(
            "<p style=\"font-family:Arial,sans-serif;font-size:13px;color:#b01a1a;\">{}</p>",
            escape(quality)
        ));
    }
    html.push_str(&format!(
        "<p style=\"font-family:Arial,sans-serif;font-size:12px;color:#555555;\">The PDF is attached; every file is at {}.<br>Run {}</p></body></html>",
        escape(location),
        escape(&c.run_id)
    ));
    EmailContent {
        subject,
        text,
        html,
    }
}
