//! Email delivery over SMTP with lettre: plain (loopback relays only), STARTTLS or implicit
//! TLS, optional authentication, an optional extra trusted root for relays with a certificate
//! from a private CA. Each message carries a Message-ID made from its outbox delivery id, so a
//! message re-sent after a crash is recognisably the same message.

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// No encryption: only for a relay on the same machine or a trusted network.
    None,
    Starttls,
    Implicit,
}

impl SmtpTls {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "none" => Some(Self::None),
            "starttls" => Some(Self::Starttls),
            "implicit" => Some(Self::Implicit),
            _ => None,
        }
    }
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
    /// A PEM file with an extra trusted root certificate (a relay with a private CA).
    #[serde(default)]
    pub ca_certificate: Option<PathBuf>,
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
    #[error("reading the trusted root {path}: {reason}")]
    Certificate { path: String, reason: String },
}

impl EmailError {
    /// The server refused for good (a 5xx reply, or a message that cannot be built): retrying
    /// the same message will not help.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Smtp(error) => error.is_permanent(),
            Self::Address { .. } | Self::Build(_) => true,
            Self::Certificate { .. } => false,
        }
    }
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
        let ca_pem = match &settings.ca_certificate {
            None => None,
            Some(path) => Some(
                std::fs::read(path).map_err(|error| EmailError::Certificate {
                    path: path.display().to_string(),
                    reason: error.to_string(),
                })?,
            ),
        };
        Self::build(settings, ca_pem.as_deref())
    }

    /// Like [`Mailer::new`], with the extra trusted root given as PEM text.
    pub fn build(settings: &SmtpSettings, ca_pem: Option<&[u8]>) -> Result<Self, EmailError> {
        let tls = match settings.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(tls_parameters(&settings.host, ca_pem)?),
            SmtpTls::Implicit => Tls::Wrapper(tls_parameters(&settings.host, ca_pem)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(tls)
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

fn tls_parameters(host: &str, ca_pem: Option<&[u8]>) -> Result<TlsParameters, EmailError> {
    let mut builder = TlsParameters::builder(host.to_owned());
    if let Some(pem) = ca_pem {
        builder = builder.add_root_certificate(Certificate::from_pem(pem)?);
    }
    Ok(builder.build_rustls()?)
}

/// Checks an address the way sending will.
pub fn parse_mailbox(address: &str) -> Result<Mailbox, EmailError> {
    address
        .parse::<Mailbox>()
        .map_err(|error| EmailError::Address {
            address: address.to_owned(),
            reason: error.to_string(),
        })
}
