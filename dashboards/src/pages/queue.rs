//! The case queue page: filters (organisation, rule, severity, state, assignee, dates, search)
//! and the ranked list of the cases the reader may see. Officers tick cases for a bulk action
//! (assign, move to triage, close as appropriate; see [`crate::pages::bulk`]): only the cases
//! they may work get a box, and each box carries the version the queue showed.

use crate::error::DashboardError;
use crate::pages::bulk::BulkAction;
use crate::pages::{csrf_field, select};
use crate::queue::{list, QueueFilter, QueuedCase, SEVERITIES, STATES};
use crate::roles::Permission;
use crate::viewer::Viewer;
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::Html;
use maud::{html, Markup};

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<QueueFilter>,
) -> Result<Html<String>, DashboardError> {
    let scope = viewer.require(Permission::ViewCases)?;
    let cases = list(&state.pool, &scope, &filter).await?;
    // The officers a bulk "assign to" can name: those who may work the listed cases.
    let mut organisations: Vec<String> = cases
        .iter()
        .filter(|case| workable(&viewer, case))
        .flat_map(|case| std::iter::once(&case.org_code).chain(&case.shared_with))
        .cloned()
        .collect();
    organisations.sort();
    organisations.dedup();
    let assignees = if organisations.is_empty() {
        Vec::new()
    } else {
        crate::pages::case_workflow::assignable(&state.pool, &organisations).await?
    };
    Ok(crate::pages::page(
        "Case queue",
        Some(&viewer),
        html! {
            (filters(&filter))
            p.small { (cases.len()) " case(s), open first, ranked by score." }
            (table(&cases, &viewer, &assignees))
        },
    ))
}

fn filters(filter: &QueueFilter) -> Markup {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    html! {
        form.filters method="get" action="/cases" id="filters" {
            label { "Organisation" input type="text" name="org" value=(text(&filter.org)) size="8"; }
            label { "Rule" input type="text" name="rule" value=(text(&filter.rule)) size="16"; }
            label { "Severity" (select("severity", &SEVERITIES, filter.severity.as_deref())) }
            label { "State" (select("state", &STATES, filter.state.as_deref())) }
            label { "Assignee (- = none)" input type="text" name="assignee" value=(text(&filter.assignee)) size="10"; }
            label { "From" input type="date" name="from" value=(text(&filter.from)); }
            label { "To" input type="date" name="to" value=(text(&filter.to)); }
            label { "Case, user or patient" input type="search" name="q" value=(text(&filter.q)); }
            button type="submit" { "Filter" }
            a href="/cases" { "Clear" }
        }
    }
}

/// Whether `viewer` may work `case` (so it gets a bulk-action box).
fn workable(viewer: &Viewer, case: &QueuedCase) -> bool {
    let actor = crate::workflow_api::actor(viewer);
    std::iter::once(&case.org_code)
        .chain(&case.shared_with)
        .any(|org| actor.may_work(org))
}

fn table(cases: &[QueuedCase], viewer: &Viewer, assignees: &[(String, String)]) -> Markup {
    let bulk = viewer.may(Permission::WorkCases) && cases.iter().any(|c| workable(viewer, c));
    let rows = rows(cases, viewer, bulk);
    html! {
        @if cases.is_empty() {
            p { "No cases." }
        } @else if bulk {
            form id="bulk" method="post" action="/cases/bulk" {
                (csrf_field(viewer))
                fieldset.filters {
                    legend { "Bulk action on the ticked cases" }
                    label { "Action "
                        select name="action" {
                            @for (value, label) in BulkAction::CHOICES { option value=(value) { (label) } }
                        }
                    }
                    label { "Officer (for “assign to”) "
                        select name="assignee" {
                            option value="" { "choose…" }
                            @for (username, name) in assignees { option value=(username) { (name) " (" (username) ")" } }
                        }
                    }
                    button type="submit" { "Apply" }
                }
                (rows)
            }
        } @else {
            (rows)
        }
    }
}

fn rows(cases: &[QueuedCase], viewer: &Viewer, bulk: bool) -> Markup {
    html! {
            table id="cases" {
                thead { tr {
                    @if bulk { th { "Tick" } }
                    th { "Case" } th { "Severity" } th { "Score" } th { "State" } th { "Organisation" }
                    th { "User" } th { "Patient(s)" } th { "Last access" } th { "Rules" } th { "Assignee" } th { "Why" }
                } }
                tbody {
                    @for case in cases {
                        tr {
                            @if bulk {
                                td { @if workable(viewer, case) {
                                    input type="checkbox" name="case" value={ (case.reference) ":" (case.version) } aria-label={ "tick " (case.reference) };
                                } }
                            }
                            td { a href={ "/cases/" (case.reference) } { (case.reference) } }
                            td class={ "sev-" (case.severity) } { (case.severity) }
                            td { (format!("{:.1}", case.score)) }
                            td { (case.state) @if let Some(disposition) = &case.disposition { " (" (disposition) ")" } }
                            td { (case.org_code) }
                            td { (case.user_id) }
                            td { (case.patient_id) @if case.patient_count > 1 { " +" (case.patient_count - 1) } }
                            td { (case.last_event_at.format("%Y-%m-%d %H:%M UTC")) }
                            td { (case.rules) }
                            td { (case.assignee) }
                            td { (case.latest_explanation) " (" (case.finding_count) " finding(s))" }
                        }
                    }
                }
            }
    }
}
