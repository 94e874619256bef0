//! Reminders of the ICO's 72-hour clock. For each breach log entry still awaiting the reporting
//! decision, the officers who take breach reminders (of every organisation of the case) hear
//! when the clock starts, when each reminder threshold before the deadline passes
//! (`alerts.breach_reminder_hours`, by default 48, 24 and 6 hours left) and when the deadline has
//! passed. Each stage is sent once; when several passed at once (careaudit was down) only the
//! latest is sent. An organisation without an active officer has its reminders sent to the
//! fallback recipient (once per stage, however many of the case's organisations lack one).

use crate::render::{BreachStage, Notice, NoticeKind};
use crate::routing::{enqueue, recipients, timeline_detail, with_fallback, Audience};
use crate::workflow::append_timeline;
use crate::AlertsSettings;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

#[derive(Debug, sqlx::FromRow)]
struct PendingBreach {
    id: i64,
    case_id: i64,
    reference: String,
    org_code: String,
    deadline_at: DateTime<Utc>,
    shared_with: Vec<String>,
}

/// The stage of the clock at `now` for a deadline, given the reminder thresholds in hours.
pub fn breach_stage(
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
    thresholds_hours: &[u32],
) -> BreachStage {
    if now >= deadline {
        return BreachStage::Overdue;
    }
    thresholds_hours
        .iter()
        .copied()
        .filter(|hours| now >= deadline - Duration::hours(i64::from(*hours)))
        .min()
        .map_or(BreachStage::ClockStarted, BreachStage::HoursLeft)
}

fn stage_key(stage: BreachStage) -> String {
    match stage {
        BreachStage::ClockStarted => "started".to_owned(),
        BreachStage::HoursLeft(hours) => format!("{hours}h"),
        BreachStage::Overdue => "overdue".to_owned(),
    }
}

/// Queues the reminders due at `now`. Returns how many notices were new.
pub async fn queue_breach_reminders(
    pool: &PgPool,
    settings: &AlertsSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut transaction = pool.begin().await?;
    let pending: Vec<PendingBreach> =
        sqlx::query_as(include_str!("breach_reminders/pending_breaches.sql"))
            .fetch_all(&mut *transaction)
            .await?;
    let mut total = 0;
    for breach in &pending {
        let stage = breach_stage(breach.deadline_at, now, &settings.breach_reminder_hours);
        let dedupe = format!("breach_reminder:{}:{}", breach.id, stage_key(stage));
        for org in std::iter::once(&breach.org_code).chain(&breach.shared_with) {
            let mut notice = Notice::for_case(
                NoticeKind::BreachReminder,
                org,
                &breach.reference,
                &settings.base_url,
            );
            notice.deadline = Some(breach.deadline_at);
            notice.breach_stage = Some(stage);
            let to = recipients(
                &mut transaction,
                org,
                Audience::BreachReminder,
                NoticeKind::BreachReminder,
            )
            .await?;
            let (to, _) = with_fallback(
                &mut transaction,
                org,
                settings.fallback_recipient.as_deref(),
                to,
            )
            .await?;
            let queued = enqueue(
                &mut transaction,
                &notice,
                &to,
                &dedupe,
                Some(breach.case_id),
                now,
            )
            .await?;
            if queued > 0 {
                append_timeline(
                    &mut transaction,
                    breach.case_id,
                    "alerts",
                    "notification_queued",
                    timeline_detail(&notice, &to, queued),
                )
                .await?;
            }
            total += queued;
        }
    }
    transaction.commit().await?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stage_is_the_most_urgent_threshold_passed() {
        let deadline = DateTime::parse_from_rfc3339("2026-03-05T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let thresholds = [48, 24, 6];
        let cases = [
            (-72, BreachStage::ClockStarted),
            (-49, BreachStage::ClockStarted),
            (-48, BreachStage::HoursLeft(48)),
            (-25, BreachStage::HoursLeft(48)),
            (-24, BreachStage::HoursLeft(24)),
            (-5, BreachStage::HoursLeft(6)),
            (0, BreachStage::Overdue),
            (30, BreachStage::Overdue),
        ];
        for (hours, expected) in cases {
            let now = deadline + Duration::hours(hours);
            assert_eq!(
                breach_stage(deadline, now, &thresholds),
                expected,
                "{hours} h from the deadline"
            );
        }
        assert_eq!(
            breach_stage(deadline, deadline - Duration::hours(1), &[]),
            BreachStage::ClockStarted
        );
    }
}
