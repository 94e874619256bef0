//! The case workflow over JSON (`/api/v1/cases/{reference}/...`): every change names the case
//! version the client read, and a stale one is answered 409 with the current version in the
//! body. The rules (states, scope, who may do what) are alerts' and are not repeated here.

use crate::accounts::Viewer;
use crate::error::DashboardError;
use crate::AppState;
use alerts::{Actor, Changed, Merged, Split, Transition};
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use domain::{CaseState, Disposition};
use serde::Deserialize;

/// The acting person, as alerts sees them.
pub(crate) fn actor(viewer: &Viewer) -> Actor {
    Actor {
        username: viewer.username.clone(),
        roles: viewer.roles.clone(),
    }
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases/{reference}/transition", post(transition))
        .route("/api/v1/cases/{reference}/disposition", post(disposition))
        .route("/api/v1/cases/{reference}/assign", post(assign))
        .route("/api/v1/cases/{reference}/notes", post(note))
        .route("/api/v1/cases/{reference}/merge", post(merge))
        .route("/api/v1/cases/{reference}/split", post(split))
        .route("/api/v1/cases/{reference}/share", post(share))
        .route("/api/v1/cases/{reference}/unshare", post(unshare))
}

#[derive(Debug, Deserialize)]
struct TransitionRequest {
    version: i32,
    to: CaseState,
    disposition: Option<Disposition>,
    reason: Option<String>,
}

async fn transition(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    Json(request): Json<TransitionRequest>,
) -> Result<Json<Changed>, DashboardError> {
    let change = Transition {
        to: request.to,
        disposition: request.disposition,
        reason: request.reason,
    };
    Ok(Json(
        alerts::transition(
            &state.pool,
            &actor(&viewer),
            &reference,
            request.version,
            &change,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize)]
struct DispositionRequest {
    version: i32,
    disposition: Disposition,
    reason: String,
}

async fn disposition(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    Json(request): Json<DispositionRequest>,
) -> Result<Json<Changed>, DashboardError> {
    let changed = alerts::set_disposition(
        &state.pool,
        &actor(&viewer),
        &reference,
        request.version,
        request.disposition,
        &request.reason,
    )
    .await?;
    Ok(Json(changed))
}

#[derive(Debug, Deserialize)]
struct AssignRequest {
    version: i32,
    /// A careaudit username, or null to unassign.
    assignee: Option<String>,
}

async fn assign(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    Json(request): Json<AssignRequest>,
) -> Result<Json<Changed>, DashboardError> {
    let changed = alerts::assign(
        &state.pool,
        &actor(&viewer),
        &reference,
        request.version,
        request.assignee.as_deref(),
    )
    .await?;
    Ok(Json(changed))
}

#[derive(Debug, Deserialize)]
struct NoteRequest {
    version: i32,
    body: String,
}

async fn note(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    Json(request): Json<NoteRequest>,
) -> Result<Json<Changed>, DashboardError> {
    Ok(Json(
        alerts::add_note(
            &state.pool,
            &actor(&viewer),
            &reference,
            request.version,
            &request.body,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize)]
struct MergeRequest {
    version: i32,
    /// The case merged into this one, and the version read of it.
    source: String,
    source_version: i32,
}

async fn merge(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    Json(request): Json<MergeRequest>,
) -> Result<Json<Merged>, DashboardError> {
    let merged = alerts::merge(
        &state.pool,
        &actor(&viewer),
        (&reference, request.version),
        (&request.source, request.source_version),
    )
    .await?;
    Ok(Json(merged))
}

#[derive(Debug, Deserialize)]
struct SplitRequest {
    version: i32,
    finding_ids: Vec<i64>,
    reason: String,
}

async fn split(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    Json(request): Json<SplitRequest>,
) -> Result<Json<Split>, DashboardError> {
    let split = alerts::split(
        &state.pool,
        &actor(&viewer),
        &reference,
        request.version,
        &request.finding_ids,
        &request.reason,
    )
    .await?;
    Ok(Json(split))
}

#[derive(Debug, Deserialize)]
struct ShareRequest {
    version: i32,
    org_code: String,
    reason: String,
}

async fn share(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    Json(request): Json<ShareRequest>,
) -> Result<Json<Changed>, DashboardError> {
    let changed = alerts::share_case(
        &state.pool,
        &actor(&viewer),
        &reference,
        request.version,
        &request.org_code,
        &request.reason,
    )
    .await?;
    Ok(Json(changed))
}

async fn unshare(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    Json(request): Json<ShareRequest>,
) -> Result<Json<Changed>, DashboardError> {
    let changed = alerts::unshare_case(
        &state.pool,
        &actor(&viewer),
        &reference,
        request.version,
        &request.org_code,
        &request.reason,
    )
    .await?;
    Ok(Json(changed))
}
