//! Delivering the outbox. An entry is claimed with a lease (so two workers never send the same
//! entry at once and a crashed worker's entries come back), sent, then marked sent. Failures are
//! retried with exponential backoff until `max_attempts`, then marked failed for an operator.
//!
//! The one gap no outbox can close is a crash after the SMTP server accepted a message and
//! before it was marked sent: the message is sent again after the lease, with the same
//! Message-ID, so mail systems and readers can recognise the repeat.

use crate::email::Mailer;
use sqlx::PgPool;

/// How long a claimed entry stays reserved for the worker that claimed it, in seconds.
const LEASE_SECONDS: f64 = 60.0;
const BATCH_SIZE: i64 = 50;

#[derive(Debug, sqlx::FromRow)]
struct Claimed {
    id: i64,
    channel: String,
    recipient: String,
    subject: String,
    body: String,
    attempts: i32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Seconds to wait before attempt `attempts + 1`: 5 s doubling, at most an hour.
fn backoff_seconds(attempts: i32) -> f64 {
    let exponent = attempts.clamp(1, 20) - 1;
    (5.0 * 2_f64.powi(exponent)).min(3600.0)
}

pub async fn deliver_due(
    pool: &PgPool,
    mailer: &Mailer,
    max_attempts: i32,
) -> Result<DeliveryReport, sqlx::Error> {
    let claimed: Vec<Claimed> = sqlx::query_as(include_str!("outbox/claim_due.sql"))
        .bind(LEASE_SECONDS)
        .bind(BATCH_SIZE)
        .fetch_all(pool)
        .await?;
    let mut report = DeliveryReport::default();
    for entry in claimed {
        let outcome = match entry.channel.as_str() {
            "email" => mailer
                .send(
                    &entry.recipient,
                    &entry.subject,
                    &entry.body,
                    &format!("careaudit-outbox-{}", entry.id),
                )
                .await
                .map_err(|error| error.to_string()),
            other => Err(format!("channel {other} is not supported yet")),
        };
        match outcome {
            Ok(()) => {
                sqlx::query("UPDATE notification_outbox SET state = 'sent', sent_at = now(), locked_until = NULL, last_error = NULL WHERE id = $1")
                    .bind(entry.id)
                    .execute(pool)
                    .await?;
                report.sent += 1;
            }
            Err(error) if entry.attempts >= max_attempts => {
                tracing::error!(outbox_id = entry.id, attempts = entry.attempts, %error, "notification failed permanently");
                sqlx::query("UPDATE notification_outbox SET state = 'failed', locked_until = NULL, last_error = $2 WHERE id = $1")
                    .bind(entry.id)
                    .bind(&error)
                    .execute(pool)
                    .await?;
                report.failed += 1;
            }
            Err(error) => {
                tracing::warn!(outbox_id = entry.id, attempts = entry.attempts, %error, "notification failed; will retry");
                sqlx::query(
                    "UPDATE notification_outbox SET locked_until = NULL, last_error = $2,
                            next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
                )
                .bind(entry.id)
                .bind(&error)
                .bind(backoff_seconds(entry.attempts))
                .execute(pool)
                .await?;
                report.retried += 1;
            }
        }
    }
    Ok(report)
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
