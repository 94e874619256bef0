//! Digests on cron schedules (`alerts.daily_digest`, `alerts.weekly_digest`, with seconds, in
//! local time: Europe/London, summer time included). Each schedule's last fire time is stored, so after a restart a period is neither
//! skipped nor sent twice; when several fire times passed while careaudit was down, one digest
//! covers them all. Officers whose `digest` preference names the schedule get, per
//! organisation, the counts of open cases, the period's new cases and the breach reports
//! awaiting a decision, as references and links only. Organisations with nothing open and
//! nothing new get no digest. The daily digest of an organisation with open cases and no
//! active officer goes to the fallback recipient, when one is configured.

use crate::local_time::{from_local, timezone, to_local, LOCAL_TIMEZONE};
use crate::render::{case_link, CaseLine, Notice, NoticeKind};
use crate::routing::{enqueue, recipients, Audience, Recipient};
use crate::AlertsSettings;
use chrono::{DateTime, Utc};
use domain::Severity;
use sqlx::{PgPool, Postgres, Transaction};
use std::str::FromStr;

/// A digest period and its schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Daily,
    Weekly,
}

impl Period {
    fn name(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
        }
    }

    fn audience(self) -> Audience {
        match self {
            Self::Daily => Audience::DailyDigest,
            Self::Weekly => Audience::WeeklyDigest,
        }
    }

    fn expression(self, settings: &AlertsSettings) -> &str {
        match self {
            Self::Daily => &settings.daily_digest,
            Self::Weekly => &settings.weekly_digest,
        }
    }
}

/// The latest fire time of `schedule`, read as wall-clock times in [`LOCAL_TIMEZONE`], in
/// `(after, now]`, if any. (In the hour the clocks go back, a fire time in it counts once.)
pub fn latest_fire(
    schedule: &cron::Schedule,
    after: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    let tz = timezone().map_err(anyhow::Error::msg)?;
    let wall_clock = |at: DateTime<Utc>| {
        to_local(&tz, at)
            .map(|local| local.and_utc())
            .ok_or_else(|| anyhow::anyhow!("{at} has no local time"))
    };
    let (after_local, now_local) = (wall_clock(after)?, wall_clock(now)?);
    let Some(fire_local) = schedule
        .after(&after_local)
        .take_while(|fire| *fire <= now_local)
        .last()
    else {
        return Ok(None);
    };
    let fire = from_local(&tz, fire_local.naive_utc())
        .ok_or_else(|| anyhow::anyhow!("{fire_local} has no instant in {LOCAL_TIMEZONE}"))?;
    // A fire time in the skipped spring hour maps past it; never past `now`.
    Ok(Some(fire.min(now)).filter(|fire| *fire > after))
}

#[derive(Debug, sqlx::FromRow)]
struct CaseRow {
    reference: String,
    severity: String,
    state: String,
    opened_at: DateTime<Utc>,
    unassigned: bool,
    breach_deadline: Option<DateTime<Utc>>,
}

/// Queues the digests whose schedule fired by `now`. Returns how many notices were new.
pub async fn queue_digests(
    pool: &PgPool,
    settings: &AlertsSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut total = 0;
    for period in [Period::Daily, Period::Weekly] {
        let schedule = cron::Schedule::from_str(period.expression(settings)).map_err(|error| {
            anyhow::anyhow!(
                "the {} digest schedule is not a valid cron expression: {error}",
                period.name()
            )
        })?;
        let mut transaction = pool.begin().await?;
        let key = format!("digest_{}", period.name());
        let last: Option<DateTime<Utc>> = sqlx::query_scalar(
            "SELECT last_fired_at FROM notification_schedules WHERE name = $1 FOR UPDATE",
        )
        .bind(&key)
        .fetch_optional(&mut *transaction)
        .await?;
        let Some(last) = last else {
            // First run: start counting from now rather than sending a digest of all history.
            sqlx::query("INSERT INTO notification_schedules (name, last_fired_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(&key)
                .bind(now)
                .execute(&mut *transaction)
                .await?;
            transaction.commit().await?;
            continue;
        };
        let Some(fire) = latest_fire(&schedule, last, now)? else {
            continue;
        };
        let organisations: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT org_code FROM privacy_officers WHERE active AND digest = $1 ORDER BY org_code",
        )
        .bind(period.name())
        .fetch_all(&mut *transaction)
        .await?;
        for org in &organisations {
            let to =
                recipients(&mut transaction, org, period.audience(), NoticeKind::Digest).await?;
            total += queue_one(
                &mut transaction,
                settings,
                period,
                org,
                &to,
                (last, fire),
                now,
            )
            .await?;
        }
        if let (Period::Daily, Some(fallback)) = (period, &settings.fallback_recipient) {
            // Organisations with no active officer: the central IG team gets their daily digest.
            let without_officers: Vec<String> =
                sqlx::query_scalar(include_str!("digest/organisations_without_officers.sql"))
                    .fetch_all(&mut *transaction)
                    .await?;
            for org in &without_officers {
                let to = [Recipient::Email(fallback.clone())];
                total += queue_one(
                    &mut transaction,
                    settings,
                    period,
                    org,
                    &to,
                    (last, fire),
                    now,
                )
                .await?;
            }
        }
        sqlx::query("UPDATE notification_schedules SET last_fired_at = $2 WHERE name = $1")
            .bind(&key)
            .bind(fire)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
    }
    Ok(total)
}

async fn queue_one(
    transaction: &mut Transaction<'_, Postgres>,
    settings: &AlertsSettings,
    period: Period,
    org: &str,
    to: &[Recipient],
    (since, fire): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let cases: Vec<CaseRow> = sqlx::query_as(include_str!("digest/organisation_cases.sql"))
        .bind(org)
        .bind(since)
        .bind(fire)
        .fetch_all(&mut **transaction)
        .await?;
    let mut notice = Notice::new(NoticeKind::Digest, org);
    notice.period = Some(period.name().to_owned());
    notice.link = Some(format!("{}/cases", settings.base_url.trim_end_matches('/')));
    for case in &cases {
        let severity = Severity::from_str(&case.severity).map_err(anyhow::Error::msg)?;
        let line = CaseLine {
            reference: case.reference.clone(),
            severity,
            state: case.state.clone(),
            link: case_link(&settings.base_url, &case.reference),
            deadline: case.breach_deadline,
        };
        if case.state != "closed" {
            notice.open_cases += 1;
            if case.unassigned && severity >= Severity::High {
                notice.open_unassigned_high += 1;
            }
        }
        if case.breach_deadline.is_some() {
            notice.pending_breaches.push(line.clone());
        }
        if case.opened_at > since && case.opened_at <= fire {
            notice.new_cases.push(line);
        }
    }
    if notice.open_cases == 0 && notice.new_cases.is_empty() && notice.pending_breaches.is_empty() {
        return Ok(0);
    }
    let dedupe = format!("digest:{}:{}:{org}", period.name(), fire.to_rfc3339());
    Ok(enqueue(transaction, &notice, to, &dedupe, None, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn the_latest_fire_time_covers_missed_periods_once() {
        let daily = cron::Schedule::from_str("0 0 7 * * *").expect("cron");
        let weekly = cron::Schedule::from_str("0 0 7 * * Mon").expect("cron");
        let cases = [
            (&daily, "2026-03-02T06:59:00Z", "2026-03-02T06:59:59Z", None),
            (
                &daily,
                "2026-03-02T06:59:00Z",
                "2026-03-02T07:00:00Z",
                Some("2026-03-02T07:00:00Z"),
            ),
            (&daily, "2026-03-02T07:00:00Z", "2026-03-02T12:00:00Z", None),
            (
                &daily,
                "2026-03-02T07:00:00Z",
                "2026-03-05T09:00:00Z",
                Some("2026-03-05T07:00:00Z"),
            ),
            // 2026-03-02 is a Monday.
            (
                &weekly,
                "2026-03-02T07:00:00Z",
                "2026-03-08T23:00:00Z",
                None,
            ),
            (
                &weekly,
                "2026-03-02T07:00:00Z",
                "2026-03-09T07:00:01Z",
                Some("2026-03-09T07:00:00Z"),
            ),
            // Summer time: 07:00 in London is 06:00 UTC.
            (&daily, "2026-06-15T05:00:00Z", "2026-06-15T05:59:59Z", None),
            (
                &daily,
                "2026-06-15T05:00:00Z",
                "2026-06-15T06:00:00Z",
                Some("2026-06-15T06:00:00Z"),
            ),
            // Across the clocks going forward (29 March 2026): the Monday after is at 06:00 UTC.
            (
                &weekly,
                "2026-03-28T07:00:00Z",
                "2026-03-30T06:30:00Z",
                Some("2026-03-30T06:00:00Z"),
            ),
        ];
        for (schedule, after, now, expected) in cases {
            assert_eq!(
                latest_fire(schedule, at(after), at(now)).expect("local time"),
                expected.map(at),
                "{after} .. {now}"
            );
        }
    }
}
