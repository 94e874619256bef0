//! careaudit audits itself: every look at audit data through careaudit (a case page, a trace,
//! an evidence pack, a subject access report, a portal query) is recorded in
//! `audit_data_views` (append-only by trigger) before the data is returned, with who looked,
//! what they asked for and how much they were shown. The record is reported on
//! `/reports/self-audit`, so "who has seen this patient's trail?" has an answer.

use crate::viewer::Viewer;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// What was looked at.
#[derive(Debug, Default, Clone)]
pub struct View<'a> {
    /// Which view: `case_page`, `api_case`, `patient_trace`, `user_trace`, `subject_access`,
    /// `fhir_audit_event_search`, ...
    pub view: &'a str,
    pub case_ref: Option<&'a str>,
    pub patient_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    /// The question asked (dates, filters, format) and how many rows were shown.
    pub detail: serde_json::Value,
}

/// Records one look. Callers record before answering, so a failure to record is a failure to
/// answer: nothing is shown that was not recorded.
pub async fn record(pool: &PgPool, viewer: &Viewer, view: View<'_>) -> Result<(), sqlx::Error> {
    let mut detail = if view.detail.is_object() {
        view.detail
    } else {
        serde_json::json!({})
    };
    detail["roles"] = serde_json::json!(viewer.roles_text());
    crate::telemetry::audit_data_view(view.view);
    sqlx::query(
        "INSERT INTO audit_data_views (viewer, view, case_ref, patient_id, user_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&viewer.username)
    .bind(view.view)
    .bind(view.case_ref)
    .bind(view.patient_id)
    .bind(view.user_id)
    .bind(detail)
    .execute(pool)
    .await?;
    Ok(())
}

/// One row of the self-audit report.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SelfAuditRow {
    pub at: DateTime<Utc>,
    pub viewer: String,
    pub view: String,
    pub case_ref: Option<String>,
    pub patient_id: Option<String>,
    pub user_id: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// Filters of the self-audit report (all optional).
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
pub struct SelfAuditFilter {
    /// Looks at this patient's trail.
    pub patient_id: Option<String>,
    /// Looks at this staff user's trail (or cases about them).
    pub user_id: Option<String>,
    /// Looks by this careaudit account.
    pub viewer: Option<String>,
    /// From this date (YYYY-MM-DD, inclusive).
    pub from: Option<String>,
    /// Up to this date (YYYY-MM-DD, inclusive).
    pub to: Option<String>,
}

pub async fn report(
    pool: &PgPool,
    filter: &SelfAuditFilter,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<SelfAuditRow>, sqlx::Error> {
    let blank = |value: &Option<String>| value.clone().filter(|text| !text.trim().is_empty());
    sqlx::query_as(include_str!("self_audit/report.sql"))
        .bind(blank(&filter.patient_id))
        .bind(blank(&filter.user_id))
        .bind(blank(&filter.viewer))
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
}
