//! Server-rendered HTML pages (maud escapes every value). Plain, fast, and usable without
//! JavaScript.

use crate::accounts::Viewer;
use crate::error::DashboardError;
use crate::evidence::{case_accesses, record_case_view, AccessEvidence};
use crate::AppState;
use alerts::{CaseDetail, CaseFilter, CaseSummary};
use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1d1d1f}\
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}\
th{background:#f4f4f6}.sev-critical,.sev-high{color:#b00020;font-weight:600}.sev-medium{color:#a15c00}\
pre{background:#f6f8fa;padding:.5rem;overflow:auto;max-height:20rem;font-size:.8rem}nav a{margin-right:1rem}";

fn layout(title: &str, viewer: &Viewer, body: Markup) -> Html<String> {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " — careaudit" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                nav { a href="/cases" { "Case queue" } span { "Signed in as " (viewer.display_name) } }
                h1 { (title) }
                (body)
            }
        }
    };
    Html(page.into_string())
}

pub async fn home() -> Redirect {
    Redirect::to("/cases")
}

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    state: Option<String>,
}

pub async fn case_queue(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<QueueQuery>,
) -> Result<Html<String>, DashboardError> {
    let filter = CaseFilter {
        state: query.state.filter(|value| !value.is_empty()),
        limit: None,
    };
    let cases = alerts::list_cases(&state.pool, &viewer.scope(), &filter).await?;
    Ok(layout("Case queue", &viewer, queue_table(&cases)))
}

fn queue_table(cases: &[CaseSummary]) -> Markup {
    html! {
        @if cases.is_empty() {
            p { "No cases." }
        } @else {
            table id="cases" {
                thead { tr {
                    th { "Case" } th { "Severity" } th { "State" } th { "Organisation" } th { "User" }
                    th { "Patient" } th { "When" } th { "Rule" } th { "Why" }
                } }
                tbody {
                    @for case in cases {
                        tr {
                            td { a href={ "/cases/" (case.reference) } { (case.reference) } }
                            td class={ "sev-" (case.severity) } { (case.severity) }
                            td { (case.state) }
                            td { (case.org_code) }
                            td { (case.user_id) }
                            td { (case.patient_id) }
                            td { (case.last_event_at.format("%Y-%m-%d %H:%M:%S UTC")) }
                            td { (case.rules) }
                            td { (case.latest_explanation) " (" (case.finding_count) " finding(s))" }
                        }
                    }
                }
            }
        }
    }
}

pub async fn case_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
) -> Result<Html<String>, DashboardError> {
    let case = alerts::get_case(&state.pool, &viewer.scope(), &reference)
        .await?
        .ok_or(DashboardError::NotFound)?;
    let accesses = case_accesses(&state.clickhouse, &case).await?;
    record_case_view(&state.pool, &viewer, "case_page", &case).await?;
    let title = format!("Case {}", case.summary.reference);
    Ok(layout(&title, &viewer, case_body(&case, &accesses)))
}

fn case_body(case: &CaseDetail, accesses: &[AccessEvidence]) -> Markup {
    let summary = &case.summary;
    html! {
        dl {
            dt { "Severity" } dd class={ "sev-" (summary.severity) } { (summary.severity) " (score " (format!("{:.1}", summary.score)) ")" }
            dt { "State" } dd { (summary.state) }
            dt { "Organisation" } dd { (summary.org_code) }
            dt { "User" } dd { (summary.user_id) }
            dt { "Patient" } dd { (summary.patient_id) }
            dt { "Accesses" } dd { (summary.first_event_at.format("%Y-%m-%d %H:%M:%S")) " to " (summary.last_event_at.format("%Y-%m-%d %H:%M:%S UTC")) }
        }
        h2 { "Findings" }
        table id="findings" {
            thead { tr { th { "When" } th { "Rule" } th { "Severity" } th { "Why" } } }
            tbody {
                @for finding in &case.findings {
                    tr {
                        td { (finding.occurred_at.format("%Y-%m-%d %H:%M:%S%.3f UTC")) }
                        td { (finding.rule_id) }
                        td class={ "sev-" (finding.severity) } { (finding.severity) }
                        td { (finding.explanation) }
                    }
                }
            }
        }
        h2 { "Accesses (audit trail)" }
        @for access in accesses {
            section.access {
                h3 { (access.occurred_at) " — " (access.user_name) " (" (access.user_id) ")" }
                ul {
                    li { "Action: " (access.action) ", outcome " (access.outcome) }
                    li { "Organisation: " (access.user_org) "; roles: " (access.user_roles.join(", ")) }
                    li { "Purpose of use: " (access.purpose_of_use.join(", ")) }
                    @if !access.emergency_reason.is_empty() { li { "Emergency access reason: " (access.emergency_reason) } }
                    li { "Data: " (access.data_entities.join(", ")) }
                    li { "From " (access.client_address) " via " (access.source_node) " (" (access.channel) "), received " (access.received_at) }
                }
                details { summary { "Raw audit payload (" (access.raw_format) ")" } pre { (access.raw_payload) } }
            }
        }
        h2 { "Timeline" }
        table id="timeline" {
            thead { tr { th { "When" } th { "Who" } th { "What" } th { "Detail" } } }
            tbody {
                @for entry in &case.timeline {
                    tr {
                        td { (entry.at.format("%Y-%m-%d %H:%M:%S UTC")) }
                        td { (entry.actor) }
                        td { (entry.action) }
                        td { code { (entry.detail.to_string()) } }
                    }
                }
            }
        }
    }
}
