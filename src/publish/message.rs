//! The report email as a MIME message.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart};
use lettre::{Address, Message};

use super::PublishError;
use crate::config::{EmailTarget, OpsTarget};
use crate::render::OutputFile;
use crate::render::email::EmailContent;

/// A multipart message: text and HTML alternatives, then the attachments.
pub fn build_message(
    target: &EmailTarget,
    content: EmailContent,
    attachments: &[&OutputFile],
) -> Result<Message, PublishError> {
    let mut builder = Message::builder()
        .message_id(Some(message_id(&target.from.email)))
        .from(target.from.clone())
        .subject(content.subject);
    for to in &target.to {
        builder = builder.to(to.clone());
    }
    for cc in &target.cc {
        builder = builder.cc(cc.clone());
    }
    for bcc in &target.bcc {
        builder = builder.bcc(bcc.clone());
    }
    if let Some(reply_to) = &target.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    let mut body = MultiPart::mixed().multipart(MultiPart::alternative_plain_html(
        content.text,
        content.html,
    ));
    for file in attachments {
        let content_type = ContentType::parse(file.content_type)
            .map_err(|e| PublishError::Message(e.to_string()))?;
        body = body.singlepart(
            Attachment::new(file.name.to_owned())
                .body(file.bytes.to_bytes().to_vec(), content_type),
        );
    }
    builder
        .multipart(body)
        .map_err(|e| PublishError::Message(e.to_string()))
}

/// Every address the report goes to (to, cc and bcc), each once, in a
/// stable order; each is its own SMTP transaction, so one refused address
/// neither blocks the others nor makes them receive it twice on a retry.
pub fn envelope_recipients(target: &EmailTarget) -> Vec<Address> {
    let mut all: Vec<Address> = Vec::new();
    for mailbox in target.to.iter().chain(&target.cc).chain(&target.bcc) {
        if !all.iter().any(|a| same_address(a, &mailbox.email)) {
            all.push(mailbox.email.clone());
        }
    }
    all
}

/// A unique `Message-ID` in the sender's domain. Every recipient of one
/// delivery gets the same id, so clients see one message.
fn message_id(from: &Address) -> String {
    format!("<{}@{}>", uuid::Uuid::new_v4().simple(), from.domain())
}

fn same_address(a: &Address, b: &Address) -> bool {
    AsRef::<str>::as_ref(a).eq_ignore_ascii_case(b.as_ref())
}

/// The recipient set as one stable string, for the delivery record.
pub fn recipients_key(target: &EmailTarget) -> String {
    let mut all: Vec<String> = envelope_recipients(target)
        .iter()
        .map(|a| a.to_string().to_lowercase())
        .collect();
    all.sort();
    all.join(",")
}

/// The plain-text notice to the job's ops recipients that a run failed.
pub fn ops_message(
    ops: &OpsTarget,
    job: &str,
    run_id: &str,
    as_of: &str,
    error: &str,
) -> Result<Message, PublishError> {
    let mut builder = Message::builder()
        .message_id(Some(message_id(&ops.from.email)))
        .from(ops.from.clone())
        .subject(format!("[pipeline-pulse] {job} failed (run {run_id})"));
    for to in &ops.to {
        builder = builder.to(to.clone());
    }
    let text = format!(
        "The job {job} failed.\n\nRun: {run_id}\nAs of: {as_of}\nError: {error}\n\nNothing half-done was announced: no manifest or report email was published for the failed step. \
         See `pipeline-pulse runs --job {job}` for the run history; after fixing the cause, run `pipeline-pulse --run-once {job} --as-of {as_of}` (emails already delivered for the period are not sent again).\n"
    );
    builder
        .body(text)
        .map_err(|e| PublishError::Message(e.to_string()))
}
