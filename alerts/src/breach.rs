//! The breach log. Marking a case as a potential personal data breach records when the
//! organisation became aware and starts the ICO's 72-hour clock (`deadline_at`); the entry then
//! collects what happened, the data and people affected, the likely effects and the remedial
//! action, and ends with a decision: reported (with the ICO's reference) or not reported (with
//! the documented reason). Entries are never deleted, so the log is also the record of near
//! misses. Every change is versioned and on the case timeline with the values it set.
//!
//! After the case is closed: marking it as a breach needs it reopened (its outcome is being
//! reconsidered); the entry's facts stay editable (the ICO's follow-up asks for them later) and
//! its decision can be corrected, as long as the decision still agrees with the closed case's
//! disposition (`reported_to_ico` exactly when reported, as at closing); a decision that would
//! contradict it needs the case reopened, with a reason, first. Changes after closure are on
//! the timeline with `after_closure` and the disposition they were made under.

use crate::actor::Actor;
use crate::case_api::Scope;
use crate::error::AlertsError;
use crate::workflow::{finish_change, lock_case, Changed, LockedCase, Need};
use chrono::{DateTime, Duration, Utc};
use domain::{CaseState, Disposition};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

/// The ICO expects a report within 72 hours of the organisation becoming aware of a breach.
pub const REPORTING_WINDOW_HOURS: i64 = 72;

/// The facts of a breach, each optional in an update (only the given ones change).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachFacts {
    pub what_happened: Option<String>,
    pub data_affected: Option<String>,
    pub people_affected: Option<i32>,
    pub people_affected_description: Option<String>,
    pub likely_effects: Option<String>,
    pub remedial_action: Option<String>,
}

/// The outcome of the reporting decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum BreachDecision {
    Reported {
        ico_reference: String,
        reported_at: DateTime<Utc>,
    },
    NotReported {
        reason: String,
    },
}

/// One entry of the breach log, as listed and exported.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct BreachLogEntry {
    pub case_reference: String,
    pub org_code: String,
    pub aware_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub marked_by: String,
    pub marked_at: DateTime<Utc>,
    pub what_happened: String,
    pub data_affected: String,
    pub people_affected: Option<i32>,
    pub people_affected_description: String,
    pub likely_effects: String,
    pub remedial_action: String,
    pub decision: String,
    pub ico_reference: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
    pub not_reported_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub case_state: String,
    pub case_disposition: Option<String>,
}

/// Marks case `reference` as a potential personal data breach. `aware_at` is when the
/// organisation became aware (default: now); it cannot be in the future.
pub async fn mark_potential_breach(
    pool: &PgPool,
    actor: &Actor,
    reference: &str,
    read_version: i32,
    aware_at: Option<DateTime<Utc>>,
    facts: &BreachFacts,
) -> Result<Changed, AlertsError> {
    let now = Utc::now();
    let aware_at = aware_at.unwrap_or(now);
    if aware_at > now + Duration::minutes(1) {
        return Err(AlertsError::invalid(
            "the time the organisation became aware cannot be in the future",
        ));
    }
    check_facts(facts)?;
    let mut transaction = pool.begin().await?;
    let case = lock_case(&mut transaction, actor, reference, read_version, Need::Work).await?;
    if case.state()? == CaseState::Closed {
        return Err(AlertsError::invalid(format!(
            "case {reference} is closed; reopen it to mark it as a breach"
        )));
    }
    let deadline: Option<DateTime<Utc>> = sqlx::query_scalar(
        "INSERT INTO breach_records (case_id, org_code, aware_at, deadline_at, marked_by, marked_at, what_happened,
                                     data_affected, people_affected, people_affected_description, likely_effects,
                                     remedial_action, updated_at)
         VALUES ($1, $2, $3, $3 + make_interval(hours => $4), $5, now(), COALESCE($6, ''), COALESCE($7, ''), $8,
                 COALESCE($9, ''), COALESCE($10, ''), COALESCE($11, ''), now())
         ON CONFLICT (case_id) DO NOTHING
         RETURNING deadline_at",
    )
    .bind(case.id)
    .bind(&case.org_code)
    .bind(aware_at)
    .bind(REPORTING_WINDOW_HOURS as i32)
    .bind(&actor.username)
    .bind(&facts.what_happened)
    .bind(&facts.data_affected)
    .bind(facts.people_affected)
    .bind(&facts.people_affected_description)
    .bind(&facts.likely_effects)
    .bind(&facts.remedial_action)
    .fetch_optional(&mut *transaction)
    .await?;
    let deadline = deadline.ok_or_else(|| {
        AlertsError::invalid(format!("case {reference} is already in the breach log"))
    })?;
    let detail =
        serde_json::json!({ "aware_at": aware_at, "deadline_at": deadline, "facts": facts });
    finish_change(transaction, &case, actor, "marked_potential_breach", detail).await
}

/// Fills in or corrects the facts of a breach log entry.
pub async fn update_breach(
    pool: &PgPool,
    actor: &Actor,
    reference: &str,
    read_version: i32,
    facts: &BreachFacts,
) -> Result<Changed, AlertsError> {
    check_facts(facts)?;
    if facts == &BreachFacts::default() {
        return Err(AlertsError::invalid("nothing to change"));
    }
    let mut transaction = pool.begin().await?;
    let case = lock_case(&mut transaction, actor, reference, read_version, Need::Work).await?;
    let updated = sqlx::query(
        "UPDATE breach_records
         SET what_happened = COALESCE($2, what_happened), data_affected = COALESCE($3, data_affected),
             people_affected = COALESCE($4, people_affected),
             people_affected_description = COALESCE($5, people_affected_description),
             likely_effects = COALESCE($6, likely_effects), remedial_action = COALESCE($7, remedial_action),
             updated_at = now()
         WHERE case_id = $1",
    )
    .bind(case.id)
    .bind(&facts.what_happened)
    .bind(&facts.data_affected)
    .bind(facts.people_affected)
    .bind(&facts.people_affected_description)
    .bind(&facts.likely_effects)
    .bind(&facts.remedial_action)
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(AlertsError::invalid(format!(
            "case {reference} is not in the breach log"
        )));
    }
    let mut detail = serde_json::json!({ "facts": facts });
    note_closure(&case, &mut detail)?;
    finish_change(transaction, &case, actor, "breach_updated", detail).await
}

/// Records whether the breach was reported to the ICO, and the reference or the reason.
/// A decision can be corrected (the timeline keeps every one).
pub async fn decide_breach(
    pool: &PgPool,
    actor: &Actor,
    reference: &str,
    read_version: i32,
    decision: &BreachDecision,
) -> Result<Changed, AlertsError> {
    let (kind, ico_reference, reported_at, reason) = match decision {
        BreachDecision::Reported {
            ico_reference,
            reported_at,
        } => {
            if ico_reference.trim().is_empty() {
                return Err(AlertsError::invalid(
                    "a reported breach needs the ICO's reference",
                ));
            }
            (
                "reported",
                Some(ico_reference.trim()),
                Some(*reported_at),
                None,
            )
        }
        BreachDecision::NotReported { reason } => {
            if reason.trim().is_empty() {
                return Err(AlertsError::invalid(
                    "not reporting a breach needs the documented reason",
                ));
            }
            ("not_reported", None, None, Some(reason.trim()))
        }
    };
    let mut transaction = pool.begin().await?;
    let case = lock_case(&mut transaction, actor, reference, read_version, Need::Work).await?;
    if case.state()? == CaseState::Closed {
        let closed_as = case.disposition.as_deref().unwrap_or("no disposition");
        if (kind == "reported") != (closed_as == Disposition::ReportedToIco.as_str()) {
            return Err(AlertsError::invalid(format!(
                "case {reference} is closed as {closed_as}; a decision of {} would contradict it: \
                 reopen the case (with a reason) to change the reporting decision",
                kind.replace('_', " ")
            )));
        }
    }
    let updated = sqlx::query(
        "UPDATE breach_records
         SET decision = $2, ico_reference = $3, reported_at = $4, not_reported_reason = $5, decided_by = $6,
             decided_at = now(), updated_at = now()
         WHERE case_id = $1",
    )
    .bind(case.id)
    .bind(kind)
    .bind(ico_reference)
    .bind(reported_at)
    .bind(reason)
    .bind(&actor.username)
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(AlertsError::invalid(format!(
            "case {reference} is not in the breach log"
        )));
    }
    let mut detail = serde_json::to_value(decision).unwrap_or_default();
    note_closure(&case, &mut detail)?;
    finish_change(transaction, &case, actor, "breach_decided", detail).await
}

/// Says on a breach change's timeline detail whether it came after the case was closed, and
/// under which disposition.
fn note_closure(case: &LockedCase, detail: &mut serde_json::Value) -> Result<(), AlertsError> {
    let closed = case.state()? == CaseState::Closed;
    detail["after_closure"] = closed.into();
    if closed {
        detail["disposition"] = case.disposition.clone().into();
    }
    Ok(())
}

fn check_facts(facts: &BreachFacts) -> Result<(), AlertsError> {
    match facts.people_affected {
        Some(count) if count < 0 => Err(AlertsError::invalid(
            "the number of people affected cannot be negative",
        )),
        _ => Ok(()),
    }
}

/// Which entries to list.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BreachFilter {
    pub case_reference: Option<String>,
    /// `pending`, `reported` or `not_reported`.
    pub decision: Option<String>,
}

/// The breach log entries the actor may read, newest awareness first.
pub async fn breach_log(
    pool: &PgPool,
    actor: &Actor,
    filter: &BreachFilter,
) -> Result<Vec<BreachLogEntry>, AlertsError> {
    let organisations = match actor.scope() {
        Scope::AllOrganisations => None,
        Scope::Organisations(codes) => Some(codes),
    };
    Ok(sqlx::query_as(include_str!("breach/breach_log.sql"))
        .bind(organisations)
        .bind(&filter.case_reference)
        .bind(&filter.decision)
        .fetch_all(pool)
        .await?)
}

/// The breach log as CSV (RFC 4180, a header line first), for the IG lead and the ICO.
pub fn breach_log_csv(entries: &[BreachLogEntry]) -> Result<String, AlertsError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let time = |value: Option<DateTime<Utc>>| value.map(|t| t.to_rfc3339()).unwrap_or_default();
    writer
        .write_record([
            "case_reference",
            "org_code",
            "aware_at",
            "deadline_at",
            "marked_by",
            "what_happened",
            "data_affected",
            "people_affected",
            "people_affected_description",
            "likely_effects",
            "remedial_action",
            "decision",
            "ico_reference",
            "reported_at",
            "not_reported_reason",
            "decided_by",
            "decided_at",
            "case_state",
            "case_disposition",
        ])
        .map_err(csv_error)?;
    for entry in entries {
        writer
            .write_record([
                entry.case_reference.clone(),
                entry.org_code.clone(),
                entry.aware_at.to_rfc3339(),
                entry.deadline_at.to_rfc3339(),
                entry.marked_by.clone(),
                entry.what_happened.clone(),
                entry.data_affected.clone(),
                entry
                    .people_affected
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                entry.people_affected_description.clone(),
                entry.likely_effects.clone(),
                entry.remedial_action.clone(),
                entry.decision.clone(),
                entry.ico_reference.clone().unwrap_or_default(),
                time(entry.reported_at),
                entry.not_reported_reason.clone().unwrap_or_default(),
                entry.decided_by.clone().unwrap_or_default(),
                time(entry.decided_at),
                entry.case_state.clone(),
                entry.case_disposition.clone().unwrap_or_default(),
            ])
            .map_err(csv_error)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| AlertsError::Invalid(error.to_string()))?;
    String::from_utf8(bytes).map_err(|error| AlertsError::Invalid(error.to_string()))
}

fn csv_error(error: csv::Error) -> AlertsError {
    AlertsError::Invalid(format!("writing the breach log: {error}"))
}
