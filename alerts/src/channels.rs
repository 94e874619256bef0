//! The ways a notification leaves careaudit: email through the deployment's SMTP relay or the
//! organisation's own (`organisation_smtp`), and signed webhooks. Secrets (SMTP passwords,
//! webhook signing keys) are never in PostgreSQL: rows name an entry of the settings (the
//! organisation's own `alerts.organisation_secrets.<ORG>`, or for the deployment's webhooks
//! `alerts.secrets`), which come from the settings file or the environment.

use crate::email::{Mailer, SmtpSettings, SmtpTls};
use crate::outbox::{Claimed, SendFailure};
use crate::secrets::Secrets;
use crate::webhook::{self, WebhookDelivery};
use chrono::Utc;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// The environment variable of the test-only failpoint.
pub const FAILPOINT_VARIABLE: &str = "CAREAUDIT_FAILPOINT";
/// With `CAREAUDIT_FAILPOINT=alerts-hang-after-send` (or `...:email`, `...:webhook` for one
/// channel), delivery stops for good right after a receiver accepted a notification and before
/// it is marked sent, so a test can kill the process exactly there. Nothing sets it outside the
/// crash tests.
pub const HANG_AFTER_SEND: &str = "alerts-hang-after-send";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct OrganisationSmtp {
    host: String,
    port: i32,
    tls: String,
    username: Option<String>,
    password_secret: Option<String>,
    from_address: String,
    ca_certificate_pem: Option<String>,
}

pub struct Channels {
    default_mailer: Mailer,
    organisation_mailers: Mutex<HashMap<String, (OrganisationSmtp, Mailer)>>,
    default_timeout_ms: u64,
    http: reqwest::Client,
    secrets: Secrets,
    /// The failpoint: hang after a send on this channel (`Some("")`: on any channel).
    hang_after_send: Option<String>,
}

impl Channels {
    pub(crate) fn new(
        smtp: &SmtpSettings,
        secrets: Secrets,
        webhook_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let hang_after_send = std::env::var(FAILPOINT_VARIABLE).ok().and_then(|value| {
            let rest = value.strip_prefix(HANG_AFTER_SEND)?;
            Some(rest.strip_prefix(':').unwrap_or(rest).to_owned())
        });
        if let Some(channel) = &hang_after_send {
            tracing::warn!(
                channel,
                "failpoint {HANG_AFTER_SEND} is set: delivery will stop after a send"
            );
        }
        Ok(Self {
            default_mailer: Mailer::new(smtp)?,
            organisation_mailers: Mutex::new(HashMap::new()),
            default_timeout_ms: smtp.timeout_ms,
            http: reqwest::Client::builder()
                .timeout(webhook_timeout)
                .build()?,
            secrets,
            hang_after_send,
        })
    }

    pub(crate) async fn send(&self, pool: &PgPool, entry: &Claimed) -> Result<(), SendFailure> {
        let outcome = match entry.channel.as_str() {
            "email" => self.send_email(pool, entry).await,
            "webhook" => self.send_webhook(pool, entry).await,
            other => Err(SendFailure {
                message: format!("unknown channel {other}"),
                permanent: true,
            }),
        };
        let hang = self
            .hang_after_send
            .as_deref()
            .is_some_and(|channel| channel.is_empty() || channel == entry.channel);
        if outcome.is_ok() && hang {
            tracing::warn!(
                outbox_id = entry.id,
                "failpoint {HANG_AFTER_SEND}: accepted by the receiver, not marked sent"
            );
            std::future::pending::<()>().await;
        }
        outcome
    }

    async fn send_email(&self, pool: &PgPool, entry: &Claimed) -> Result<(), SendFailure> {
        let mailer = self.mailer_for(pool, entry.org_code.as_deref()).await?;
        mailer
            .send(
                &entry.recipient,
                &entry.subject,
                &entry.body,
                &format!("careaudit-{}", entry.delivery_id),
            )
            .await
            .map_err(|error| SendFailure {
                permanent: error.is_permanent(),
                message: error.to_string(),
            })
    }

    /// The organisation's own relay when it has one, else the deployment's.
    async fn mailer_for(
        &self,
        pool: &PgPool,
        org_code: Option<&str>,
    ) -> Result<Mailer, SendFailure> {
        let database = |error: sqlx::Error| SendFailure {
            message: format!("postgres: {error}"),
            permanent: false,
        };
        let Some(org_code) = org_code else {
            return Ok(self.default_mailer.clone());
        };
        let row: Option<OrganisationSmtp> = sqlx::query_as(
            "SELECT host, port, tls, username, password_secret, from_address, ca_certificate_pem
             FROM organisation_smtp WHERE org_code = $1",
        )
        .bind(org_code)
        .fetch_optional(pool)
        .await
        .map_err(database)?;
        let Some(row) = row else {
            return Ok(self.default_mailer.clone());
        };
        if let Some((cached_row, mailer)) = self.lock_mailers().get(org_code) {
            if cached_row == &row {
                return Ok(mailer.clone());
            }
        }
        let password = match &row.password_secret {
            Some(name) => Some(self.secrets.get(Some(org_code), name)?.clone()),
            None => None,
        };
        let settings = SmtpSettings {
            host: row.host.clone(),
            port: u16::try_from(row.port).unwrap_or(25),
            tls: SmtpTls::parse(&row.tls).unwrap_or(SmtpTls::Starttls),
            username: row.username.clone(),
            password,
            from: row.from_address.clone(),
            timeout_ms: self.default_timeout_ms,
            ca_certificate: None,
        };
        let mailer = Mailer::build(
            &settings,
            row.ca_certificate_pem.as_deref().map(str::as_bytes),
        )
        .map_err(|error| SendFailure {
            message: format!("{org_code}'s SMTP settings: {error}"),
            permanent: false,
        })?;
        self.lock_mailers()
            .insert(org_code.to_owned(), (row, mailer.clone()));
        Ok(mailer)
    }

    fn lock_mailers(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, (OrganisationSmtp, Mailer)>> {
        // A poisoned cache is still a valid cache.
        self.organisation_mailers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn send_webhook(&self, pool: &PgPool, entry: &Claimed) -> Result<(), SendFailure> {
        let endpoint: Option<(Option<String>, String, bool)> = sqlx::query_as(
            "SELECT org_code, secret_name, active FROM webhook_endpoints WHERE id = $1",
        )
        .bind(entry.webhook_endpoint_id)
        .fetch_optional(pool)
        .await
        .map_err(|error| SendFailure {
            message: format!("postgres: {error}"),
            permanent: false,
        })?;
        let Some((owner, secret_name, true)) = endpoint else {
            return Err(SendFailure {
                message: "the webhook endpoint was removed or disabled".to_owned(),
                permanent: true,
            });
        };
        // The endpoint's organisation's own secrets (the deployment's for a global endpoint).
        let secret = self.secrets.get(owner.as_deref(), &secret_name)?;
        let delivery = WebhookDelivery {
            url: &entry.recipient,
            event: &entry.subject,
            body: &entry.body,
            delivery_id: entry.delivery_id,
            attempt: entry.attempts,
        };
        // Signed with the wall clock, not the scheduling clock: receivers check the signature's
        // age against theirs.
        webhook::post(
            &self.http,
            secret.expose_secret().as_bytes(),
            &delivery,
            Utc::now(),
        )
        .await
        .map_err(|message| SendFailure {
            message,
            permanent: false,
        })
    }
}
