//! An SMTP submission server through lettre: STARTTLS, implicit TLS, or
//! plain for a trusted relay when explicitly allowed.

use std::time::Duration;

use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{Mailer, PublishError};
use crate::config::{SmtpSecurity, SmtpSettings};

/// Sends through one SMTP server; each `send` is one SMTP transaction.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    server: String,
}

impl SmtpMailer {
    /// A mailer for the configured server. Nothing connects until the
    /// first message.
    pub fn new(settings: &SmtpSettings) -> Result<SmtpMailer, PublishError> {
        let server = format!("{}:{}", settings.host, settings.port);
        let error = |message: String| PublishError::Smtp {
            server: server.clone(),
            message,
        };
        let mut parameters = TlsParameters::builder(settings.host.clone());
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| error(format!("reading SMTP_CA_FILE {}: {e}", path.display())))?;
            let certificate = Certificate::from_pem(&pem).map_err(|e| {
                error(format!(
                    "SMTP_CA_FILE {} holds no PEM certificates: {e}",
                    path.display()
                ))
            })?;
            parameters = parameters.add_root_certificate(certificate);
        }
        let parameters = || {
            parameters
                .clone()
                .build_rustls()
                .map_err(|e| error(e.to_string()))
        };
        let tls = match settings.security {
            // STARTTLS is required, not opportunistic: a server that cannot
            // upgrade never sees the credentials or the report.
            SmtpSecurity::StartTls => Tls::Required(parameters()?),
            SmtpSecurity::ImplicitTls => Tls::Wrapper(parameters()?),
            SmtpSecurity::Plain => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(u64::from(settings.timeout_secs))));
        if let (Some(username), Some(password)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                password.expose().to_owned(),
            ));
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            server,
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    fn describe(&self) -> String {
        format!("SMTP server {}", self.server)
    }

    async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<String, PublishError> {
        let response = self
            .transport
            .send_raw(envelope, message)
            .await
            .map_err(|e| PublishError::Send {
                mailer: self.describe(),
                message: e.to_string(),
            })?;
        let text: Vec<&str> = response.message().collect();
        Ok(format!("{} {}", response.code(), text.join(" ")))
    }
}
