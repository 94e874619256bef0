//! Turning new cases into outbox entries. For each case not yet notified, one transaction
//! writes the notification to the outbox and marks the case as queued, so a case is notified
//! once even if careaudit stops half-way.

use crate::AlertsSettings;
use sqlx::PgPool;

#[derive(Debug, sqlx::FromRow)]
struct PendingCase {
    id: i64,
    reference: String,
    org_code: String,
    severity: String,
    privacy_officer_email: Option<String>,
    rules: String,
}

/// The subject and body of the "new case" email. Only the case reference, organisation,
/// severity, rule ids and a link: never a patient identifier, name or record detail.
pub fn render_case_opened(
    reference: &str,
    org_code: &str,
    severity: &str,
    rules: &str,
    base_url: &str,
) -> (String, String) {
    let organisation = if org_code.is_empty() {
        "an unidentified organisation"
    } else {
        org_code
    };
    let subject = format!("[careaudit] New {severity} case {reference} for {organisation}");
    let link = format!("{}/cases/{reference}", base_url.trim_end_matches('/'));
    let body = format!(
        "A new case needs review by a privacy officer of {organisation}.\n\n\
         Case:      {reference}\n\
         Severity:  {severity}\n\
         Rules:     {rules}\n\n\
         Open the case: {link}\n\n\
         This message deliberately contains no patient or record details.\n\
         Sign in to careaudit to see the evidence.\n"
    );
    (subject, body)
}

/// Queues notifications for every case still pending. Returns how many cases were handled.
pub async fn queue_case_notifications(
    pool: &PgPool,
    settings: &AlertsSettings,
) -> Result<usize, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    let pending: Vec<PendingCase> = sqlx::query_as(include_str!("notify/pending_cases.sql"))
        .fetch_all(&mut *transaction)
        .await?;
    for case in &pending {
        let recipient = case
            .privacy_officer_email
            .clone()
            .filter(|address| !address.trim().is_empty())
            .or_else(|| settings.fallback_recipient.clone());
        let (action, detail) = match recipient {
            Some(recipient) => {
                let (subject, body) = render_case_opened(
                    &case.reference,
                    &case.org_code,
                    &case.severity,
                    &case.rules,
                    &settings.base_url,
                );
                sqlx::query(
                    "INSERT INTO notification_outbox (dedupe_key, case_id, channel, recipient, subject, body)
                     VALUES ($1, $2, 'email', $3, $4, $5) ON CONFLICT (dedupe_key) DO NOTHING",
                )
                .bind(format!("case-opened:{}:email:{recipient}", case.id))
                .bind(case.id)
                .bind(&recipient)
                .bind(&subject)
                .bind(&body)
                .execute(&mut *transaction)
                .await?;
                (
                    "notification_queued",
                    serde_json::json!({ "channel": "email", "recipient": recipient }),
                )
            }
            None => (
                "notification_unroutable",
                serde_json::json!({ "reason": "the organisation has no privacy officer address and no fallback is configured" }),
            ),
        };
        sqlx::query("UPDATE cases SET notification_state = 'queued' WHERE id = $1")
            .bind(case.id)
            .execute(&mut *transaction)
            .await?;
        sqlx::query("INSERT INTO case_timeline (case_id, actor, action, detail) VALUES ($1, 'alerts', $2, $3)")
            .bind(case.id)
            .bind(action)
            .bind(detail)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    Ok(pending.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_opened_email_carries_reference_and_link_only() {
        let (subject, body) = render_case_opened(
            "CA-000042",
            "RRV",
            "high",
            "emergency_access",
            "https://careaudit.example/",
        );
        assert_eq!(subject, "[careaudit] New high case CA-000042 for RRV");
        assert!(body.contains("Open the case: https://careaudit.example/cases/CA-000042\n"));
        assert!(body.contains("Rules:     emergency_access\n"));
    }

    #[test]
    fn case_without_organisation_still_reads_well() {
        let (subject, _) = render_case_opened("CA-000001", "", "low", "x", "http://h");
        assert_eq!(
            subject,
            "[careaudit] New low case CA-000001 for an unidentified organisation"
        );
    }
}
