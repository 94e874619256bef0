//! `/api/v1/suppressions`: list, create and revoke suppressions through alerts' suppression
//! API (which checks and audits every change). Privacy officers act for their own
//! organisations, administrators for all; other roles may list what they can see.

use crate::accounts::Viewer;
use crate::error::DashboardError;
use crate::AppState;
use alerts::{NewSuppression, Suppression, SuppressionError};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

impl From<SuppressionError> for DashboardError {
    fn from(error: SuppressionError) -> Self {
        match error {
            SuppressionError::Invalid(text) => Self::BadRequest(text),
            SuppressionError::NotFound => Self::NotFound,
            SuppressionError::Postgres(error) => Self::Postgres(error),
        }
    }
}

fn may_manage(viewer: &Viewer) -> Result<(), DashboardError> {
    let allowed = viewer
        .roles
        .iter()
        .any(|(role, _)| role == "privacy_officer" || role == "administrator");
    if allowed {
        Ok(())
    } else {
        Err(DashboardError::Forbidden)
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    include_inactive: bool,
}

#[derive(Debug, Serialize)]
pub struct SuppressionList {
    suppressions: Vec<Suppression>,
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Json<SuppressionList>, DashboardError> {
    let suppressions =
        alerts::list_suppressions(&state.pool, &viewer.scope(), query.include_inactive).await?;
    Ok(Json(SuppressionList { suppressions }))
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(request): Json<NewSuppression>,
) -> Result<Json<Suppression>, DashboardError> {
    may_manage(&viewer)?;
    let created =
        alerts::create_suppression(&state.pool, &viewer.scope(), &viewer.username, request).await?;
    Ok(Json(created))
}

#[derive(Debug, Deserialize)]
pub struct Revocation {
    reason: String,
}

pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(revocation): Json<Revocation>,
) -> Result<Json<Suppression>, DashboardError> {
    may_manage(&viewer)?;
    let revoked = alerts::revoke_suppression(
        &state.pool,
        &viewer.scope(),
        &viewer.username,
        id,
        &revocation.reason,
    )
    .await?;
    Ok(Json(revoked))
}
