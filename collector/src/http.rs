//! The collector's HTTP API: FHIR endpoints answering with FHIR resources. Every error path
//! answers with an `OperationOutcome`; this file is the one place that maps collector errors to
//! HTTP statuses.

use crate::fhir_audit_event::{map_audit_event, MappingError};
use crate::operation_outcome::{Issue, IssueCode, OperationOutcome};
use crate::store::{compress_payload, AccessEventRow, EventStore, QuarantineRow};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::{Channel, Provenance, Timestamp};
use std::net::SocketAddr;

const FHIR_JSON: &str = "application/fhir+json";
const RAW_FORMAT_FHIR_JSON: &str = "fhir+json";

#[derive(Clone)]
struct AppState {
    store: EventStore,
    max_body_bytes: usize,
}

pub fn router(store: EventStore, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/fhir/AuditEvent", post(create_audit_event))
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::disable())
        .with_state(AppState {
            store,
            max_body_bytes,
        })
}

/// Errors of the FHIR endpoints. Internal errors are logged in full and masked in the response.
#[derive(Debug, thiserror::Error)]
enum FhirError {
    #[error("unsupported content type")]
    UnsupportedMediaType(String),
    #[error("body too large")]
    TooLarge { limit: usize },
    #[error("body could not be read")]
    UnreadableBody(String),
    #[error("{0}")]
    Rejected(MappingError),
    #[error("storage unavailable: {0}")]
    Storage(#[from] clickhouse::error::Error),
    #[error("compression failed: {0}")]
    Compression(#[from] std::io::Error),
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        let (status, issues) = match self {
            Self::UnsupportedMediaType(got) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                vec![Issue::error(
                    IssueCode::NotSupported,
                    "",
                    format!("content type {got:?} is not supported; send {FHIR_JSON} or application/json"),
                )],
            ),
            Self::TooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                vec![Issue::error(IssueCode::TooLong, "", format!("body is larger than the limit of {limit} bytes"))],
            ),
            Self::UnreadableBody(reason) => (
                StatusCode::BAD_REQUEST,
                vec![Issue::error(IssueCode::Structure, "", format!("body could not be read: {reason}"))],
            ),
            Self::Rejected(mapping) => (StatusCode::BAD_REQUEST, mapping.issues),
            Self::Storage(error) => {
                tracing::error!(%error, "audit event store unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    vec![Issue::error(IssueCode::Transient, "", "the audit store is unavailable; retry later")],
                )
            }
            Self::Compression(error) => {
                tracing::error!(%error, "payload compression failed");
                (StatusCode::INTERNAL_SERVER_ERROR, vec![Issue::error(IssueCode::Exception, "", "internal error")])
            }
        };
        let mut response = (status, Json(OperationOutcome::new(issues))).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

fn check_content_type(headers: &HeaderMap) -> Result<(), FhirError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let raw = value.to_str().unwrap_or_default();
    let media_type = raw
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "application/fhir+json" | "application/json" | "application/json+fhir" => Ok(()),
        _ => Err(FhirError::UnsupportedMediaType(raw.to_owned())),
    }
}

async fn read_limited(body: axum::body::Body, limit: usize) -> Result<Bytes, FhirError> {
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes),
        Err(error) => {
            let is_length_limit = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            if is_length_limit {
                Err(FhirError::TooLarge { limit })
            } else {
                Err(FhirError::UnreadableBody(error.to_string()))
            }
        }
    }
}

/// A stable id for an event whose sender gave none: the same bytes always get the same id, so a
/// retried POST is deduplicated like any other.
fn derived_event_id(body: &[u8]) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6c1b_9a52_3f0e_4d8b_9d3c_2a7e_5b10_c4e1);
    format!("urn:uuid:{}", uuid::Uuid::new_v5(&NAMESPACE, body))
}

async fn create_audit_event(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, FhirError> {
    check_content_type(&headers)?;
    let bytes = read_limited(body, state.max_body_bytes).await?;
    let source_node = format!("http:{}", peer.ip());
    let provenance = Provenance {
        source_node: source_node.clone(),
        channel: Channel::FhirHttp,
        authenticated_as: String::new(),
        received_at: Timestamp::now(),
    };
    let event = match map_audit_event(&bytes, provenance, || derived_event_id(&bytes)) {
        Ok(event) => event,
        Err(rejection) => {
            quarantine_rejection(&state.store, &source_node, &peer, &rejection, &bytes).await;
            return Err(FhirError::Rejected(rejection));
        }
    };
    let row = AccessEventRow::from_event(&event, RAW_FORMAT_FHIR_JSON, compress_payload(&bytes)?);
    state
        .store
        .insert_events(std::slice::from_ref(&row))
        .await?;
    tracing::debug!(event_id = %event.event_id, patient_id = %event.patient_id, "stored audit event");

    let location = format!("AuditEvent/{}", event.event_id);
    let outcome = OperationOutcome::new(vec![Issue::information(format!(
        "stored audit event {}",
        event.event_id
    ))]);
    let mut response = (StatusCode::CREATED, Json(outcome)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Keeps a refused body in the quarantine table. Best effort: the sender already gets the
/// specific error, so a failure here is logged, not returned.
async fn quarantine_rejection(
    store: &EventStore,
    source_node: &str,
    peer: &SocketAddr,
    rejection: &MappingError,
    raw: &[u8],
) {
    let reason = rejection
        .issues
        .iter()
        .map(|issue| issue.diagnostics.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let row = match QuarantineRow::new(
        Channel::FhirHttp,
        source_node,
        &peer.ip().to_string(),
        rejection.reason_code,
        &reason,
        RAW_FORMAT_FHIR_JSON,
        raw,
    ) {
        Ok(row) => row,
        Err(error) => {
            tracing::warn!(%error, "could not compress a rejected payload for quarantine");
            return;
        }
    };
    if let Err(error) = store.quarantine(&row).await {
        tracing::warn!(%error, reason_code = rejection.reason_code, "could not quarantine a rejected audit event");
    } else {
        tracing::info!(
            reason_code = rejection.reason_code,
            source_node,
            "quarantined a rejected audit event"
        );
    }
}
