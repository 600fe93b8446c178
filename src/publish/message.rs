//! The report email as a MIME message.

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart};

use super::PublishError;
use crate::config::EmailTarget;
use crate::render::OutputFile;
use crate::render::email::EmailContent;

/// A multipart message: text and HTML alternatives, then the attachments.
pub fn build_message(
    target: &EmailTarget,
    content: EmailContent,
    attachments: &[&OutputFile],
) -> Result<Message, PublishError> {
    let mut builder = Message::builder()
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
            Attachment::new(file.name.to_owned()).body(file.bytes.clone(), content_type),
        );
    }
    builder
        .multipart(body)
        .map_err(|e| PublishError::Message(e.to_string()))
}

/// The recipient set as one stable string, for the delivery record.
pub fn recipients_key(target: &EmailTarget) -> String {
    let mut all: Vec<String> = target
        .to
        .iter()
        .chain(&target.cc)
        .chain(&target.bcc)
        .map(|m| m.email.to_string().to_lowercase())
        .collect();
    all.sort();
    all.dedup();
    all.join(",")
}
