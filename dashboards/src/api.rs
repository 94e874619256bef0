//! The JSON API (`/api/v1`): the same data as the pages, for scripts and integrations.

use crate::accounts::Viewer;
use crate::error::DashboardError;
use crate::evidence::{case_accesses, record_case_view, AccessEvidence};
use crate::AppState;
use alerts::{CaseDetail, CaseFilter, CaseSummary};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    limit: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct CaseList {
    cases: Vec<CaseSummary>,
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Json<CaseList>, DashboardError> {
    let filter = CaseFilter {
        state: query.state,
        limit: query.limit,
    };
    let cases = alerts::list_cases(&state.pool, &viewer.scope(), &filter).await?;
    Ok(Json(CaseList { cases }))
}

#[derive(Debug, Serialize)]
pub struct CaseWithEvidence {
    #[serde(flatten)]
    case: CaseDetail,
    accesses: Vec<AccessEvidence>,
}

pub async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
) -> Result<Json<CaseWithEvidence>, DashboardError> {
    let case = alerts::get_case(&state.pool, &viewer.scope(), &reference)
        .await?
        .ok_or(DashboardError::NotFound)?;
    let accesses = case_accesses(&state.clickhouse, &case).await?;
    record_case_view(&state.pool, &viewer, "api_case", &case).await?;
    Ok(Json(CaseWithEvidence { case, accesses }))
}
