//! The care-context endpoints that are not FHIR: CSV bulk loads (`POST /load/{kind}` with a
//! `text/csv` body, as `careaudit load` sends them). Facts go through the same write-ahead log
//! and shipper as audit events; the answer comes once every accepted row is durable.

use crate::care_rows::care_rows;
use crate::csv_load::{read_csv, CsvKind, RowError};
use crate::http::{AppState, FhirError};
use crate::ingest::{IngestEntry, IngestError};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::{CareFact, CareProvenance, Channel, Timestamp};
use serde::Serialize;

/// Facts are stored in groups of this many rows.
const GROUP: usize = 5_000;
/// At most this many row errors are listed in an answer (all are counted).
const MAX_LISTED_ERRORS: usize = 1_000;

#[derive(Debug, Serialize)]
pub(crate) struct LoadReport {
    kind: &'static str,
    accepted: usize,
    rejected: usize,
    errors: Vec<RowError>,
    ignored_columns: Vec<String>,
}

/// Turns facts into log entries with their provenance, all received now.
pub(crate) fn care_entries<'a>(
    facts: impl IntoIterator<Item = (String, &'a CareFact)>,
    source_channel: &str,
) -> Vec<IngestEntry> {
    let received_at = Timestamp::now();
    facts
        .into_iter()
        .flat_map(|(message_id, fact)| {
            let provenance = CareProvenance {
                source_channel: source_channel.to_owned(),
                source_message_id: message_id,
            };
            care_rows(fact, &provenance, received_at)
        })
        .map(|row| IngestEntry::Care(Box::new(row)))
        .collect()
}

pub(crate) async fn post_csv(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, FhirError> {
    let Some(kind) = CsvKind::parse(&kind) else {
        let message = format!("unknown load {kind:?}; use staff, registrations or vip");
        return Ok((
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": message })),
        )
            .into_response());
    };
    let bytes = axum::body::to_bytes(body, state.limits.max_csv_bytes)
        .await
        .map_err(|_| FhirError::TooLarge {
            limit: state.limits.max_csv_bytes,
        })?;
    let load = match read_csv(kind, &bytes) {
        Ok(load) => load,
        Err(error) => {
            return Ok((
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({ "error": error.to_string() })),
            )
                .into_response())
        }
    };
    let file = headers
        .get("x-careaudit-filename")
        .and_then(|value| value.to_str().ok())
        .filter(|name| !name.is_empty())
        .unwrap_or("upload")
        .to_owned();
    let channel = format!("csv_{}", kind.as_str());
    for group in load.facts.chunks(GROUP) {
        let entries = care_entries(
            group
                .iter()
                .map(|(line, fact)| (format!("{file}:{line}"), fact)),
            &channel,
        );
        state
            .ingest
            .submit(Channel::CsvLoad, entries)
            .await
            .map_err(|error: IngestError| FhirError::Ingest(error))?;
    }
    let report = LoadReport {
        kind: kind.as_str(),
        accepted: load.facts.len(),
        rejected: load.errors.len(),
        errors: load.errors.into_iter().take(MAX_LISTED_ERRORS).collect(),
        ignored_columns: load.ignored_columns,
    };
    tracing::info!(
        kind = report.kind,
        accepted = report.accepted,
        rejected = report.rejected,
        "csv load"
    );
    let status = if report.accepted == 0 && report.rejected > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)).into_response())
}
