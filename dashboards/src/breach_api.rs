//! The breach log over JSON: marking a case as a potential personal data breach (the 72-hour
//! clock starts at `aware_at`), filling in its facts, recording the reporting decision, and
//! the log itself as JSON or CSV (`?format=csv`) for the IG lead and the ICO.

use crate::accounts::Viewer;
use crate::error::DashboardError;
use crate::workflow_api::actor;
use crate::AppState;
use alerts::{BreachDecision, BreachFacts, BreachFilter, BreachLogEntry, Changed};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases/{reference}/breach", post(mark).patch(update))
        .route("/api/v1/cases/{reference}/breach/decision", post(decide))
        .route("/api/v1/breaches", get(log))
}

#[derive(Debug, Deserialize)]
struct MarkRequest {
    version: i32,
    /// When the organisation became aware (RFC 3339); default now.
    aware_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    facts: BreachFacts,
}

async fn mark(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    Json(request): Json<MarkRequest>,
) -> Result<Json<Changed>, DashboardError> {
    let changed = alerts::mark_potential_breach(
        &state.pool,
        &actor(&viewer),
        &reference,
        request.version,
        request.aware_at,
        &request.facts,
    )
    .await?;
    Ok(Json(changed))
}

#[derive(Debug, Deserialize)]
struct UpdateRequest {
    version: i32,
    #[serde(flatten)]
    facts: BreachFacts,
}

async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    Json(request): Json<UpdateRequest>,
) -> Result<Json<Changed>, DashboardError> {
    Ok(Json(
        alerts::update_breach(
            &state.pool,
            &actor(&viewer),
            &reference,
            request.version,
            &request.facts,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize)]
struct DecideRequest {
    version: i32,
    #[serde(flatten)]
    decision: BreachDecision,
}

async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    Json(request): Json<DecideRequest>,
) -> Result<Json<Changed>, DashboardError> {
    Ok(Json(
        alerts::decide_breach(
            &state.pool,
            &actor(&viewer),
            &reference,
            request.version,
            &request.decision,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize)]
struct LogQuery {
    decision: Option<String>,
    case_reference: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

#[derive(Debug, Serialize)]
struct BreachLog {
    breaches: Vec<BreachLogEntry>,
}

async fn log(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<LogQuery>,
) -> Result<Response, DashboardError> {
    let filter = BreachFilter {
        case_reference: query.case_reference,
        decision: query.decision,
    };
    let breaches = alerts::breach_log(&state.pool, &actor(&viewer), &filter).await?;
    match query.format.as_deref() {
        None | Some("json") => Ok(Json(BreachLog { breaches }).into_response()),
        Some("csv") => {
            let csv = alerts::breach_log_csv(&breaches)?;
            let headers = [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"careaudit-breach-log.csv\"",
                ),
            ];
            Ok((headers, csv).into_response())
        }
        Some(other) => Err(DashboardError::BadRequest(format!(
            "format {other:?}: json or csv"
        ))),
    }
}
