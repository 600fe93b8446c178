//! Email, exactly once: the report to its recipients (one delivery per
//! job, period and recipient set, retried only for the addresses that
//! failed), and the failure notice to the job's ops recipients.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use lettre::address::Envelope;
use tracing::{error, info, warn};

use super::{Environment, RunRequest, StepReport};
use crate::aggregate::PipelineReport;
use crate::config::{EmailTarget, JobDefinition};
use crate::publish::{
    ObjectStore, build_message, envelope_recipients, ops_message, recipients_key,
};
use crate::render::email::{FilesNote, email};
use crate::render::{OutputFile, PDF_NAME};
use crate::store::DeliveryKey;

/// Where this run's files were published, for links in the email.
pub struct Published {
    /// The store the files went to.
    pub store: Arc<dyn ObjectStore>,
    /// The period folder's key.
    pub folder: String,
}

/// Sends the report email to every address of the set that has not
/// received this period's report yet (all of them with `--force`).
pub async fn deliver_report(
    env: &Environment,
    target: &EmailTarget,
    request: &RunRequest,
    report: &PipelineReport,
    files: &[OutputFile],
    published: Option<&Published>,
    step: &mut StepReport,
) -> anyhow::Result<()> {
    let job = &report.context.job;
    let run_id = &report.context.run_id;
    let period = report.context.period.label();
    let k = &report.kpis;
    if target.skip_when_empty && k.open_count == 0 && k.won_count == 0 && k.lost_count == 0 {
        info!("Nothing to report: no email.");
        step.lines.push(format!(
            "email: not sent, nothing to report for {period} (no open deals, none won or lost; skip_when_empty)"
        ));
        return Ok(());
    }
    let set = recipients_key(target);
    if let Some(run) = env.store.delivery(job, &period, &set).await? {
        if !request.force {
            step.lines.push(format!(
                "email: not sent, {period} was already delivered to these recipients by run {run} (use --force to send again)"
            ));
            return Ok(());
        }
        warn!(previous_run = %run, "Sending again because of --force.");
    }
    let key = DeliveryKey {
        job,
        period: &period,
        recipients: &set,
    };
    if request.force {
        env.store.forget_delivery(key).await?;
    }
    let done = env.store.delivered_addresses(key).await?;
    let pending: Vec<_> = envelope_recipients(target)
        .into_iter()
        .filter(|a| !done.iter().any(|d| d.eq_ignore_ascii_case(a.as_ref())))
        .collect();

    let wanted: Vec<&OutputFile> = files
        .iter()
        .filter(|f| f.name == PDF_NAME || (target.attach_csv && f.name.ends_with(".csv")))
        .collect();
    let size: u64 = wanted.iter().map(|f| f.bytes.len() as u64).sum();
    let mut note = FilesNote {
        folder: published.map_or_else(
            || format!("the outputs of run {run_id}"),
            |p| p.store.folder_link(&p.folder),
        ),
        links: Vec::new(),
        link_expiry_hours: target.link_expiry_hours,
    };
    let attachments = if size > target.max_attachment_bytes {
        let published = published.with_context(|| {
            format!(
                "the attachments are {size} bytes, over publish.email.max_attachment_bytes ({}), and the job publishes to no object store to link to instead; add [publish.object_store] or raise the limit",
                target.max_attachment_bytes
            )
        })?;
        let expiry = Duration::from_secs(u64::from(target.link_expiry_hours) * 3600);
        for file in &wanted {
            let key = format!("{}/{}", published.folder, file.name);
            note.links.push((
                file.name.to_owned(),
                published.store.share_link(&key, expiry).await?,
            ));
        }
        info!(
            bytes = size,
            limit = target.max_attachment_bytes,
            "Attachments too large: sending links."
        );
        Vec::new()
    } else {
        wanted
    };
    let content = email(report, &target.subject, &note);
    let message = build_message(target, content, &attachments)?;
    let message_id = message
        .headers()
        .get_raw("Message-ID")
        .unwrap_or_default()
        .to_owned();
    let raw = message.formatted();

    let mut failed = Vec::new();
    for address in &pending {
        let envelope = Envelope::new(Some(target.from.email.clone()), vec![address.clone()])
            .with_context(|| format!("addressing the email to {address}"))?;
        match env.mailer.send(&envelope, &raw).await {
            Ok(response) => {
                env.store
                    .record_delivered_address(
                        key,
                        &address.to_string().to_lowercase(),
                        run_id,
                        &response,
                        Utc::now(),
                    )
                    .await?;
            }
            Err(e) => {
                warn!(recipient = %address, error = %e, "The report email was not accepted for a recipient.");
                failed.push(format!("{address} ({e})"));
            }
        }
    }
    let sent = pending.len() - failed.len();
    if !failed.is_empty() {
        anyhow::bail!(
            "emailing the report of {period} through {}: {sent} of {} recipients accepted it; not accepted: {}. A rerun sends it only to these",
            env.mailer.describe(),
            pending.len(),
            failed.join("; ")
        );
    }
    env.store
        .record_delivery(job, &period, &set, run_id, &message_id, Utc::now())
        .await?;
    info!(recipients = sent, "Emailed the report.");
    let how = if note.links.is_empty() {
        format!("{} attachments", attachments.len())
    } else {
        format!(
            "{} download links instead of {size} bytes of attachments",
            note.links.len()
        )
    };
    let skipped = if done.is_empty() {
        String::new()
    } else {
        format!(", {} already had it", done.len())
    };
    step.lines.push(format!(
        "email: sent to {sent} recipients through {} ({how}{skipped})",
        env.mailer.describe()
    ));
    Ok(())
}

/// Tells the job's ops recipients that a run failed. A notice that cannot
/// be sent is logged; it never hides the run's own error.
pub async fn notify_ops(
    env: &Environment,
    job: &JobDefinition,
    request: &RunRequest,
    run_id: &str,
    failure: &str,
) {
    let Some(ops) = &job.ops else {
        return;
    };
    if request.dry_run {
        return;
    }
    let message = match ops_message(ops, &job.name, run_id, &request.as_of.to_string(), failure) {
        Ok(message) => message,
        Err(e) => {
            error!(error = %e, "Could not build the failure notice.");
            return;
        }
    };
    let raw = message.formatted();
    let to = ops.to.iter().map(|m| m.email.clone()).collect();
    let envelope = match Envelope::new(Some(ops.from.email.clone()), to) {
        Ok(envelope) => envelope,
        Err(e) => {
            error!(error = %e, "Could not address the failure notice.");
            return;
        }
    };
    match env.mailer.send(&envelope, &raw).await {
        Ok(_) => info!(
            recipients = ops.to.len(),
            "Sent the failure notice to the ops recipients."
        ),
        Err(e) => error!(error = %e, "Could not send the failure notice to the ops recipients."),
    }
}
