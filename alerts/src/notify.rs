//! Routing new and newly shared cases. For each case not yet notified, one transaction applies
//! the joint-case rule, writes the notifications for the owning organisation's officers and
//! webhooks to the outbox and marks the case queued; shares not yet notified get the same for
//! the second organisation. So a case is notified once even if careaudit stops half-way. An
//! organisation without an active officer also reaches the fallback recipient, webhooks or not.

use crate::render::{Notice, NoticeKind};
use crate::routing::{enqueue, recipients, timeline_detail, with_fallback, Audience};
use crate::sharing::apply_joint_rule;
use crate::workflow::append_timeline;
use crate::AlertsSettings;
use chrono::{DateTime, Utc};
use domain::Severity;
use sqlx::{PgPool, Postgres, Transaction};

#[derive(Debug, sqlx::FromRow)]
struct PendingCase {
    id: i64,
    reference: String,
    org_code: String,
    severity: String,
    rules: Vec<String>,
}

#[derive(Debug, sqlx::FromRow)]
struct PendingShare {
    case_id: i64,
    org_code: String,
    reference: String,
    severity: String,
    rules: Vec<String>,
}

/// Queues notifications for every case still pending. Returns how many cases were handled.
pub async fn queue_case_notifications(
    pool: &PgPool,
    clickhouse: &clickhouse::Client,
    settings: &AlertsSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut transaction = pool.begin().await?;
    let pending: Vec<PendingCase> = sqlx::query_as(include_str!("notify/pending_cases.sql"))
        .fetch_all(&mut *transaction)
        .await?;
    let joint_rule_in_use: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM organisation_data_sources)")
            .fetch_one(&mut *transaction)
            .await?;
    for case in &pending {
        if joint_rule_in_use {
            let nodes = source_nodes(&mut transaction, clickhouse, case.id).await?;
            apply_joint_rule(&mut transaction, case.id, &case.org_code, &nodes).await?;
        }
        let severity: Severity = case.severity.parse().map_err(anyhow::Error::msg)?;
        let mut notice = Notice::for_case(
            NoticeKind::CaseOpened,
            &case.org_code,
            &case.reference,
            &settings.base_url,
        );
        notice.severity = Some(severity);
        notice.rules = case.rules.clone();
        let to = recipients(
            &mut transaction,
            &case.org_code,
            Audience::CaseAlert(severity),
            NoticeKind::CaseOpened,
        )
        .await?;
        let (to, has_officers) = with_fallback(
            &mut transaction,
            &case.org_code,
            settings.fallback_recipient.as_deref(),
            to,
        )
        .await?;
        let (action, detail) = if !to.is_empty() {
            let queued = enqueue(
                &mut transaction,
                &notice,
                &to,
                &format!("case_opened:{}", case.id),
                Some(case.id),
                now,
            )
            .await?;
            let mut detail = timeline_detail(&notice, &to, queued);
            if !has_officers {
                detail["without_officers"] = serde_json::Value::Bool(true);
                detail["fallback"] = serde_json::Value::Bool(settings.fallback_recipient.is_some());
            }
            ("notification_queued", detail)
        } else if has_officers {
            (
                "notification_deferred",
                serde_json::json!({ "reason": "no officer of the organisation takes immediate alerts at this severity; the case is in their digest" }),
            )
        } else {
            (
                "notification_unroutable",
                serde_json::json!({ "reason": "the organisation has no privacy officer and no fallback is configured" }),
            )
        };
        sqlx::query("UPDATE cases SET notification_state = 'queued' WHERE id = $1")
            .bind(case.id)
            .execute(&mut *transaction)
            .await?;
        append_timeline(&mut transaction, case.id, "alerts", action, detail).await?;
    }
    transaction.commit().await?;
    Ok(pending.len())
}

/// The exchange nodes that served the events of a case's findings (the collector's
/// provenance in ClickHouse), read by the patients and time range of the findings so that
/// ClickHouse uses its primary key rather than scanning every event.
async fn source_nodes(
    transaction: &mut Transaction<'_, Postgres>,
    clickhouse: &clickhouse::Client,
    case_id: i64,
) -> anyhow::Result<Vec<String>> {
    let events: Vec<(String, String, DateTime<Utc>)> =
        sqlx::query_as("SELECT event_id, patient_id, occurred_at FROM findings WHERE case_id = $1")
            .bind(case_id)
            .fetch_all(&mut **transaction)
            .await?;
    let (Some(first), Some(last)) = (
        events.iter().map(|(_, _, at)| *at).min(),
        events.iter().map(|(_, _, at)| *at).max(),
    ) else {
        // No findings (ClickHouse 18.16 cannot type an empty array literal either).
        return Ok(Vec::new());
    };
    // ClickHouse keeps whole seconds in `occurred_at` (the milliseconds apart).
    let seconds = |at: DateTime<Utc>| u32::try_from(at.timestamp()).unwrap_or(0);
    let (event_ids, patient_ids): (Vec<String>, Vec<String>) = events
        .into_iter()
        .map(|(event_id, patient_id, _)| (event_id, patient_id))
        .unzip();
    let nodes = clickhouse
        .query(include_str!("notify/case_source_nodes.sql"))
        .bind(patient_ids)
        .bind(seconds(first))
        .bind(seconds(last))
        .bind(event_ids)
        .fetch_all::<String>()
        .await?;
    Ok(nodes)
}

/// Queues the "shared with you" notifications of shares not yet notified.
pub async fn queue_share_notifications(
    pool: &PgPool,
    settings: &AlertsSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut transaction = pool.begin().await?;
    let pending: Vec<PendingShare> = sqlx::query_as(include_str!("notify/pending_shares.sql"))
        .fetch_all(&mut *transaction)
        .await?;
    for share in &pending {
        let severity: Severity = share.severity.parse().map_err(anyhow::Error::msg)?;
        let mut notice = Notice::for_case(
            NoticeKind::CaseShared,
            &share.org_code,
            &share.reference,
            &settings.base_url,
        );
        notice.severity = Some(severity);
        notice.rules = share.rules.clone();
        let to = recipients(
            &mut transaction,
            &share.org_code,
            Audience::CaseAlert(severity),
            NoticeKind::CaseShared,
        )
        .await?;
        // A second organisation without officers: the central IG team hears of the share.
        let (to, _) = with_fallback(
            &mut transaction,
            &share.org_code,
            settings.fallback_recipient.as_deref(),
            to,
        )
        .await?;
        let dedupe = format!("case_shared:{}:{}", share.case_id, share.org_code);
        let queued = enqueue(
            &mut transaction,
            &notice,
            &to,
            &dedupe,
            Some(share.case_id),
            now,
        )
        .await?;
        sqlx::query("UPDATE case_shares SET notified = true WHERE case_id = $1 AND org_code = $2")
            .bind(share.case_id)
            .bind(&share.org_code)
            .execute(&mut *transaction)
            .await?;
        append_timeline(
            &mut transaction,
            share.case_id,
            "alerts",
            "notification_queued",
            timeline_detail(&notice, &to, queued),
        )
        .await?;
    }
    transaction.commit().await?;
    Ok(pending.len())
}
