//! Email delivery over SMTP with lettre: plain (loopback relays), STARTTLS or implicit TLS,
//! optional authentication.

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// No encryption: only for a relay on the same machine or a trusted network.
    None,
    Starttls,
    Implicit,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    #[serde(default = "default_tls")]
    pub tls: SmtpTls,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<SecretString>,
    pub from: String,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_tls() -> SmtpTls {
    SmtpTls::Starttls
}
fn default_timeout_ms() -> u64 {
    10_000
}

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("invalid address {address:?}: {reason}")]
    Address { address: String, reason: String },
    #[error("could not build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("smtp: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

/// A configured SMTP transport and sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    message_id_domain: String,
}

impl Mailer {
    pub fn new(settings: &SmtpSettings) -> Result<Self, EmailError> {
        let mut builder = match settings.tls {
            SmtpTls::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
            SmtpTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)?
            }
            SmtpTls::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)?,
        }
        .port(settings.port)
        .timeout(Some(Duration::from_millis(settings.timeout_ms)));
        if let (Some(username), Some(password)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        let from = parse_mailbox(&settings.from)?;
        let message_id_domain = from.email.domain().to_owned();
        Ok(Self {
            transport: builder.build(),
            from,
            message_id_domain,
        })
    }

    /// Sends one plain-text message. `idempotency_key` becomes the Message-ID, so that a message
    /// re-sent after a crash between sending and recording it can be recognised as the same one.
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        idempotency_key: &str,
    ) -> Result<(), EmailError> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(parse_mailbox(to)?)
            .subject(subject)
            .message_id(Some(format!(
                "<{idempotency_key}@{}>",
                self.message_id_domain
            )))
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())?;
        self.transport.send(message).await?;
        Ok(())
    }
}

fn parse_mailbox(address: &str) -> Result<Mailbox, EmailError> {
    address
        .parse::<Mailbox>()
        .map_err(|error| EmailError::Address {
            address: address.to_owned(),
            reason: error.to_string(),
        })
}
