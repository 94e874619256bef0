//! The directory over JSON: organisations, their privacy officers, SMTP relays and webhook
//! endpoints, the joint-case rule's data sources, staff addresses for user warnings, CSV loads
//! of all of these, and the operator's view of failed deliveries and of the user warning's
//! measured effect. Permissions are alerts' (administrators manage, officers read their own).

use crate::accounts::Viewer;
use crate::error::DashboardError;
use crate::workflow_api::actor;
use crate::AppState;
use alerts::{
    DataSource, DirectoryKind, LoadReport, Officer, OrganisationRecord, OrganisationSmtp,
    OutboxEntry, UserContact, WarningEffect, WebhookEndpoint,
};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/organisations", get(organisations))
        .route("/api/v1/organisations/{ods_code}", put(put_organisation))
        .route(
            "/api/v1/organisations/{ods_code}/officers",
            get(officers).post(put_officer),
        )
        .route(
            "/api/v1/organisations/{ods_code}/smtp",
            get(smtp).put(put_smtp).delete(remove_smtp),
        )
        .route("/api/v1/webhooks", get(webhooks).post(put_webhook))
        .route(
            "/api/v1/data-sources",
            get(data_sources).post(put_data_source),
        )
        .route(
            "/api/v1/data-sources/{source_node}",
            delete(remove_data_source),
        )
        .route("/api/v1/user-contacts", post(put_user_contact))
        .route("/api/v1/directory/{kind}", post(load_csv))
        .route("/api/v1/notifications", get(notifications))
        .route("/api/v1/notifications/{id}/retry", post(retry))
        .route("/api/v1/user-warnings/effect", get(warning_effect))
}

async fn organisations(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<OrganisationRecord>>, DashboardError> {
    Ok(Json(
        alerts::list_organisations(&state.pool, &actor(&viewer)).await?,
    ))
}

async fn put_organisation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(ods_code): Path<String>,
    Json(fields): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<StatusCode, DashboardError> {
    // Only the fields the body names change (alerts::update_organisation).
    alerts::update_organisation(&state.pool, &actor(&viewer), &ods_code, fields).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn officers(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(ods_code): Path<String>,
) -> Result<Json<Vec<Officer>>, DashboardError> {
    Ok(Json(
        alerts::list_officers(&state.pool, &actor(&viewer), Some(&ods_code)).await?,
    ))
}

async fn put_officer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(ods_code): Path<String>,
    Json(fields): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<StatusCode, DashboardError> {
    // Only the fields the body names change (alerts::update_officer).
    alerts::update_officer(&state.pool, &actor(&viewer), &ods_code, fields).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn smtp(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(ods_code): Path<String>,
) -> Result<Json<OrganisationSmtp>, DashboardError> {
    alerts::get_organisation_smtp(&state.pool, &actor(&viewer), &ods_code)
        .await?
        .map(Json)
        .ok_or(DashboardError::NotFound)
}

async fn put_smtp(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(ods_code): Path<String>,
    Json(smtp): Json<OrganisationSmtp>,
) -> Result<StatusCode, DashboardError> {
    alerts::put_organisation_smtp(&state.pool, &actor(&viewer), &ods_code, &smtp).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_smtp(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(ods_code): Path<String>,
) -> Result<StatusCode, DashboardError> {
    alerts::remove_organisation_smtp(&state.pool, &actor(&viewer), &ods_code).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn webhooks(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<WebhookEndpoint>>, DashboardError> {
    Ok(Json(
        alerts::list_webhook_endpoints(&state.pool, &actor(&viewer)).await?,
    ))
}

async fn put_webhook(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(endpoint): Json<WebhookEndpoint>,
) -> Result<Json<serde_json::Value>, DashboardError> {
    let id = alerts::put_webhook_endpoint(&state.pool, &actor(&viewer), &endpoint).await?;
    Ok(Json(serde_json::json!({ "id": id })))
}

async fn data_sources(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<DataSource>>, DashboardError> {
    Ok(Json(
        alerts::list_data_sources(&state.pool, &actor(&viewer)).await?,
    ))
}

async fn put_data_source(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(source): Json<DataSource>,
) -> Result<StatusCode, DashboardError> {
    alerts::put_data_source(&state.pool, &actor(&viewer), &source).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_data_source(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(source_node): Path<String>,
) -> Result<StatusCode, DashboardError> {
    alerts::remove_data_source(&state.pool, &actor(&viewer), &source_node).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn put_user_contact(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(contact): Json<UserContact>,
) -> Result<StatusCode, DashboardError> {
    alerts::put_user_contact(&state.pool, &actor(&viewer), &contact).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/directory/{organisations|officers|user-contacts}` with a `text/csv` body.
async fn load_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(kind): Path<String>,
    body: String,
) -> Result<(StatusCode, Json<LoadReport>), DashboardError> {
    let kind = DirectoryKind::parse(&kind).ok_or_else(|| {
        DashboardError::BadRequest(format!(
            "{kind:?}: organisations, officers or user-contacts"
        ))
    })?;
    let report = alerts::load_directory_csv(&state.pool, &actor(&viewer), kind, &body).await?;
    let status = if report.accepted == 0 && report.rejected > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}

#[derive(Debug, Deserialize)]
struct NotificationQuery {
    state: Option<String>,
}

async fn notifications(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<NotificationQuery>,
) -> Result<Json<Vec<OutboxEntry>>, DashboardError> {
    let wanted = query.state.unwrap_or_else(|| "failed".to_owned());
    Ok(Json(
        alerts::list_outbox(&state.pool, &actor(&viewer), &wanted).await?,
    ))
}

async fn retry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, DashboardError> {
    alerts::retry_failed(&state.pool, &actor(&viewer), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct EffectQuery {
    days: Option<i32>,
}

async fn warning_effect(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<EffectQuery>,
) -> Result<Json<WarningEffect>, DashboardError> {
    Ok(Json(
        alerts::warning_effect(&state.pool, &actor(&viewer), query.days.unwrap_or(90)).await?,
    ))
}
