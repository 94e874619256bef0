//! The case queue: the cases a reader may see, ranked (open first, by score, most recent),
//! with filters for organisation, rule, severity, state, assignee, dates and a search by case
//! reference, user or patient. Every filter value is bound as a parameter, and the ones with a
//! fixed vocabulary are checked against it first, so a bad value is a clear 400.

use crate::error::DashboardError;
use crate::roles::scope_codes;
use alerts::Scope;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

pub const STATES: [&str; 4] = ["new", "triage", "investigating", "closed"];
pub const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];
const DEFAULT_LIMIT: i64 = 200;
const MAX_LIMIT: i64 = 1000;

/// The queue's filters, as the page's form and the API's query string carry them.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
pub struct QueueFilter {
    /// Organisation (ODS code).
    pub org: Option<String>,
    /// Rule id, e.g. `emergency_access`.
    pub rule: Option<String>,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: Option<String>,
    /// `new`, `triage`, `investigating` or `closed`.
    pub state: Option<String>,
    /// Assignee's username, or `-` for unassigned cases.
    pub assignee: Option<String>,
    /// Cases with accesses on or after this date (YYYY-MM-DD).
    pub from: Option<String>,
    /// Cases with accesses up to this date (YYYY-MM-DD, inclusive).
    pub to: Option<String>,
    /// A case reference, user id or patient id.
    pub q: Option<String>,
    /// At most this many cases (default 200, at most 1000).
    pub limit: Option<i64>,
}

fn present(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

fn one_of(
    name: &str,
    value: Option<String>,
    allowed: &[&str],
) -> Result<Option<String>, DashboardError> {
    match value {
        Some(value) if !allowed.contains(&value.as_str()) => {
            Err(DashboardError::BadRequest(format!(
                "unknown {name} {value:?}: use one of {}",
                allowed.join(", ")
            )))
        }
        other => Ok(other),
    }
}

fn date(
    name: &str,
    value: Option<String>,
    next_day: bool,
) -> Result<Option<DateTime<Utc>>, DashboardError> {
    let Some(text) = value else { return Ok(None) };
    let day = NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
        DashboardError::BadRequest(format!("{name} {text:?} is not a date (YYYY-MM-DD)"))
    })?;
    let day = if next_day {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    Ok(day.and_hms_opt(0, 0, 0).map(|time| time.and_utc()))
}

/// A case in the queue.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct QueuedCase {
    pub reference: String,
    pub org_code: String,
    pub user_id: String,
    pub patient_id: String,
    pub state: String,
    pub disposition: Option<String>,
    pub severity: String,
    pub score: f64,
    pub first_event_at: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    pub opened_at: DateTime<Utc>,
    pub version: i32,
    /// Username of the assignee; empty when unassigned.
    pub assignee: String,
    pub rules: String,
    pub finding_count: i64,
    pub patient_count: i64,
    /// Organisations the case is shared with (joint cases), besides the owner.
    pub shared_with: Vec<String>,
    /// The case this one was merged into, if any.
    pub merged_into: Option<String>,
    /// Why the most recent finding of the case fired.
    pub latest_explanation: String,
}

pub async fn list(
    pool: &PgPool,
    scope: &Scope,
    filter: &QueueFilter,
) -> Result<Vec<QueuedCase>, DashboardError> {
    let state = one_of("state", present(&filter.state), &STATES)?;
    let severity = one_of("severity", present(&filter.severity), &SEVERITIES)?;
    let from = date("from", present(&filter.from), false)?;
    let to = date("to", present(&filter.to), true)?;
    let limit = filter.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    Ok(sqlx::query_as(include_str!("queue/list_cases.sql"))
        .bind(scope_codes(scope))
        .bind(present(&filter.org))
        .bind(present(&filter.rule))
        .bind(severity)
        .bind(state)
        .bind(present(&filter.assignee))
        .bind(from)
        .bind(to)
        .bind(present(&filter.q))
        .bind(limit)
        .fetch_all(pool)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_vocabularies_refuse_anything_else() {
        assert!(one_of("state", Some("new".into()), &STATES).is_ok());
        assert!(one_of("state", Some("new' OR '1'='1".into()), &STATES).is_err());
        assert!(one_of("state", None, &STATES).is_ok());
        assert!(date("from", Some("2026-02-30".into()), false).is_err());
        assert_eq!(
            date("to", Some("2026-12-31".into()), true)
                .ok()
                .flatten()
                .map(|d| d.to_rfc3339()),
            Some("2027-01-01T00:00:00+00:00".to_owned())
        );
    }
}
