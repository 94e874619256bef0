//! The collector's HTTP surface: the FHIR endpoints (single AuditEvent, Bundle, bulk NDJSON),
//! health, readiness and metrics. This file is the one place where collector errors become HTTP
//! statuses; every FHIR error answers with an `OperationOutcome`.

use crate::fhir_endpoints;
use crate::ingest::{Ingest, IngestError};
use crate::operation_outcome::{Issue, IssueCode, OperationOutcome};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;

pub(crate) const FHIR_JSON: &str = "application/fhir+json";

/// Limits of the FHIR endpoints.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Largest single AuditEvent, and largest line of an NDJSON body.
    pub max_resource_bytes: usize,
    /// Largest Bundle.
    pub max_bundle_bytes: usize,
    /// Largest CSV load.
    pub max_csv_bytes: usize,
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub ingest: Ingest,
    pub limits: HttpLimits,
    pub metrics: PrometheusHandle,
    pub readiness: crate::Readiness,
}

pub fn router(
    ingest: Ingest,
    limits: HttpLimits,
    metrics: PrometheusHandle,
    readiness: crate::Readiness,
) -> Router {
    Router::new()
        .route("/fhir/AuditEvent", post(fhir_endpoints::post_audit_events))
        .route("/fhir", post(fhir_endpoints::post_bundle_or_ndjson))
        .route("/load/{kind}", post(crate::care_endpoints::post_csv))
        .route(
            "/fhir/{resource_type}",
            post(crate::care_endpoints::post_care_resource),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/status", get(status))
        .route("/metrics", get(render_metrics))
        .layer(DefaultBodyLimit::disable())
        .with_state(AppState {
            ingest,
            limits,
            metrics,
            readiness,
        })
}

async fn render_metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// This instance's own state, as JSON, for operators and tests (metrics are process-wide).
async fn status(State(state): State<AppState>) -> Json<serde_json::Value> {
    let wal = state.ingest.wal_stats();
    Json(serde_json::json!({
        "wal": {
            "bytes_on_disk": wal.bytes_on_disk,
            "unshipped_bytes": wal.unshipped_bytes,
            "segments": wal.segments,
            "last_appended_lsn": wal.last_appended_lsn,
            "last_checkpointed_lsn": wal.last_checkpointed_lsn,
            "fsyncs": wal.fsyncs,
            "appends": wal.appends,
        }
    }))
}

async fn ready(State(state): State<AppState>) -> Response {
    match state.readiness.check().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, reason).into_response(),
    }
}

/// What a request body claims to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Json,
    Ndjson,
}

/// Errors of the FHIR endpoints. Internal errors are logged in full and masked in the response.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FhirError {
    #[error("unsupported content type")]
    UnsupportedMediaType(String),
    #[error("body too large")]
    TooLarge { limit: usize },
    #[error("body could not be read")]
    UnreadableBody(String),
    /// The input was read and refused: one issue per problem.
    #[error("rejected")]
    Rejected(Vec<Issue>),
    #[error("{0}")]
    Ingest(#[from] IngestError),
    /// Storage failed part-way through a stream: what was stored is said in the issues.
    #[error("partially stored")]
    Partial {
        error: IngestError,
        issues: Vec<Issue>,
    },
}

pub(crate) fn body_kind(headers: &HeaderMap) -> Result<BodyKind, FhirError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(BodyKind::Json);
    };
    let raw = value.to_str().unwrap_or_default();
    let media_type = raw
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "application/fhir+json" | "application/json" | "application/json+fhir" => {
            Ok(BodyKind::Json)
        }
        "application/fhir+ndjson" | "application/ndjson" | "application/x-ndjson" => {
            Ok(BodyKind::Ndjson)
        }
        _ => Err(FhirError::UnsupportedMediaType(raw.to_owned())),
    }
}

pub(crate) fn fhir_json<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    response
}

fn unavailable(error: &IngestError) -> (StatusCode, Option<u32>, Issue) {
    match error {
        IngestError::Full {
            retry_after_seconds,
        } => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some(*retry_after_seconds),
            Issue::error(
                IssueCode::Transient,
                "",
                "the collector is at capacity (its write-ahead log is full); retry later",
            ),
        ),
        IngestError::Unavailable(detail) => {
            tracing::error!(error = %detail, "audit store unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Some(5),
                Issue::error(
                    IssueCode::Transient,
                    "",
                    "the audit store is unavailable; retry later",
                ),
            )
        }
    }
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        let (status, retry_after, issues) = match self {
            Self::UnsupportedMediaType(got) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                vec![Issue::error(
                    IssueCode::NotSupported,
                    "",
                    format!("content type {got:?} is not supported; send {FHIR_JSON} or application/fhir+ndjson"),
                )],
            ),
            Self::TooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                vec![Issue::error(IssueCode::TooLong, "", format!("body is larger than the limit of {limit} bytes"))],
            ),
            Self::UnreadableBody(reason) => (
                StatusCode::BAD_REQUEST,
                None,
                vec![Issue::error(IssueCode::Structure, "", format!("body could not be read: {reason}"))],
            ),
            Self::Rejected(issues) => (StatusCode::BAD_REQUEST, None, issues),
            Self::Ingest(error) => {
                let (status, retry_after, issue) = unavailable(&error);
                (status, retry_after, vec![issue])
            }
            Self::Partial { error, mut issues } => {
                let (status, retry_after, issue) = unavailable(&error);
                issues.insert(0, issue);
                (status, retry_after, issues)
            }
        };
        let mut response = fhir_json(status, &OperationOutcome::new(issues));
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
