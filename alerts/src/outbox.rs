//! Delivering the outbox. Entries are claimed with a lease and a claim token (two workers never
//! send the same entry at once, a crashed worker's entries come back when the lease ends, and
//! only the lease holder's mark counts), sent by email or webhook, then marked sent. Transient
//! failures are retried with exponential backoff until `max_attempts`; permanent ones (an SMTP
//! 5xx, a disabled endpoint) and exhausted ones are marked failed for an operator.
//!
//! The one gap no sender can close is a crash after the receiver accepted a message and before
//! it was marked sent: the entry is sent again after the lease, with the same delivery id (the
//! email's Message-ID, the webhook's `X-Careaudit-Delivery`), so the receiver can recognise and
//! drop the repeat. Receivers that deduplicate on it see every notification exactly once.

use crate::channels::Channels;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

/// Entries claimed per round; small, so a round of slow sends stays well inside the lease.
const BATCH_SIZE: i64 = 10;

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Claimed {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    pub kind: String,
    pub org_code: Option<String>,
    pub delivery_id: uuid::Uuid,
    pub webhook_endpoint_id: Option<i64>,
}

/// Why a send failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendFailure {
    pub message: String,
    pub permanent: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    /// Sent, but the lease had passed to another worker before the mark (a possible repeat).
    pub lease_lost: usize,
}

/// How deliveries are paced.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryLimits {
    pub max_attempts: i32,
    pub lease_seconds: f64,
}

/// Seconds to wait before attempt `attempts + 1`: 5 s doubling, at most an hour.
pub(crate) fn backoff_seconds(attempts: i32) -> f64 {
    let exponent = attempts.clamp(1, 20) - 1;
    (5.0 * 2_f64.powi(exponent)).min(3600.0)
}

/// Delivers every entry due at `now` (one claimed batch after another).
pub async fn deliver_due(
    pool: &PgPool,
    channels: &Channels,
    now: DateTime<Utc>,
    limits: DeliveryLimits,
) -> Result<DeliveryReport, sqlx::Error> {
    let mut report = DeliveryReport::default();
    loop {
        let token = uuid::Uuid::new_v4();
        let claimed: Vec<Claimed> = sqlx::query_as(include_str!("outbox/claim_due.sql"))
            .bind(now)
            .bind(limits.lease_seconds)
            .bind(BATCH_SIZE)
            .bind(token)
            .fetch_all(pool)
            .await?;
        if claimed.is_empty() {
            return Ok(report);
        }
        for entry in &claimed {
            let outcome = channels.send(pool, entry).await;
            record_outcome(pool, entry, token, outcome, now, limits, &mut report).await?;
        }
    }
}

async fn record_outcome(
    pool: &PgPool,
    entry: &Claimed,
    token: uuid::Uuid,
    outcome: Result<(), SendFailure>,
    now: DateTime<Utc>,
    limits: DeliveryLimits,
    report: &mut DeliveryReport,
) -> Result<(), sqlx::Error> {
    let (id, attempts, kind) = (entry.id, entry.attempts, entry.kind.as_str());
    let query = match &outcome {
        Ok(()) => sqlx::query(
            "UPDATE notification_outbox SET state = 'sent', sent_at = $3, locked_until = NULL, claim_token = NULL,
                    last_error = NULL
             WHERE id = $1 AND claim_token = $2",
        )
        .bind(id)
        .bind(token)
        .bind(now),
        Err(failure) if failure.permanent || attempts >= limits.max_attempts => {
            tracing::error!(outbox_id = id, kind, attempts, error = %failure.message, "notification failed permanently");
            sqlx::query(
                "UPDATE notification_outbox SET state = 'failed', failed_at = $3, locked_until = NULL, claim_token = NULL,
                        last_error = $4
                 WHERE id = $1 AND claim_token = $2",
            )
            .bind(id)
            .bind(token)
            .bind(now)
            .bind(failure.message.clone())
        }
        Err(failure) => {
            let retry_at = now + Duration::milliseconds((backoff_seconds(attempts) * 1000.0) as i64);
            tracing::warn!(outbox_id = id, kind, attempts, error = %failure.message, %retry_at, "notification failed; will retry");
            sqlx::query(
                "UPDATE notification_outbox SET locked_until = NULL, claim_token = NULL, last_error = $3,
                        next_attempt_at = $4
                 WHERE id = $1 AND claim_token = $2",
            )
            .bind(id)
            .bind(token)
            .bind(failure.message.clone())
            .bind(retry_at)
        }
    };
    let marked = query.execute(pool).await?.rows_affected() == 1;
    match (&outcome, marked) {
        (_, false) => {
            tracing::warn!(
                outbox_id = id,
                kind,
                "the lease passed to another worker before this outcome was recorded"
            );
            report.lease_lost += 1;
        }
        (Ok(()), true) => report.sent += 1,
        (Err(failure), true) if failure.permanent || attempts >= limits.max_attempts => {
            report.failed += 1
        }
        (Err(_), true) => report.retried += 1,
    }
    Ok(())
}

/// An outbox entry as operators see it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct OutboxEntry {
    pub id: i64,
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub org_code: Option<String>,
    pub case_reference: Option<String>,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub delivery_id: uuid::Uuid,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::backoff_seconds;

    #[test]
    fn backoff_doubles_from_five_seconds_up_to_an_hour() {
        let cases = [
            (1, 5.0),
            (2, 10.0),
            (3, 20.0),
            (10, 2560.0),
            (11, 3600.0),
            (100, 3600.0),
        ];
        for (attempts, expected) in cases {
            assert_eq!(backoff_seconds(attempts), expected, "attempt {attempts}");
        }
    }
}
