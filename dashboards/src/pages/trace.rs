//! The trace pages: a search form, the patient trace ("who viewed this record") and the user
//! trace ("what did this user view"), with links to download each as a CSV or PDF evidence
//! pack.

use crate::api::{run_trace, TraceQuery};
use crate::error::DashboardError;
use crate::export::Format;
use crate::pages::page;
use crate::roles::Permission;
use crate::trace::Trace;
use crate::viewer::Viewer;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::Timestamp;
use maud::{html, Markup};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    patient: Option<String>,
    user: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `GET /trace`: the form; with a patient or user filled in, goes to that trace.
pub async fn search(
    viewer: Viewer,
    Query(query): Query<SearchQuery>,
) -> Result<Response, DashboardError> {
    viewer.require(Permission::Traces)?;
    let period = format!(
        "?from={}&to={}",
        urlencoding::encode(query.from.as_deref().unwrap_or("")),
        urlencoding::encode(query.to.as_deref().unwrap_or(""))
    );
    let pick = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    if let Some(patient) = pick(&query.patient) {
        return Ok(Redirect::to(&format!(
            "/patients/{}/trace{period}",
            urlencoding::encode(&patient)
        ))
        .into_response());
    }
    if let Some(user) = pick(&query.user) {
        return Ok(Redirect::to(&format!(
            "/users/{}/trace{period}",
            urlencoding::encode(&user)
        ))
        .into_response());
    }
    Ok(page(
        "Traces",
        Some(&viewer),
        html! {
            form.filters method="get" action="/trace" id="trace-search" {
                label { "Patient (NHS number)" input type="text" name="patient"; }
                label { "or user (SDS user id)" input type="text" name="user"; }
                label { "From" input type="date" name="from"; }
                label { "To" input type="date" name="to"; }
                button type="submit" { "Trace" }
            }
            p.small { "Every trace is recorded in careaudit's self-audit." }
        },
    )
    .into_response())
}

pub async fn patient(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(patient_id): Path<String>,
    Query(query): Query<TraceQuery>,
) -> Result<Html<String>, DashboardError> {
    let (trace, relationships) = run_trace(
        &state,
        &viewer,
        "patient",
        &patient_id,
        &query,
        Format::Html,
    )
    .await?;
    let relationships = relationships.unwrap_or_default();
    let extra = html! {
        h2 { "Care relationships" }
        table id="relationships" {
            thead { tr { th { "Kind" } th { "With" } th { "From" } th { "To" } th { "Source" } } }
            tbody { @for r in &relationships { tr {
                td { (r.kind) } td { (r.user_id) " " (r.team) " " (r.org_code) }
                td { (Timestamp::from_seconds_and_millis(r.valid_from, 0)) }
                td { (r.valid_to.map_or("open".to_owned(), |to| Timestamp::from_seconds_and_millis(to, 0).to_string())) }
                td { (r.source_channel) " " code { (r.source_message_id) } }
            } } }
        }
    };
    Ok(render(
        &viewer,
        &trace,
        &format!(
            "/api/v1/patients/{}/trace",
            urlencoding::encode(&patient_id)
        ),
        &query,
        extra,
    ))
}

pub async fn user(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(user_id): Path<String>,
    Query(query): Query<TraceQuery>,
) -> Result<Html<String>, DashboardError> {
    let (trace, _) = run_trace(&state, &viewer, "user", &user_id, &query, Format::Html).await?;
    Ok(render(
        &viewer,
        &trace,
        &format!("/api/v1/users/{}/trace", urlencoding::encode(&user_id)),
        &query,
        html! {},
    ))
}

fn render(
    viewer: &Viewer,
    trace: &Trace,
    api: &str,
    query: &TraceQuery,
    extra: Markup,
) -> Html<String> {
    let period = format!(
        "from={}&to={}",
        urlencoding::encode(query.from.as_deref().unwrap_or("")),
        urlencoding::encode(query.to.as_deref().unwrap_or(""))
    );
    let title = format!(
        "{} trace: {}",
        if trace.subject_kind == "patient" {
            "Patient"
        } else {
            "User"
        },
        trace.subject_id
    );
    page(
        &title,
        Some(viewer),
        html! {
            form.filters method="get" id="period" {
                label { "From" input type="date" name="from" value=(query.from.clone().unwrap_or_default()); }
                label { "To" input type="date" name="to" value=(query.to.clone().unwrap_or_default()); }
                button type="submit" { "Change period" }
            }
            p { (trace.accesses.len()) " access(es) " (trace.period) ", by staff of " (trace.scope) "." }
            @if trace.truncated { p.problem { "The trace reached its row limit: narrow the period." } }
            p.downloads {
                "Evidence pack: "
                a id="download-csv" href={ (api) "?" (period) "&format=csv" } { "CSV" }
                a id="download-pdf" href={ (api) "?" (period) "&format=pdf" } { "PDF" }
            }
            h2 { "By organisation" }
            table id="organisations" {
                thead { tr { th { "Organisation" } th { "Accesses" } th { "Explained" } th { "Unexplained" } th { "Not yet evaluated" } } }
                tbody { @for org in &trace.organisations { tr {
                    td { (org.org_code) } td { (org.accesses) } td { (org.explained) } td { (org.unexplained) } td { (org.not_evaluated) }
                } } }
            }
            h2 { "Accesses" }
            table id="accesses" {
                thead { tr { th { "When" } th { "User" } th { "Organisation" } th { "Action" } th { "Purpose" } th { "Explanation" } th { "Record" } } }
                tbody { @for a in &trace.accesses { tr {
                    td { (a.occurred_at) }
                    td { (a.user_name) " (" (a.user_id) ")" }
                    td { (a.user_org) }
                    td { (a.action) @if a.emergency_access { " — emergency: " (a.emergency_reason) } }
                    td { (a.purpose_of_use.join(", ")) }
                    td class=(if a.explanation.as_ref().is_some_and(|e| e.explained == 1) { "explained" } else { "unexplained" }) { (a.explanation_text()) }
                    td { (a.recorded_patient_id) }
                } } }
            }
            (extra)
        },
    )
}
