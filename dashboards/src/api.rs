//! The JSON API (`/api/v1`): the same data as the pages, for scripts and integrations, plus
//! the downloads (CSV and PDF evidence packs and reports). Each handler checks the reader's
//! permission, answers within their scope, and records every look at audit data in the
//! self-audit before answering. The OpenAPI document is built from the annotations here.

use crate::case_evidence::CaseEvidence;
use crate::error::DashboardError;
use crate::evidence_pack::{prove, IntegrityProof};
use crate::export::{download, trace_csv, trace_pdf, Format, PackMeta};
use crate::queue::{list, QueueFilter, QueuedCase};
use crate::reports::Report;
use crate::roles::Permission;
use crate::self_audit::{self, SelfAuditFilter, View};
use crate::subject_access::SubjectAccessReport;
use crate::trace::{
    patient_identities, patient_relationships, patient_trace_of, user_trace, Period, Trace,
    TracedRelationship,
};
use crate::viewer::Viewer;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    username: String,
    display_name: String,
    roles: Vec<RoleGrant>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoleGrant {
    role: String,
    /// The organisation the role is for; absent = every organisation.
    org_code: Option<String>,
}

/// Who is signed in, with their roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = Me), (status = 401, description = "not signed in")))]
pub async fn me(viewer: Viewer) -> Json<Me> {
    Json(Me {
        roles: viewer
            .roles
            .iter()
            .map(|(role, org_code)| RoleGrant {
                role: role.clone(),
                org_code: org_code.clone(),
            })
            .collect(),
        username: viewer.username,
        display_name: viewer.display_name,
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseList {
    cases: Vec<QueuedCase>,
}

/// The case queue, ranked, filtered and scoped to the reader's organisations.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(QueueFilter),
    responses((status = 200, body = CaseList), (status = 400, description = "a filter value is invalid"), (status = 403, description = "no role grants cases")))]
pub async fn list_cases(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<QueueFilter>,
) -> Result<Json<CaseList>, DashboardError> {
    let scope = viewer.require(Permission::ViewCases)?;
    Ok(Json(CaseList {
        cases: list(&state.pool, &scope, &filter).await?,
    }))
}

/// One case with all its evidence (recorded in the self-audit).
#[utoipa::path(get, path = "/api/v1/cases/{reference}", tag = "cases",
    params(("reference" = String, Path, description = "case reference, e.g. CA-000001")),
    responses((status = 200, description = "the case, its findings, timeline and evidence"), (status = 404, description = "no such case in the reader's scope")))]
pub async fn case_detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
) -> Result<Json<CaseEvidence>, DashboardError> {
    let evidence = crate::case_evidence::look(
        &state.pool,
        &state.clickhouse,
        &viewer,
        &reference,
        "api_case",
    )
    .await?;
    Ok(Json(evidence))
}

/// The period and format of a trace.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct TraceQuery {
    /// Start: a date (YYYY-MM-DD) or RFC 3339 time; default the beginning.
    pub from: Option<String>,
    /// End: a date (inclusive) or RFC 3339 time (exclusive); default now.
    pub to: Option<String>,
    /// `json` (default), `csv` or `pdf` (evidence packs with the integrity proof).
    pub format: Option<String>,
    /// With `json`: include the integrity proof of every access.
    pub integrity: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TraceAnswer {
    #[serde(flatten)]
    trace: Trace,
    #[serde(skip_serializing_if = "Option::is_none")]
    relationships: Option<Vec<TracedRelationship>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    integrity: Option<IntegrityProof>,
}

/// Runs a trace the reader may run and records it in the self-audit.
pub(crate) async fn run_trace(
    state: &AppState,
    viewer: &Viewer,
    subject_kind: &str,
    subject_id: &str,
    query: &TraceQuery,
    format: Format,
) -> Result<(Trace, Option<Vec<TracedRelationship>>), DashboardError> {
    let scope = viewer.require(Permission::Traces)?;
    if subject_id.trim().is_empty() {
        return Err(DashboardError::BadRequest(
            "say whose trace: the id is empty".to_owned(),
        ));
    }
    let period = Period::parse(query.from.as_deref(), query.to.as_deref())?;
    // A patient's relationships are shown with the trace on a page and in JSON (read
    // concurrently with the accesses); evidence packs carry the accesses only.
    let with_relationships =
        subject_kind == "patient" && matches!(format, Format::Html | Format::Json);
    let (trace, relationships) = if subject_kind == "patient" {
        let identities = patient_identities(&state.clickhouse, subject_id).await?;
        let relationships = async {
            if with_relationships {
                Ok(Some(
                    patient_relationships(&state.clickhouse, &identities).await?,
                ))
            } else {
                Ok::<_, DashboardError>(None)
            }
        };
        tokio::try_join!(
            patient_trace_of(&state.clickhouse, subject_id, &identities, period, &scope),
            relationships
        )?
    } else {
        (
            user_trace(&state.clickhouse, subject_id, period, &scope).await?,
            None,
        )
    };
    let (patient_id, user_id) = if subject_kind == "patient" {
        (Some(subject_id), None)
    } else {
        (None, Some(subject_id))
    };
    self_audit::record(
        &state.pool,
        viewer,
        View {
            view: if subject_kind == "patient" {
                "patient_trace"
            } else {
                "user_trace"
            },
            patient_id,
            user_id,
            detail: serde_json::json!({
                "from": query.from, "to": query.to, "format": format.as_str(),
                "rows": trace.accesses.len(), "truncated": trace.truncated,
            }),
            ..View::default()
        },
    )
    .await?;
    Ok((trace, relationships))
}

async fn trace_response(
    state: AppState,
    viewer: Viewer,
    subject_kind: &str,
    subject_id: String,
    query: TraceQuery,
) -> Result<Response, DashboardError> {
    let format = Format::parse(query.format.as_deref(), Format::Json)?;
    let (trace, relationships) =
        run_trace(&state, &viewer, subject_kind, &subject_id, &query, format).await?;
    let wants_proof = format != Format::Json || query.integrity == Some(true);
    let proof = if wants_proof {
        Some(prove(&state.clickhouse, &trace.accesses).await?)
    } else {
        None
    };
    let meta = PackMeta {
        title: format!("careaudit evidence pack: {subject_kind} trace of {subject_id}"),
        generated_by: format!("{} ({})", viewer.display_name, viewer.username),
        generated_at: domain::Timestamp::now().to_string(),
    };
    let file = format!("careaudit-{subject_kind}-trace-{subject_id}");
    match (format, proof) {
        (Format::Csv, Some(proof)) => Ok(download(
            trace_csv(&trace, &proof, &meta)?,
            "text/csv; charset=utf-8",
            &format!("{file}.csv"),
        )),
        (Format::Pdf, Some(proof)) => Ok(download(
            trace_pdf(&trace, &proof, &meta),
            "application/pdf",
            &format!("{file}.pdf"),
        )),
        (Format::Html, _) => Err(DashboardError::BadRequest(
            "the API answers json, csv or pdf".to_owned(),
        )),
        (_, proof) => Ok(Json(TraceAnswer {
            trace,
            relationships,
            integrity: proof,
        })
        .into_response()),
    }
}

/// Who viewed this patient's record (and records merged into it), each access explained or
/// not; as JSON, or as a CSV or PDF evidence pack carrying the integrity proof.
#[utoipa::path(get, path = "/api/v1/patients/{patient_id}/trace", tag = "traces",
    params(("patient_id" = String, Path, description = "NHS number, or authority|value"), TraceQuery),
    responses((status = 200, body = TraceAnswer, description = "JSON, or text/csv / application/pdf with format"), (status = 400, description = "bad period or format"), (status = 403, description = "no role grants traces")))]
pub async fn patient_trace_api(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(patient_id): Path<String>,
    Query(query): Query<TraceQuery>,
) -> Result<Response, DashboardError> {
    trace_response(state, viewer, "patient", patient_id, query).await
}

/// What this user viewed; JSON, CSV or PDF as for the patient trace.
#[utoipa::path(get, path = "/api/v1/users/{user_id}/trace", tag = "traces",
    params(("user_id" = String, Path, description = "the user's SDS user id"), TraceQuery),
    responses((status = 200, body = TraceAnswer, description = "JSON, or text/csv / application/pdf with format"), (status = 400, description = "bad period or format"), (status = 403, description = "no role grants traces")))]
pub async fn user_trace_api(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(user_id): Path<String>,
    Query(query): Query<TraceQuery>,
) -> Result<Response, DashboardError> {
    trace_response(state, viewer, "user", user_id, query).await
}

/// Builds a subject access report the reader may build and records it in the self-audit.
pub(crate) async fn run_subject_access(
    state: &AppState,
    viewer: &Viewer,
    patient_id: &str,
    query: &TraceQuery,
    format: Format,
) -> Result<SubjectAccessReport, DashboardError> {
    let scope = viewer.require(Permission::SubjectAccess)?;
    let period = Period::parse(query.from.as_deref(), query.to.as_deref())?;
    let report = crate::subject_access::report(
        &state.pool,
        &state.clickhouse,
        &state.settings.subject_access,
        patient_id,
        period,
        &scope,
    )
    .await?;
    self_audit::record(&state.pool, viewer, View {
        view: "subject_access",
        patient_id: Some(patient_id),
        detail: serde_json::json!({"from": query.from, "to": query.to, "format": format.as_str(), "rows": report.entries.len()}),
        ..View::default()
    }).await?;
    Ok(report)
}

/// The subject access report of a patient: dates, organisations, purposes, and staff names or
/// roles as configured.
#[utoipa::path(get, path = "/api/v1/patients/{patient_id}/subject-access", tag = "subject access",
    params(("patient_id" = String, Path, description = "NHS number"), TraceQuery),
    responses((status = 200, body = SubjectAccessReport, description = "JSON, or text/csv / application/pdf with format"), (status = 403, description = "no role grants subject access reports")))]
pub async fn subject_access_api(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(patient_id): Path<String>,
    Query(query): Query<TraceQuery>,
) -> Result<Response, DashboardError> {
    let format = Format::parse(query.format.as_deref(), Format::Json)?;
    let report = run_subject_access(&state, &viewer, &patient_id, &query, format).await?;
    let file = format!("careaudit-subject-access-{patient_id}");
    match format {
        Format::Csv => Ok(download(
            crate::pages::subject_access::as_report(&report).to_csv()?,
            "text/csv; charset=utf-8",
            &format!("{file}.csv"),
        )),
        Format::Pdf => Ok(download(
            crate::pages::subject_access::as_report(&report).to_pdf(),
            "application/pdf",
            &format!("{file}.pdf"),
        )),
        _ => Ok(Json(report).into_response()),
    }
}

/// A report's month, format and (for the self-audit) filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// The month, YYYY-MM (default: the previous month; the breach log: all time).
    pub month: Option<String>,
    /// `json` (default), `csv` or `pdf`.
    pub format: Option<String>,
    /// Self-audit only: looks at this patient's trail.
    pub patient_id: Option<String>,
    /// Self-audit only: looks at this user's trail.
    pub user_id: Option<String>,
    /// Self-audit only: looks by this careaudit account.
    pub viewer: Option<String>,
    /// Self-audit only: from this date.
    pub from: Option<String>,
    /// Self-audit only: up to this date.
    pub to: Option<String>,
}

/// The names of the reports.
pub const REPORTS: [&str; 5] = [
    "governance",
    "dspt-coverage",
    "rule-performance",
    "breach-log",
    "self-audit",
];

/// Builds the report `name` for the reader.
pub(crate) async fn build_report(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
    query: &ReportQuery,
) -> Result<Report, DashboardError> {
    let month = query.month.as_deref();
    match name {
        "self-audit" => {
            viewer.require(Permission::SelfAudit)?;
            let filter = SelfAuditFilter {
                patient_id: query.patient_id.clone(),
                user_id: query.user_id.clone(),
                viewer: query.viewer.clone(),
                from: query.from.clone(),
                to: query.to.clone(),
            };
            crate::reports::self_audit_report(&state.pool, &filter).await
        }
        "governance" => {
            crate::reports::governance(
                &state.pool,
                &state.clickhouse,
                &viewer.require(Permission::Reports)?,
                month,
            )
            .await
        }
        "dspt-coverage" => {
            crate::reports::dspt_coverage(&state.pool, &viewer.require(Permission::Reports)?, month)
                .await
        }
        "rule-performance" => {
            crate::reports::rule_performance(
                &state.pool,
                &state.clickhouse,
                &viewer.require(Permission::Reports)?,
                month,
            )
            .await
        }
        "breach-log" => {
            crate::reports::breach_log(&state.pool, &viewer.require(Permission::Reports)?, month)
                .await
        }
        _ => Err(DashboardError::NotFound),
    }
}

pub(crate) fn report_download(report: &Report, format: Format) -> Result<Response, DashboardError> {
    let file = format!(
        "careaudit-{}-{}",
        report.name,
        report.period.split_whitespace().next().unwrap_or("report")
    );
    match format {
        Format::Csv => Ok(download(
            report.to_csv()?,
            "text/csv; charset=utf-8",
            &format!("{file}.csv"),
        )),
        Format::Pdf => Ok(download(
            report.to_pdf(),
            "application/pdf",
            &format!("{file}.pdf"),
        )),
        _ => Ok(Json(report).into_response()),
    }
}

/// A report: `governance`, `dspt-coverage`, `rule-performance`, `breach-log` or `self-audit`.
#[utoipa::path(get, path = "/api/v1/reports/{report}", tag = "reports",
    params(("report" = String, Path, description = "governance, dspt-coverage, rule-performance, breach-log or self-audit"), ReportQuery),
    responses((status = 200, body = Report, description = "JSON, or text/csv / application/pdf with format"), (status = 403, description = "no role grants this report"), (status = 404, description = "no such report")))]
pub async fn report_api(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, DashboardError> {
    let format = Format::parse(query.format.as_deref(), Format::Json)?;
    let report = build_report(&state, &viewer, &name, &query).await?;
    report_download(&report, format)
}
