//! Bulk exports for evaluation and for auditors' own analyses (`careaudit evaluate` reads
//! them): every finding with its case, as NDJSON (`GET /api/v1/export/findings`), and every
//! access explanation the analyzer recorded (`GET /api/v1/export/explanations`, streamed from
//! ClickHouse's `access_explanations`, the latest evaluation of each event). Auditors and
//! administrators only; each export is recorded in the self-audit (`audit_data_views`).

use crate::accounts::Viewer;
use crate::error::DashboardError;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use clickhouse::Row;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const NDJSON: &str = "application/x-ndjson";
/// Event ids looked up in ClickHouse per query.
const LOOKUP_BATCH: usize = 2_000;
/// Explanations serialised per chunk of the streamed body.
const STREAM_CHUNK: usize = 2_000;

fn may_export(viewer: &Viewer) -> bool {
    viewer
        .roles
        .iter()
        .any(|(role, _)| role == "auditor" || role == "administrator")
}

async fn record_export(state: &AppState, viewer: &Viewer, view: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_data_views (viewer, view) VALUES ($1, $2)")
        .bind(&viewer.username)
        .bind(view)
        .execute(&state.pool)
        .await?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
struct FindingRow {
    id: i64,
    case_reference: String,
    rule_id: String,
    severity: String,
    event_id: String,
    user_id: String,
    user_org: Option<String>,
    patient_id: String,
    occurred_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    case_opened_at: DateTime<Utc>,
    case_org: String,
    case_state: String,
}

/// One line of the findings export.
#[derive(Debug, Serialize)]
pub struct ExportedFinding {
    finding_id: i64,
    case_reference: String,
    rule: String,
    severity: String,
    event_id: String,
    user_id: String,
    user_org: String,
    patient_id: String,
    occurred_at: DateTime<Utc>,
    /// When the collector received the event (from the audit trail), if it is stored.
    received_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    case_opened_at: DateTime<Utc>,
    case_org: String,
    case_state: String,
}

#[derive(Debug, Row, Deserialize)]
struct ReceivedRow {
    event_id: String,
    received_ms: u64,
}

pub async fn findings(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, DashboardError> {
    if !may_export(&viewer) {
        return Err(DashboardError::Forbidden);
    }
    let rows: Vec<FindingRow> = sqlx::query_as(include_str!("export_api/findings.sql"))
        .fetch_all(&state.pool)
        .await?;
    let mut received: HashMap<String, u64> = HashMap::with_capacity(rows.len());
    let ids: Vec<&str> = rows.iter().map(|row| row.event_id.as_str()).collect();
    for batch in ids.chunks(LOOKUP_BATCH) {
        let found: Vec<ReceivedRow> = state
            .clickhouse
            .query(include_str!("export_api/received.sql"))
            .bind(batch)
            .fetch_all()
            .await?;
        received.extend(found.into_iter().map(|row| (row.event_id, row.received_ms)));
    }
    record_export(&state, &viewer, "export_findings").await?;
    let mut body = Vec::with_capacity(rows.len() * 320);
    for row in rows {
        let line = ExportedFinding {
            received_at: received
                .get(&row.event_id)
                .and_then(|ms| DateTime::from_timestamp_millis(*ms as i64)),
            finding_id: row.id,
            case_reference: row.case_reference,
            rule: row.rule_id,
            severity: row.severity,
            event_id: row.event_id,
            user_id: row.user_id,
            user_org: row.user_org.unwrap_or_default(),
            patient_id: row.patient_id,
            occurred_at: row.occurred_at,
            created_at: row.created_at,
            case_opened_at: row.case_opened_at,
            case_org: row.case_org,
            case_state: row.case_state,
        };
        if serde_json::to_writer(&mut body, &line).is_ok() {
            body.push(b'\n');
        }
    }
    Ok(([(header::CONTENT_TYPE, NDJSON)], body).into_response())
}

/// One line of the explanations export.
#[derive(Debug, Row, Deserialize, Serialize)]
pub struct ExportedExplanation {
    event_id: String,
    patient_id: String,
    user_id: String,
    explained: u8,
    kind: String,
    binding: String,
    relationship_id: String,
    source_channel: String,
    source_message_id: String,
    evaluated_at: u32,
}

pub async fn explanations(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, DashboardError> {
    if !may_export(&viewer) {
        return Err(DashboardError::Forbidden);
    }
    record_export(&state, &viewer, "export_explanations").await?;
    let cursor = state
        .clickhouse
        .query(include_str!("export_api/explanations.sql"))
        .fetch::<ExportedExplanation>()?;
    let chunks = futures_util::stream::unfold(Some(cursor), |cursor| async move {
        let mut cursor = cursor?;
        let mut chunk = Vec::with_capacity(STREAM_CHUNK * 200);
        for _ in 0..STREAM_CHUNK {
            match cursor.next().await {
                Ok(Some(row)) => {
                    if serde_json::to_writer(&mut chunk, &row).is_ok() {
                        chunk.push(b'\n');
                    }
                }
                Ok(None) if chunk.is_empty() => return None,
                Ok(None) => return Some((Ok::<_, std::io::Error>(chunk), None)),
                Err(error) => {
                    // The status line is gone by now: end the body early, which the reader sees
                    // as a truncated transfer rather than a silently short export.
                    tracing::error!(%error, "explanations export failed part-way");
                    return Some((Err(std::io::Error::other("export failed part-way")), None));
                }
            }
        }
        Some((Ok(chunk), Some(cursor)))
    });
    Ok(([(header::CONTENT_TYPE, NDJSON)], Body::from_stream(chunks)).into_response())
}
