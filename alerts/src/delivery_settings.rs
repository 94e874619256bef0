//! How notifications reach an organisation, as administrators configure it: its own SMTP relay
//! (host, port, TLS mode, user, and the *name* of the password among the organisation's own
//! secrets), its webhook endpoints (URL, the name of the signing secret, which notice kinds),
//! and the
//! operator's view of deliveries that failed for good, with a way to queue them again.

use crate::actor::Actor;
use crate::email::{parse_mailbox, SmtpTls};
use crate::error::AlertsError;
use crate::outbox::OutboxEntry;
use crate::render::NoticeKind;
use crate::secrets::check_name;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

/// An organisation's own SMTP relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct OrganisationSmtp {
    pub host: String,
    pub port: i32,
    /// `none`, `starttls` or `implicit`.
    pub tls: String,
    #[serde(default)]
    pub username: Option<String>,
    /// The name of the password among the organisation's own secrets,
    /// `alerts.organisation_secrets.<ORG>.<name>` (never the password itself).
    #[serde(default)]
    pub password_secret: Option<String>,
    pub from_address: String,
    /// An extra trusted root certificate, PEM.
    #[serde(default)]
    pub ca_certificate_pem: Option<String>,
}

fn require_administrator(actor: &Actor, org_code: &str) -> Result<(), AlertsError> {
    if actor.administers(org_code) {
        Ok(())
    } else {
        Err(AlertsError::Forbidden(format!(
            "only administrators of {org_code} manage how it is notified"
        )))
    }
}

pub async fn put_organisation_smtp(
    pool: &PgPool,
    actor: &Actor,
    org_code: &str,
    smtp: &OrganisationSmtp,
) -> Result<(), AlertsError> {
    require_administrator(actor, org_code)?;
    if smtp.host.trim().is_empty() || !(1..=65535).contains(&smtp.port) {
        return Err(AlertsError::invalid("host and port (1-65535) are required"));
    }
    if SmtpTls::parse(&smtp.tls).is_none() {
        return Err(AlertsError::invalid("tls: one of none, starttls, implicit"));
    }
    if smtp.username.is_some() != smtp.password_secret.is_some() {
        return Err(AlertsError::invalid(
            "username and password_secret go together",
        ));
    }
    if let Some(name) = &smtp.password_secret {
        check_name(Some(org_code), "password_secret", name)?;
    }
    parse_mailbox(&smtp.from_address)
        .map_err(|error| AlertsError::invalid(format!("from_address: {error}")))?;
    if let Some(pem) = &smtp.ca_certificate_pem {
        lettre::transport::smtp::client::Certificate::from_pem(pem.as_bytes())
            .map_err(|error| AlertsError::invalid(format!("ca_certificate_pem: {error}")))?;
    }
    let result = sqlx::query(
        "INSERT INTO organisation_smtp (org_code, host, port, tls, username, password_secret, from_address, ca_certificate_pem)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (org_code) DO UPDATE
         SET host = EXCLUDED.host, port = EXCLUDED.port, tls = EXCLUDED.tls, username = EXCLUDED.username,
             password_secret = EXCLUDED.password_secret, from_address = EXCLUDED.from_address,
             ca_certificate_pem = EXCLUDED.ca_certificate_pem, updated_at = now()",
    )
    .bind(org_code)
    .bind(smtp.host.trim())
    .bind(smtp.port)
    .bind(&smtp.tls)
    .bind(&smtp.username)
    .bind(&smtp.password_secret)
    .bind(&smtp.from_address)
    .bind(&smtp.ca_certificate_pem)
    .execute(pool)
    .await;
    AlertsError::unknown_organisation(result, org_code).map(|_| ())
}

/// Back to the deployment's relay.
pub async fn remove_organisation_smtp(
    pool: &PgPool,
    actor: &Actor,
    org_code: &str,
) -> Result<(), AlertsError> {
    require_administrator(actor, org_code)?;
    sqlx::query("DELETE FROM organisation_smtp WHERE org_code = $1")
        .bind(org_code)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn get_organisation_smtp(
    pool: &PgPool,
    actor: &Actor,
    org_code: &str,
) -> Result<Option<OrganisationSmtp>, AlertsError> {
    require_administrator(actor, org_code)?;
    Ok(sqlx::query_as(
        "SELECT host, port, tls, username, password_secret, from_address, ca_certificate_pem
         FROM organisation_smtp WHERE org_code = $1",
    )
    .bind(org_code)
    .fetch_optional(pool)
    .await?)
}

/// A webhook endpoint: an organisation's, or with `org_code` `None` every organisation's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct WebhookEndpoint {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub org_code: Option<String>,
    pub url: String,
    /// The name of the signing secret: the organisation's own
    /// (`alerts.organisation_secrets.<ORG>.<name>`), or for a global endpoint the deployment's
    /// (`alerts.secrets.<name>`).
    pub secret_name: String,
    /// Notice kinds delivered (`case_opened`, `case_shared`, `escalation`, `breach_reminder`,
    /// `digest`); empty means all of them.
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

const WEBHOOK_KINDS: [NoticeKind; 5] = [
    NoticeKind::CaseOpened,
    NoticeKind::CaseShared,
    NoticeKind::Escalation,
    NoticeKind::BreachReminder,
    NoticeKind::Digest,
];

/// Creates or updates an endpoint (by organisation and URL); returns its id.
pub async fn put_webhook_endpoint(
    pool: &PgPool,
    actor: &Actor,
    endpoint: &WebhookEndpoint,
) -> Result<i64, AlertsError> {
    match &endpoint.org_code {
        Some(org) => require_administrator(actor, org)?,
        None if actor.administers_all() => {}
        None => {
            return Err(AlertsError::Forbidden(
                "only administrators of every organisation add global webhooks".to_owned(),
            ))
        }
    }
    let url = reqwest::Url::parse(&endpoint.url)
        .map_err(|error| AlertsError::invalid(format!("url: {error}")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(AlertsError::invalid("url: http or https"));
    }
    check_name(
        endpoint.org_code.as_deref(),
        "secret_name",
        endpoint.secret_name.trim(),
    )?;
    let known: Vec<&str> = WEBHOOK_KINDS.iter().map(|kind| kind.as_str()).collect();
    if let Some(unknown) = endpoint
        .kinds
        .iter()
        .find(|kind| !known.contains(&kind.as_str()))
    {
        return Err(AlertsError::invalid(format!(
            "kinds: {unknown:?} is not one of {}",
            known.join(", ")
        )));
    }
    let kinds: Vec<String> = if endpoint.kinds.is_empty() {
        known.iter().map(|kind| (*kind).to_owned()).collect()
    } else {
        endpoint.kinds.clone()
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO webhook_endpoints (org_code, url, secret_name, kinds, active) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (org_code, url) DO UPDATE
         SET secret_name = EXCLUDED.secret_name, kinds = EXCLUDED.kinds, active = EXCLUDED.active
         RETURNING id",
    )
    .bind(&endpoint.org_code)
    .bind(url.as_str())
    .bind(endpoint.secret_name.trim())
    .bind(&kinds)
    .bind(endpoint.active)
    .fetch_one(pool)
    .await?;
    Ok(id)
}

pub async fn list_webhook_endpoints(
    pool: &PgPool,
    actor: &Actor,
) -> Result<Vec<WebhookEndpoint>, AlertsError> {
    let all: Vec<WebhookEndpoint> = sqlx::query_as(
        "SELECT id, org_code, url, secret_name, kinds, active FROM webhook_endpoints ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    Ok(all
        .into_iter()
        .filter(|endpoint| match &endpoint.org_code {
            Some(org) => actor.administers(org),
            None => actor.administers_all(),
        })
        .collect())
}

/// Notifications in one delivery state (`failed` by default), newest first, for operators.
pub async fn list_outbox(
    pool: &PgPool,
    actor: &Actor,
    state: &str,
) -> Result<Vec<OutboxEntry>, AlertsError> {
    if !actor.administers_all() {
        return Err(AlertsError::Forbidden(
            "only administrators of every organisation see deliveries".to_owned(),
        ));
    }
    Ok(sqlx::query_as(
        "SELECT o.id, o.kind, o.channel, o.recipient, o.org_code, c.reference AS case_reference, o.state, o.attempts,
                o.last_error, o.delivery_id, o.created_at, o.next_attempt_at, o.sent_at, o.failed_at
         FROM notification_outbox o LEFT JOIN cases c ON c.id = o.case_id
         WHERE o.state = $1 ORDER BY o.id DESC LIMIT 500",
    )
    .bind(state)
    .fetch_all(pool)
    .await?)
}

/// Queues a failed notification again, with a fresh set of attempts and the same delivery id.
pub async fn retry_failed(pool: &PgPool, actor: &Actor, outbox_id: i64) -> Result<(), AlertsError> {
    if !actor.administers_all() {
        return Err(AlertsError::Forbidden(
            "only administrators of every organisation retry deliveries".to_owned(),
        ));
    }
    let updated = sqlx::query(
        "UPDATE notification_outbox SET state = 'pending', attempts = 0, next_attempt_at = now(), failed_at = NULL
         WHERE id = $1 AND state = 'failed'",
    )
    .bind(outbox_id)
    .execute(pool)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(AlertsError::not_found(format!(
            "failed notification {outbox_id}"
        )));
    }
    tracing::info!(outbox_id, actor = %actor.username, "failed notification queued again");
    Ok(())
}
