//! The patient trace: "who viewed this record between these dates, from which organisations",
//! with the care relationships the patient has. A patient's history includes everything
//! recorded under identifiers merged into theirs (HL7 A40, FHIR Patient.link), so a merge
//! never hides earlier accesses. Investigators and administrators only; every trace is itself
//! recorded in `audit_data_views`.

use crate::accounts::Viewer;
use crate::error::DashboardError;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use clickhouse::Row;
use domain::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct TraceQuery {
    /// RFC 3339 start (inclusive) and end (exclusive); default: all time.
    from: Option<String>,
    to: Option<String>,
}

#[derive(Debug, Row, Deserialize)]
struct AccessRow {
    event_id: String,
    patient_id: String,
    occurred_at: u32,
    occurred_ms: u16,
    action: String,
    user_id: String,
    user_name: String,
    user_org: String,
    purpose_of_use: Vec<String>,
    emergency_access: u8,
    source_node: String,
    channel: String,
}

#[derive(Debug, Serialize)]
pub struct TracedAccess {
    event_id: String,
    /// The identifier the access was recorded under (differs from the traced patient when it
    /// was merged into theirs).
    recorded_patient_id: String,
    occurred_at: String,
    action: String,
    user_id: String,
    user_name: String,
    user_org: String,
    purpose_of_use: Vec<String>,
    emergency_access: bool,
    source_node: String,
    channel: String,
}

#[derive(Debug, Row, Deserialize, Serialize)]
pub struct TracedRelationship {
    relationship_id: String,
    patient_id: String,
    kind: String,
    user_id: String,
    team: String,
    org_code: String,
    valid_from: u32,
    valid_to: Option<u32>,
    source_channel: String,
    source_message_id: String,
}

#[derive(Debug, Serialize)]
pub struct PatientTrace {
    patient_id: String,
    accesses: Vec<TracedAccess>,
    relationships: Vec<TracedRelationship>,
}

fn may_trace(viewer: &Viewer) -> bool {
    viewer
        .roles
        .iter()
        .any(|(role, _)| role == "investigator" || role == "administrator")
}

fn bound(raw: Option<&str>, default: u32) -> Result<u32, DashboardError> {
    match raw {
        None => Ok(default),
        Some(text) => Timestamp::parse_rfc3339(text)
            .map(|timestamp| timestamp.to_seconds_and_millis().0)
            .ok_or(DashboardError::BadRequest(format!(
                "{text:?} is not an RFC 3339 date-time"
            ))),
    }
}

pub async fn patient_trace(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(patient_id): Path<String>,
    Query(query): Query<TraceQuery>,
) -> Result<Json<PatientTrace>, DashboardError> {
    if !may_trace(&viewer) {
        return Err(DashboardError::Forbidden);
    }
    let from = bound(query.from.as_deref(), 0)?;
    let to = bound(query.to.as_deref(), u32::MAX)?;
    let rows: Vec<AccessRow> = state
        .clickhouse
        .query(include_str!("trace/patient_accesses.sql"))
        .bind(&patient_id)
        .bind(&patient_id)
        .bind(&patient_id)
        .bind(from)
        .bind(to)
        .fetch_all()
        .await?;
    let relationships: Vec<TracedRelationship> = state
        .clickhouse
        .query(include_str!("trace/patient_relationships.sql"))
        .bind(&patient_id)
        .bind(&patient_id)
        .bind(&patient_id)
        .fetch_all()
        .await?;
    sqlx::query(
        "INSERT INTO audit_data_views (viewer, view, patient_id) VALUES ($1, 'patient_trace', $2)",
    )
    .bind(&viewer.username)
    .bind(&patient_id)
    .execute(&state.pool)
    .await?;
    let accesses = rows
        .into_iter()
        .map(|row| TracedAccess {
            event_id: row.event_id,
            recorded_patient_id: row.patient_id,
            occurred_at: Timestamp::from_seconds_and_millis(row.occurred_at, row.occurred_ms)
                .to_string(),
            action: row.action,
            user_id: row.user_id,
            user_name: row.user_name,
            user_org: row.user_org,
            purpose_of_use: row.purpose_of_use,
            emergency_access: row.emergency_access == 1,
            source_node: row.source_node,
            channel: row.channel,
        })
        .collect();
    Ok(Json(PatientTrace {
        patient_id,
        accesses,
        relationships,
    }))
}
