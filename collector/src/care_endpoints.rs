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

const FHIR_CARE_CHANNEL: &str = "fhir_http";

fn care_source_id(resource_type: &str, index: usize) -> String {
    format!("{resource_type}#{index}")
}

/// `POST /fhir/{type}`: one care-context resource (JSON), or many (NDJSON, one per line; lines
/// are mapped in order with one resolver, so a line may refer to a resource on an earlier one).
pub(crate) async fn post_care_resource(
    State(state): State<AppState>,
    Path(resource_type): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, FhirError> {
    let kind = crate::http::body_kind(&headers)?;
    let bytes = axum::body::to_bytes(body, state.limits.max_bundle_bytes)
        .await
        .map_err(|_| FhirError::TooLarge {
            limit: state.limits.max_bundle_bytes,
        })?;
    let source = crate::ingest::Source {
        node: "http".to_owned(),
        channel: Channel::FhirHttp,
        authenticated_as: String::new(),
        client_address: String::new(),
    };
    let mut resolver = crate::fhir_care::ReferenceResolver::new();
    let lines: Vec<&[u8]> = match kind {
        crate::http::BodyKind::Json => vec![&bytes[..]],
        crate::http::BodyKind::Ndjson => bytes
            .split(|byte| *byte == b'\n')
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .collect(),
    };
    for line in &lines {
        resolver.register(line, None);
    }
    let mut entries = Vec::new();
    let mut issues = Vec::new();
    let mut stored = 0_usize;
    for (index, line) in lines.iter().enumerate() {
        let stated_type = serde_json::from_slice::<serde_json::Value>(line)
            .ok()
            .and_then(|value| value["resourceType"].as_str().map(str::to_owned));
        let result = match stated_type.as_deref() {
            Some(stated) if stated != resource_type => Err(crate::MappingError {
                issues: vec![crate::Issue::error(
                    crate::IssueCode::Invalid,
                    "resourceType",
                    format!("resourceType {stated} posted to /fhir/{resource_type}"),
                )],
                reason_code: "wrong_resource_type",
            }),
            _ => crate::fhir_care::care_facts(line, &mut resolver),
        };
        match result {
            Ok(facts) => {
                stored += 1;
                entries.extend(care_entries(
                    facts
                        .iter()
                        .map(|fact| (care_source_id(&resource_type, index + 1), fact)),
                    FHIR_CARE_CHANNEL,
                ));
            }
            Err(error) => {
                let reason = error
                    .issues
                    .iter()
                    .map(|issue| issue.diagnostics.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                entries.extend(crate::ingest::quarantine_entry(
                    &source,
                    error.reason_code,
                    &reason,
                    "fhir+json",
                    line,
                ));
                for mut issue in error.issues {
                    if kind == crate::http::BodyKind::Ndjson {
                        issue.diagnostics = format!("line {}: {}", index + 1, issue.diagnostics);
                    }
                    issues.push(issue);
                }
            }
        }
    }
    state.ingest.submit(Channel::FhirHttp, entries).await?;
    if kind == crate::http::BodyKind::Json && stored == 0 {
        return Err(FhirError::Rejected(issues));
    }
    let mut answer = vec![crate::Issue::information(format!(
        "stored the care facts of {stored} {resource_type} resource(s); rejected {}",
        lines.len() - stored
    ))];
    answer.extend(issues);
    let status = if stored == 0 {
        StatusCode::BAD_REQUEST
    } else if kind == crate::http::BodyKind::Json {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(crate::http::fhir_json(
        status,
        &crate::OperationOutcome::new(answer),
    ))
}

/// A batch or transaction Bundle of care-context resources (`POST /fhir`), mapped in two passes
/// so that `urn:uuid:` references between entries resolve in any order.
pub(crate) async fn post_care_bundle(
    state: &AppState,
    bytes: &[u8],
    transaction: bool,
) -> Result<Response, FhirError> {
    let mapped = crate::fhir_care::bundle_care_facts(bytes)
        .map_err(|error| FhirError::Rejected(error.issues))?;
    let mut entries = Vec::new();
    let mut answers = Vec::new();
    let mut refused = Vec::new();
    for (index, result) in mapped {
        match result {
            Ok(facts) => {
                answers.push(crate::fhir_bundle::ResponseEntry::stored());
                entries.extend(care_entries(
                    facts
                        .iter()
                        .map(|fact| (format!("Bundle.entry[{index}]"), fact)),
                    FHIR_CARE_CHANNEL,
                ));
            }
            // Clinical resources (Observation, Claim, ...) in a patient Bundle carry no care
            // context: they are acknowledged and not stored, not refused.
            Err(error) if error.reason_code == "unsupported_resource_type" => {
                answers.push(crate::fhir_bundle::ResponseEntry::ignored());
            }
            Err(error) => {
                let issues = crate::fhir_bundle::issues_for_entry(index, error.issues);
                answers.push(crate::fhir_bundle::ResponseEntry::failed(
                    "400 Bad Request",
                    issues.clone(),
                ));
                refused.extend(issues);
            }
        }
    }
    if transaction && !refused.is_empty() {
        return Err(FhirError::Rejected(refused));
    }
    state.ingest.submit(Channel::FhirHttp, entries).await?;
    let kind = if transaction {
        crate::fhir_bundle::BundleKind::Transaction
    } else {
        crate::fhir_bundle::BundleKind::Batch
    };
    Ok(crate::http::fhir_json(
        StatusCode::OK,
        &crate::fhir_bundle::ResponseBundle::new(kind, answers),
    ))
}
