//! The report pages: an index, and each report as tables with its CSV and PDF downloads.

use crate::api::{build_report, report_download, ReportQuery, REPORTS};
use crate::error::DashboardError;
use crate::export::Format;
use crate::pages::page as layout;
use crate::reports::Report;
use crate::roles::Permission;
use crate::viewer::Viewer;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

pub async fn index(viewer: Viewer) -> Result<Response, DashboardError> {
    if !viewer.may(Permission::Reports) && !viewer.may(Permission::SelfAudit) {
        return Err(DashboardError::Forbidden);
    }
    Ok(layout("Reports", Some(&viewer), html! {
        ul id="reports" {
            @if viewer.may(Permission::Reports) {
                li { a href="/reports/governance" { "Monthly governance report" } }
                li { a href="/reports/dspt-coverage" { "DSPT coverage of suspicious behaviours" } }
                li { a href="/reports/rule-performance" { "Rule performance" } }
                li { a href="/reports/breach-log" { "Breach log" } }
            }
            @if viewer.may(Permission::SelfAudit) { li { a href="/reports/self-audit" { "Self-audit: who looked at what" } } }
        }
    }).into_response())
}

/// The tables of a report.
pub fn sections(report: &Report) -> Markup {
    html! {
        @for section in &report.sections {
            h2 { (section.heading) }
            @if !section.note.is_empty() { p.small { (section.note) } }
            table.report {
                thead { tr { @for column in &section.columns { th { (column) } } } }
                tbody { @for row in &section.rows { tr { @for cell in row { td { (cell) } } } } }
            }
            @if section.rows.is_empty() { p { "None." } }
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, DashboardError> {
    if !REPORTS.contains(&name.as_str()) {
        return Err(DashboardError::NotFound);
    }
    let format = Format::parse(query.format.as_deref(), Format::Html)?;
    let report = build_report(&state, &viewer, &name, &query).await?;
    if format != Format::Html {
        return report_download(&report, format);
    }
    let keep =
        |value: &Option<String>| urlencoding::encode(value.as_deref().unwrap_or("")).into_owned();
    let api = format!(
        "/api/v1/reports/{name}?month={}&patient_id={}&user_id={}&viewer={}&from={}&to={}",
        keep(&query.month),
        keep(&query.patient_id),
        keep(&query.user_id),
        keep(&query.viewer),
        keep(&query.from),
        keep(&query.to)
    );
    Ok(layout(&report.title, Some(&viewer), html! {
        form.filters method="get" id="report-filters" {
            @if name == "self-audit" {
                label { "Patient" input type="text" name="patient_id" value=(query.patient_id.clone().unwrap_or_default()); }
                label { "User" input type="text" name="user_id" value=(query.user_id.clone().unwrap_or_default()); }
                label { "careaudit user" input type="text" name="viewer" value=(query.viewer.clone().unwrap_or_default()); }
                label { "From" input type="date" name="from" value=(query.from.clone().unwrap_or_default()); }
                label { "To" input type="date" name="to" value=(query.to.clone().unwrap_or_default()); }
            } @else {
                label { "Month" input type="month" name="month" value=(query.month.clone().unwrap_or_default()); }
            }
            button type="submit" { "Show" }
        }
        p { (report.period) "; organisations: " (report.scope) "." }
        p.downloads { a id="download-csv" href={ (api) "&format=csv" } { "CSV" } a id="download-pdf" href={ (api) "&format=pdf" } { "PDF" } }
        (sections(&report))
    }).into_response())
}
