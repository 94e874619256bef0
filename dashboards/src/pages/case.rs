//! The case page: everything a privacy officer needs to decide a case — the findings and why
//! each rule fired (with what it measured), the user's accesses to the patient(s) as a
//! timeline with each access explained or not, the patients' care relationships and which
//! access each explained, the demographic-match evidence, the user's activity against their
//! baseline and peer group as a chart, the raw audit payloads, and the case's workflow.

use crate::case_evidence::{Activity, CaseEvidence};
use crate::error::DashboardError;
use crate::pages::case_workflow;
use crate::pages::page as layout;
use crate::roles::Permission;
use crate::viewer::Viewer;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use domain::Timestamp;
use maud::{html, Markup, PreEscaped};

/// `?done=` names the form that just succeeded (the page says so).
#[derive(Debug, Default, serde::Deserialize)]
pub struct CasePageQuery {
    done: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    Query(query): Query<CasePageQuery>,
) -> Result<Html<String>, DashboardError> {
    let evidence = crate::case_evidence::look(
        &state.pool,
        &state.clickhouse,
        &viewer,
        &reference,
        "case_page",
    )
    .await?;
    let summary = &evidence.case.summary;
    let title = format!("Case {}", summary.reference);
    let assignees = if case_workflow::may_work(&viewer, &evidence.case) {
        let organisations: Vec<String> = std::iter::once(summary.org_code.clone())
            .chain(summary.shared_with.iter().cloned())
            .collect();
        case_workflow::assignable(&state.pool, &organisations).await?
    } else {
        Vec::new()
    };
    let done = query.done.as_deref().and_then(case_workflow::done_message);
    let workflow = case_workflow::section(&evidence.case, &viewer, &assignees, chrono::Utc::now());
    let content = html! {
        @if let Some(done) = done { p.done id="done" { (done) } }
        (body(&evidence, &viewer, workflow))
    };
    Ok(layout(&title, Some(&viewer), content))
}

fn yes(flag: bool) -> Markup {
    html! { @if flag { span.match-yes { "yes" } } @else { "no" } }
}

fn when(seconds: u32) -> String {
    Timestamp::from_seconds_and_millis(seconds, 0)
        .to_datetime()
        .format("%Y-%m-%d")
        .to_string()
}

fn body(evidence: &CaseEvidence, viewer: &Viewer, workflow: Markup) -> Markup {
    let summary = &evidence.case.summary;
    html! {
        dl.facts id="facts" {
            dt { "Severity" } dd class={ "sev-" (summary.severity) } { (summary.severity) " (score " (format!("{:.1}", summary.score)) ")" }
            dt { "State" } dd id="state" { (summary.state) @if let Some(d) = summary.disposition.as_deref() { " — " (case_workflow::disposition_text(d)) } }
            dt { "Assignee" } dd id="assignee" { (evidence.assignee.as_deref().unwrap_or("unassigned")) }
            dt { "Organisation" } dd { (summary.org_code) }
            dt { "User" } dd {
                (summary.user_id)
                @if let Some(staff) = &evidence.staff { " — " (staff.name) ", " (staff.job_title) " (" (staff.role_codes.join(", ")) ", " (staff.org_code) @if !staff.team.is_empty() { ", team " (staff.team) } ")" }
                @if viewer.may(Permission::Traces) { " " a href={ "/users/" (urlencoding::encode(&summary.user_id)) "/trace" } { "user trace" } }
            }
            dt { "Patient(s)" } dd {
                @for (index, patient) in evidence.patients.iter().enumerate() {
                    @if index > 0 { ", " }
                    (patient)
                    @if viewer.may(Permission::Traces) { " (" a href={ "/patients/" (urlencoding::encode(patient)) "/trace" } { "trace" } ")" }
                }
            }
            dt { "Accesses" } dd { (summary.first_event_at.format("%Y-%m-%d %H:%M:%S")) " to " (summary.last_event_at.format("%Y-%m-%d %H:%M:%S UTC")) }
        }
        h2 id="workflow" { "Workflow" }
        (workflow)
        h2 { "Findings: why the rules fired" }
        table id="findings" {
            thead { tr { th { "When" } th { "Rule" } th { "Severity" } th { "Why" } th { "What the rule measured" } } }
            tbody {
                @for finding in &evidence.case.findings {
                    @let measured = evidence.finding_evidence.iter().find(|e| e.rule_id == finding.rule_id && e.event_id == finding.event_id);
                    tr {
                        td { (finding.occurred_at.format("%Y-%m-%d %H:%M:%S%.3f UTC")) }
                        td { (finding.rule_id) }
                        td class={ "sev-" (finding.severity) } { (finding.severity) }
                        td { (finding.explanation) }
                        td { @if let Some(m) = measured { @if m.evidence.as_object().is_some_and(|o| !o.is_empty()) { code { (m.evidence.to_string()) } } } }
                    }
                }
            }
        }
        h2 { "Demographic match (patient against the user)" }
        table id="demographics" {
            thead { tr { th { "Patient" } th { "Surname" } th { "Address" } th { "Postcode" } th { "Same surname" } th { "Same address" } th { "Same postcode" } th { "Same sector" } th { "Is the user" } } }
            tbody {
                @for m in &evidence.demographics {
                    tr {
                        td { (m.patient_id) }
                        td { (m.patient_family_name) " / " (m.user_family_name) }
                        td { (m.patient_address) " / " (m.user_address) }
                        td { (m.patient_postcode) " / " (m.user_postcode) }
                        td { (yes(m.same_surname)) } td { (yes(m.same_address)) } td { (yes(m.same_postcode)) }
                        td { (yes(m.same_postcode_sector)) } td { (yes(m.is_self)) }
                    }
                }
            }
        }
        p.small { "Each cell shows the patient's value, then the user's (staff directory)." }
        h2 { "The user's accesses to the patient(s)" }
        table id="access-timeline" {
            thead { tr { th { "When" } th { "Patient" } th { "Action" } th { "Purpose" } th { "From" } th { "Explained by" } } }
            tbody {
                @for access in &evidence.timeline_accesses {
                    tr class=[access.flagged.then_some("flagged")] {
                        td { (access.occurred_at) @if access.flagged { " (finding)" } }
                        td { (access.patient_id) }
                        td { (access.action) @if access.emergency_access { " — emergency access" } }
                        td { (access.purpose_of_use.join(", ")) }
                        td { (access.user_org) " via " (access.source_node) }
                        td {
                            @match &access.explanation {
                                Some(e) if e.explained == 1 => span.explained { (e.kind) " (" (e.binding) ") " code { (e.relationship_id) } },
                                Some(_) => span.unexplained { "unexplained" },
                                None => span.small { "not yet evaluated" },
                            }
                        }
                    }
                }
            }
        }
        h2 { "The patients' care relationships" }
        table id="relationships" {
            thead { tr { th { "Patient" } th { "Kind" } th { "With" } th { "Valid" } th { "Source" } th { "Explained accesses" } } }
            tbody {
                @for relationship in &evidence.relationships {
                    @let explained = evidence.timeline_accesses.iter().filter(|a| a.explanation.as_ref().is_some_and(|e| e.relationship_id == relationship.relationship_id)).count();
                    tr {
                        td { (relationship.patient_id) }
                        td { (relationship.kind) }
                        td { (relationship.user_id) " " (relationship.team) " " (relationship.org_code) }
                        td { (when(relationship.valid_from)) " to " (relationship.valid_to.map_or("open".to_owned(), when)) }
                        td { (relationship.source_channel) " " code { (relationship.source_message_id) } }
                        td { (explained) }
                    }
                }
            }
        }
        @if evidence.relationships.is_empty() { p { "No care relationship is known for the patient(s)." } }
        h2 { "Activity against baseline and peers" }
        (chart(&evidence.activity))
        h2 { "Raw audit payloads" }
        @for access in &evidence.accesses {
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
        h2 id="case-timeline" { "Timeline: every change to the case" }
        (case_workflow::timeline(&evidence.case))
    }
}

/// The user's distinct patients per day (bars) against the mean of their peer group (line)
/// and their own median (dashed), as inline SVG: no script, no external resource.
fn chart(activity: &Activity) -> Markup {
    let (width, height, left, bottom) = (720.0_f64, 200.0_f64, 40.0_f64, 20.0_f64);
    let max = activity
        .days
        .iter()
        .map(|day| (day.patients as f64).max(day.peer_mean))
        .fold(activity.own_median, f64::max)
        .max(1.0);
    let count = activity.days.len().max(1) as f64;
    let step = (width - left) / count;
    let y = |value: f64| height - bottom - value / max * (height - bottom - 10.0);
    let mut svg = format!(
        r##"<svg class="chart" id="activity-chart" viewBox="0 0 {width} {height}" role="img" aria-label="distinct patients per day"><line x1="{left}" y1="{base}" x2="{width}" y2="{base}" stroke="#888"/><text x="2" y="14" font-size="10">{max:.0}</text><text x="2" y="{base}" font-size="10">0</text>"##,
        base = height - bottom
    );
    for (index, day) in activity.days.iter().enumerate() {
        let x = left + index as f64 * step;
        let top = y(day.patients as f64);
        svg.push_str(&format!(
            r##"<rect x="{x:.1}" y="{top:.1}" width="{w:.1}" height="{h:.1}" fill="#005eb8"><title>{d}: {p} patients (peers {m:.1})</title></rect>"##,
            w = (step * 0.8).max(1.0),
            h = (height - bottom - top).max(0.0),
            d = day.day,
            p = day.patients,
            m = day.peer_mean
        ));
    }
    let points: Vec<String> = activity
        .days
        .iter()
        .enumerate()
        .map(|(index, day)| {
            format!(
                "{:.1},{:.1}",
                left + (index as f64 + 0.4) * step,
                y(day.peer_mean)
            )
        })
        .collect();
    svg.push_str(&format!(
        r##"<polyline points="{}" fill="none" stroke="#d5281b" stroke-width="1.5"/><line x1="{left}" y1="{m:.1}" x2="{width}" y2="{m:.1}" stroke="#1b7f3b" stroke-dasharray="4 3"/></svg>"##,
        points.join(" "),
        m = y(activity.own_median)
    ));
    html! {
        (PreEscaped(svg))
        p.small {
            "Bars: the user's distinct patients per day over " (activity.days.len()) " days. Red line: mean per peer ("
            (activity.peers) " peers, " (activity.peer_group) "). Green dashes: the user's own median on active days ("
            (format!("{:.1}", activity.own_median)) ")."
        }
    }
}
