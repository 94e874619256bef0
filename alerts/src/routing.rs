//! Who receives a notification, and writing it to the outbox. A notification for an
//! organisation goes to those of its active privacy officers whose preferences ask for it,
//! and to the webhook endpoints subscribed to its kind (the organisation's own and the
//! operator's global ones). Each outbox row has a dedupe key, so queuing the same notice twice
//! (a retried job, an officer of two organisations) writes it once.
//!
//! An organisation without an active privacy officer has nobody of its own to hear about a
//! case, whatever webhooks it has (a webhook feeds a system, not a person), so its case,
//! share, escalation and breach notices also go to the fallback recipient (the central IG
//! team) when one is configured: [`with_fallback`] is the one place that decides it.

use crate::render::{Notice, NoticeKind};
use chrono::{DateTime, Utc};
use domain::Severity;
use sqlx::{Postgres, Transaction};

/// Which officer preference selects the recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    /// New and shared cases of at least the officer's minimum severity.
    CaseAlert(Severity),
    Escalation,
    BreachReminder,
    DailyDigest,
    WeeklyDigest,
}

impl Audience {
    fn key(self) -> &'static str {
        match self {
            Self::CaseAlert(_) => "case_alert",
            Self::Escalation => "escalation",
            Self::BreachReminder => "breach_reminder",
            Self::DailyDigest => "digest_daily",
            Self::WeeklyDigest => "digest_weekly",
        }
    }
}

/// One destination of a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Recipient {
    Email(String),
    Webhook { endpoint_id: i64, url: String },
}

/// The officers and webhooks of `org_code` that `audience` reaches for a notice of `kind`.
pub(crate) async fn recipients(
    transaction: &mut Transaction<'_, Postgres>,
    org_code: &str,
    audience: Audience,
    kind: NoticeKind,
) -> Result<Vec<Recipient>, sqlx::Error> {
    let severity = match audience {
        Audience::CaseAlert(severity) => severity,
        _ => Severity::Low,
    };
    let emails: Vec<String> = sqlx::query_scalar(include_str!("routing/officer_addresses.sql"))
        .bind(org_code)
        .bind(audience.key())
        .bind(severity.as_str())
        .fetch_all(&mut **transaction)
        .await?;
    let webhooks: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, url FROM webhook_endpoints
         WHERE active AND (org_code = $1 OR org_code IS NULL) AND $2 = ANY(kinds) ORDER BY id",
    )
    .bind(org_code)
    .bind(kind.as_str())
    .fetch_all(&mut **transaction)
    .await?;
    Ok(emails
        .into_iter()
        .map(Recipient::Email)
        .chain(
            webhooks
                .into_iter()
                .map(|(endpoint_id, url)| Recipient::Webhook { endpoint_id, url }),
        )
        .collect())
}

/// Whether `org_code` has at least one active privacy officer (whatever their preferences).
pub(crate) async fn has_active_officer(
    transaction: &mut Transaction<'_, Postgres>,
    org_code: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM privacy_officers WHERE org_code = $1 AND active)",
    )
    .bind(org_code)
    .fetch_one(&mut **transaction)
    .await
}

/// Who a human-facing notice for `org_code` reaches, and whether the organisation has an active
/// officer. When it has none, `fallback` (if configured) is added to `to`, in addition to any
/// webhook already there.
pub(crate) async fn with_fallback(
    transaction: &mut Transaction<'_, Postgres>,
    org_code: &str,
    fallback: Option<&str>,
    mut to: Vec<Recipient>,
) -> Result<(Vec<Recipient>, bool), sqlx::Error> {
    let has_officers = has_active_officer(transaction, org_code).await?;
    if !has_officers {
        if let Some(fallback) = fallback {
            let fallback = Recipient::Email(fallback.to_owned());
            if !to.contains(&fallback) {
                to.push(fallback);
            }
        }
    }
    Ok((to, has_officers))
}

/// Writes `notice` to the outbox once per recipient. `dedupe` names the occasion (e.g.
/// `case_opened:42`); the recipient is appended, so a repeat of the same occasion is ignored.
/// Returns how many rows were new.
pub(crate) async fn enqueue(
    transaction: &mut Transaction<'_, Postgres>,
    notice: &Notice,
    recipients: &[Recipient],
    dedupe: &str,
    case_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let (subject, body) = notice.email();
    let mut queued = 0;
    for recipient in recipients {
        let delivery_id = uuid::Uuid::new_v4();
        let (channel, address, endpoint, subject, body, key) = match recipient {
            Recipient::Email(address) => (
                "email",
                address.clone(),
                None,
                subject.clone(),
                body.clone(),
                format!("{dedupe}:email:{}", address.to_lowercase()),
            ),
            Recipient::Webhook { endpoint_id, url } => (
                "webhook",
                url.clone(),
                Some(*endpoint_id),
                notice.event(),
                notice.webhook_payload(delivery_id).to_string(),
                format!("{dedupe}:webhook:{endpoint_id}"),
            ),
        };
        let inserted = sqlx::query(
            "INSERT INTO notification_outbox (dedupe_key, case_id, channel, recipient, subject, body, kind, org_code,
                                              delivery_id, webhook_endpoint_id, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(key)
        .bind(case_id)
        .bind(channel)
        .bind(address)
        .bind(subject)
        .bind(body)
        .bind(notice.kind.as_str())
        .bind(&notice.organisation)
        .bind(delivery_id)
        .bind(endpoint)
        .bind(now)
        .execute(&mut **transaction)
        .await?
        .rows_affected();
        queued += inserted as usize;
    }
    Ok(queued)
}

/// How a queued notice is described on a case timeline: kind, organisation and how many
/// recipients per channel (addresses are in the outbox).
pub(crate) fn timeline_detail(
    notice: &Notice,
    recipients: &[Recipient],
    queued: usize,
) -> serde_json::Value {
    let emails = recipients
        .iter()
        .filter(|r| matches!(r, Recipient::Email(_)))
        .count();
    serde_json::json!({
        "kind": notice.kind.as_str(),
        "organisation": notice.organisation,
        "emails": emails,
        "webhooks": recipients.len() - emails,
        "queued": queued,
    })
}
