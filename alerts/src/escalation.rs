//! Escalation: a high- or critical-severity case still new and unassigned after the
//! organisation's escalation time (`organisations.escalation_minutes`, else
//! `alerts.escalation_minutes`) is escalated once, to the officers of its organisations who take
//! escalations and to the fallback recipient (the central IG team) when one is configured.

use crate::render::{Notice, NoticeKind};
use crate::routing::{enqueue, recipients, timeline_detail, Audience, Recipient};
use crate::workflow::append_timeline;
use crate::AlertsSettings;
use chrono::{DateTime, Utc};
use domain::Severity;
use sqlx::PgPool;

#[derive(Debug, sqlx::FromRow)]
struct OverdueCase {
    id: i64,
    reference: String,
    org_code: String,
    severity: String,
    opened_at: DateTime<Utc>,
    rules: Vec<String>,
    shared_with: Vec<String>,
}

/// Escalates every case overdue at `now`. Returns how many were escalated.
pub async fn escalate_overdue(
    pool: &PgPool,
    settings: &AlertsSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut transaction = pool.begin().await?;
    let overdue: Vec<OverdueCase> = sqlx::query_as(include_str!("escalation/overdue_cases.sql"))
        .bind(settings.escalation_minutes)
        .bind(now)
        .fetch_all(&mut *transaction)
        .await?;
    for case in &overdue {
        let severity: Severity = case.severity.parse().map_err(anyhow::Error::msg)?;
        let waited = (now - case.opened_at).num_minutes();
        for org in std::iter::once(&case.org_code).chain(&case.shared_with) {
            let mut notice = Notice::for_case(
                NoticeKind::Escalation,
                org,
                &case.reference,
                &settings.base_url,
            );
            notice.severity = Some(severity);
            notice.rules = case.rules.clone();
            notice.waited_minutes = Some(waited);
            let mut to = recipients(
                &mut transaction,
                org,
                Audience::Escalation,
                NoticeKind::Escalation,
            )
            .await?;
            if let Some(fallback) = settings
                .fallback_recipient
                .as_ref()
                .filter(|_| org == &case.org_code)
            {
                to.push(Recipient::Email(fallback.clone()));
            }
            let queued = enqueue(
                &mut transaction,
                &notice,
                &to,
                &format!("escalation:{}", case.id),
                Some(case.id),
                now,
            )
            .await?;
            append_timeline(
                &mut transaction,
                case.id,
                "alerts",
                "notification_queued",
                timeline_detail(&notice, &to, queued),
            )
            .await?;
        }
        sqlx::query("UPDATE cases SET escalated_at = $2 WHERE id = $1")
            .bind(case.id)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        append_timeline(
            &mut transaction,
            case.id,
            "alerts",
            "escalated",
            serde_json::json!({ "waited_minutes": waited }),
        )
        .await?;
    }
    transaction.commit().await?;
    Ok(overdue.len())
}
