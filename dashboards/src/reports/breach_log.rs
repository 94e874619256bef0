//! The breach log report, built from alerts' breach log (`breach_records`), not from case
//! dispositions: every case marked as a potential personal data breach, with when the
//! organisation became aware, the ICO's 72-hour deadline and whether it was met, and the
//! decision (reported with the ICO's reference, or not reported with the documented reason).
//! Near misses stay in the log, as the ICO expects.

use super::{month_range, section, Report};
use crate::error::DashboardError;
use crate::roles::scope_codes;
use alerts::Scope;
use chrono::{DateTime, Utc};

#[derive(Debug, sqlx::FromRow)]
struct BreachRow {
    reference: String,
    org_code: String,
    aware_at: DateTime<Utc>,
    deadline_at: DateTime<Utc>,
    decision: String,
    ico_reference: String,
    reported_at: Option<DateTime<Utc>>,
    not_reported_reason: String,
    what_happened: String,
    data_affected: String,
    people_affected: Option<i32>,
    likely_effects: String,
    remedial_action: String,
    state: String,
    disposition: String,
}

fn minutes(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M").to_string()
}

/// Whether the 72-hour deadline was met, as of `now`.
fn deadline_status(row: &BreachRow, now: DateTime<Utc>) -> String {
    let late = |at: DateTime<Utc>| {
        let late = at - row.deadline_at;
        format!(
            "missed by {} h {:02} min",
            late.num_hours(),
            late.num_minutes() % 60
        )
    };
    match (row.decision.as_str(), row.reported_at) {
        ("reported", Some(at)) if at <= row.deadline_at => "met".to_owned(),
        ("reported", Some(at)) => late(at),
        ("not_reported", _) => "not reported (decision recorded)".to_owned(),
        _ if now > row.deadline_at => format!("overdue: {}", late(now)),
        _ => {
            let left = row.deadline_at - now;
            format!(
                "open: {} h {:02} min left",
                left.num_hours(),
                left.num_minutes() % 60
            )
        }
    }
}

/// The breach log over a month of awareness (`YYYY-MM`), or all of it.
pub async fn breach_log(
    pool: &sqlx::PgPool,
    scope: &Scope,
    month: Option<&str>,
) -> Result<Report, DashboardError> {
    let (start, end, label) = match month {
        Some(text) if !text.trim().is_empty() => month_range(Some(text))?,
        _ => (
            DateTime::<Utc>::UNIX_EPOCH,
            Utc::now() + chrono::Duration::days(1),
            "all time".to_owned(),
        ),
    };
    let rows: Vec<BreachRow> = sqlx::query_as(include_str!("breach_log.sql"))
        .bind(scope_codes(scope))
        .bind(start)
        .bind(end)
        .fetch_all(pool)
        .await?;
    let now = Utc::now();
    let count = |decision: &str| rows.iter().filter(|r| r.decision == decision).count();
    let overdue = rows
        .iter()
        .filter(|r| r.decision == "pending" && now > r.deadline_at)
        .count();
    let summary = vec![vec![
        rows.len().to_string(),
        count("reported").to_string(),
        count("not_reported").to_string(),
        count("pending").to_string(),
        overdue.to_string(),
    ]];
    let entries = rows
        .iter()
        .map(|row| {
            vec![
                row.reference.clone(),
                row.org_code.clone(),
                minutes(row.aware_at),
                minutes(row.deadline_at),
                deadline_status(row, now),
                row.decision.replace('_', " "),
                row.ico_reference.clone(),
                row.reported_at.map(minutes).unwrap_or_default(),
                row.not_reported_reason.clone(),
                row.what_happened.clone(),
                row.data_affected.clone(),
                row.people_affected
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                row.likely_effects.clone(),
                row.remedial_action.clone(),
                format!("{} {}", row.state, row.disposition)
                    .trim()
                    .to_owned(),
            ]
        })
        .collect();
    Ok(Report {
        name: "breach-log".to_owned(),
        title: format!("Breach log, {label}"),
        period: format!("{label} (awareness, UTC)"),
        scope: crate::trace::scope_text(scope),
        sections: vec![
            section(
                "Summary",
                "Entries in the breach log whose organisation became aware in the period.",
                &["entries", "reported to the ICO", "not reported", "decision pending", "pending past the deadline"],
                summary,
            ),
            section(
                "Entries",
                &format!("The ICO expects a report within {} hours of becoming aware; not reporting needs a documented reason. Times UTC.", alerts::REPORTING_WINDOW_HOURS),
                &[
                    "case", "organisation", "aware", "ICO deadline", "deadline", "decision", "ICO reference",
                    "reported", "reason not reported", "what happened", "data affected", "people affected",
                    "likely effects", "remedial action", "case",
                ],
                entries,
            ),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(decision: &str, reported_after_hours: Option<i64>) -> BreachRow {
        let aware_at = DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or_default();
        BreachRow {
            reference: "CA-000001".to_owned(),
            org_code: "RDM01".to_owned(),
            aware_at,
            deadline_at: aware_at + chrono::Duration::hours(72),
            decision: decision.to_owned(),
            ico_reference: String::new(),
            reported_at: reported_after_hours.map(|h| aware_at + chrono::Duration::hours(h)),
            not_reported_reason: String::new(),
            what_happened: String::new(),
            data_affected: String::new(),
            people_affected: None,
            likely_effects: String::new(),
            remedial_action: String::new(),
            state: "investigating".to_owned(),
            disposition: String::new(),
        }
    }

    #[test]
    fn the_deadline_is_met_missed_open_or_overdue() {
        let aware = row("pending", None).aware_at;
        let cases = [
            (row("reported", Some(70)), aware, "met"),
            (row("reported", Some(75)), aware, "missed by 3 h 00 min"),
            (
                row("not_reported", None),
                aware,
                "not reported (decision recorded)",
            ),
            (
                row("pending", None),
                aware + chrono::Duration::hours(2),
                "open: 70 h 00 min left",
            ),
            (
                row("pending", None),
                aware + chrono::Duration::hours(80),
                "overdue: missed by 8 h 00 min",
            ),
        ];
        for (row, now, expected) in cases {
            assert_eq!(deadline_status(&row, now), expected);
        }
    }
}
