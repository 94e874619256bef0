//! The case page's workflow, for people in a browser: the forms that assign a case, move it
//! along new → triage → investigating → closed (a disposition to close, a reason to reopen),
//! add a note, mark it as a potential personal data breach (the ICO's 72-hour clock) and record
//! the reporting decision, with the breach log entry and its deadline; and the case's timeline
//! in words. The handlers behind the forms are in [`crate::pages::case_forms`]. Every form
//! carries the case version the page showed, so a change made meanwhile by someone else is
//! refused, never applied over it.

use crate::error::DashboardError;
use crate::pages::csrf_field;
use crate::viewer::Viewer;
use crate::workflow_api::actor;
use alerts::{BreachLogEntry, CaseDetail};
use chrono::{DateTime, Utc};
use domain::{CaseState, Disposition};
use maud::{html, Markup};

/// How each disposition reads on the page.
pub(crate) fn disposition_label(disposition: Disposition) -> &'static str {
    match disposition {
        Disposition::Appropriate => "appropriate",
        Disposition::InappropriateEducation => "inappropriate — education",
        Disposition::InappropriateDisciplinary => "inappropriate — disciplinary",
        Disposition::ReportedToIco => "reported to ICO",
        Disposition::UnableToDetermine => "unable to determine",
    }
}

pub(crate) fn disposition_text(raw: &str) -> String {
    raw.parse::<Disposition>()
        .map_or_else(|_| raw.to_owned(), |d| disposition_label(d).to_owned())
}

/// The messages a successful form leaves on the page it redirects to (`?done=`).
pub(crate) fn done_message(done: &str) -> Option<&'static str> {
    Some(match done {
        "assigned" => "The assignment was saved.",
        "state" => "The case was moved.",
        "note" => "The note was added.",
        "breach" => "The case is in the breach log; the ICO's 72-hour clock runs from the time of awareness.",
        "decision" => "The reporting decision was recorded.",
        "facts" => "The breach log entry was updated.",
        _ => return None,
    })
}

/// Accounts that may be assigned a case of these organisations (their privacy officers and
/// administrators), as (username, display name).
pub(crate) async fn assignable(
    pool: &sqlx::PgPool,
    organisations: &[String],
) -> Result<Vec<(String, String)>, DashboardError> {
    Ok(
        sqlx::query_as(include_str!("case_workflow/assignable_accounts.sql"))
            .bind(organisations)
            .fetch_all(pool)
            .await?,
    )
}

/// Whether `viewer` may change `case` (an officer or administrator of its organisation or of
/// one it is shared with), so that the page shows the forms only to them.
pub(crate) fn may_work(viewer: &Viewer, case: &CaseDetail) -> bool {
    let actor = actor(viewer);
    std::iter::once(&case.summary.org_code)
        .chain(&case.summary.shared_with)
        .any(|org| actor.may_work(org))
}

/// The workflow section of the case page: the forms (for those who may work the case), the
/// breach log entry with its deadline, and the notes.
pub(crate) fn section(
    case: &CaseDetail,
    viewer: &Viewer,
    assignees: &[(String, String)],
    now: DateTime<Utc>,
) -> Markup {
    let summary = &case.summary;
    let action = |what: &str| format!("/cases/{}/{what}", urlencoding::encode(&summary.reference));
    let state: Option<CaseState> = summary.state.parse().ok();
    let version = summary.version.to_string();
    let hidden = html! {
        (csrf_field(viewer))
        input type="hidden" name="version" value=(version);
    };
    let next_states: Vec<CaseState> = [CaseState::Triage, CaseState::Investigating]
        .into_iter()
        .filter(|to| {
            // A closed case goes back only through the reopen form (it needs a reason).
            state.is_some_and(|from| {
                from != CaseState::Closed && alerts::transition_allowed(from, *to)
            })
        })
        .collect();
    html! {
        @if let Some(breach) = &case.breach { (breach_facts(breach, now)) }
        @if summary.merged_into.is_some() {
            p { "This case was merged into " (summary.merged_into.as_deref().unwrap_or_default()) "; work that one instead." }
        } @else if !may_work(viewer, case) {
            p.small { "Your role may read this case but not change it." }
        } @else {
            div.workflow id="workflow-forms" {
                form id="assign-me" method="post" action=(action("assign")) {
                    (hidden)
                    input type="hidden" name="assignee" value="me";
                    button type="submit" { "Assign to me" }
                }
                form id="assign" method="post" action=(action("assign")) {
                    (hidden)
                    label { "Assign to "
                        select name="assignee" {
                            option value="" { "nobody (unassign)" }
                            @for (username, name) in assignees {
                                option value=(username) selected[summary.assignee.as_ref() == Some(username)] { (name) " (" (username) ")" }
                            }
                        }
                    }
                    button type="submit" { "Assign" }
                }
                @if !next_states.is_empty() {
                    form id="move" method="post" action=(action("state")) {
                        (hidden)
                        label { "Reason (optional) " input type="text" name="reason" size="30"; }
                        @for to in &next_states {
                            button type="submit" name="to" value=(to.as_str()) { "Move to " (to.as_str()) }
                        }
                    }
                }
                @if state.is_some_and(|s| s != CaseState::Closed) {
                    form id="close" method="post" action=(action("state")) {
                        (hidden)
                        input type="hidden" name="to" value="closed";
                        label { "Disposition "
                            select name="disposition" required {
                                option value="" { "choose…" }
                                @for disposition in Disposition::ALL {
                                    option value=(disposition.as_str()) { (disposition_label(disposition)) }
                                }
                            }
                        }
                        label { "Reason (optional) " input type="text" name="reason" size="30"; }
                        button type="submit" { "Close the case" }
                    }
                }
                @if state == Some(CaseState::Closed) {
                    form id="reopen" method="post" action=(action("state")) {
                        (hidden)
                        label { "Reopen into "
                            select name="to" {
                                option value="triage" { "triage" }
                                option value="investigating" { "investigating" }
                            }
                        }
                        label { "Reason " input type="text" name="reason" size="30" required; }
                        button type="submit" { "Reopen" }
                    }
                }
                form id="note" method="post" action=(action("notes")) {
                    (hidden)
                    label { "Note " textarea name="body" rows="3" cols="60" required {} }
                    button type="submit" { "Add the note" }
                }
                @if case.breach.is_none() && state.is_some_and(|s| s != CaseState::Closed) {
                    form id="mark-breach" method="post" action=(action("breach")) {
                        (hidden)
                        p.small { "A potential personal data breach enters the breach log; the ICO expects a report within "
                            (alerts::REPORTING_WINDOW_HOURS) " hours of the organisation becoming aware." }
                        label { "Became aware at (UTC, empty = now) " input type="datetime-local" name="aware_at"; }
                        label { "What happened " textarea name="what_happened" rows="2" cols="60" {} }
                        button type="submit" { "Mark as a potential breach" }
                    }
                }
                @if case.breach.as_ref().is_some_and(|b| b.decision == "pending") {
                    form id="breach-decision" method="post" action=(action("breach/decision")) {
                        (hidden)
                        label.choice { input type="radio" name="decision" value="reported" required; " Reported to the ICO, reference " input type="text" name="ico_reference" size="16"; }
                        label.choice { input type="radio" name="decision" value="not_reported"; " Not reported, because " input type="text" name="reason" size="40"; }
                        button type="submit" { "Record the decision" }
                    }
                }
                @if let Some(breach) = &case.breach {
                    form id="breach-facts" method="post" action=(action("breach/facts")) {
                        (hidden)
                        label { "What happened " textarea name="what_happened" rows="2" cols="40" { (breach.what_happened) } }
                        label { "Data affected " textarea name="data_affected" rows="2" cols="40" { (breach.data_affected) } }
                        label { "People affected " input type="number" name="people_affected" min="0" value=(breach.people_affected.map(|n| n.to_string()).unwrap_or_default()); }
                        label { "Likely effects " textarea name="likely_effects" rows="2" cols="40" { (breach.likely_effects) } }
                        label { "Remedial action " textarea name="remedial_action" rows="2" cols="40" { (breach.remedial_action) } }
                        button type="submit" { "Save the breach facts" }
                    }
                }
            }
        }
        h3 { "Notes" }
        @if case.notes.is_empty() { p.small { "No notes yet." } }
        ul id="notes" {
            @for note in &case.notes {
                li { (note.created_at.format("%Y-%m-%d %H:%M UTC")) ", " (note.author) ": " (note.body) }
            }
        }
    }
}

/// The breach log entry: when the organisation became aware, the deadline and how long is
/// left (or how late it is), and the decision.
fn breach_facts(breach: &BreachLogEntry, now: DateTime<Utc>) -> Markup {
    let left = breach.deadline_at - now;
    let clock = if breach.decision != "pending" {
        String::new()
    } else if left.num_seconds() >= 0 {
        format!(
            " — {} h {:02} min left",
            left.num_hours(),
            left.num_minutes() % 60
        )
    } else {
        let late = -left;
        format!(
            " — overdue by {} h {:02} min",
            late.num_hours(),
            late.num_minutes() % 60
        )
    };
    html! {
        dl.facts id="breach" {
            dt { "Potential breach" } dd { "aware " (breach.aware_at.format("%Y-%m-%d %H:%M UTC")) ", marked by " (breach.marked_by) }
            dt { "ICO deadline (72 hours)" } dd class=[left.num_seconds().is_negative().then_some("overdue")] { (breach.deadline_at.format("%Y-%m-%d %H:%M UTC")) (clock) }
            dt { "Decision" } dd {
                @match breach.decision.as_str() {
                    "reported" => { "reported to the ICO, reference " (breach.ico_reference.as_deref().unwrap_or_default()) }
                    "not_reported" => { "not reported: " (breach.not_reported_reason.as_deref().unwrap_or_default()) }
                    _ => { "pending" }
                }
            }
            @if !breach.what_happened.is_empty() { dt { "What happened" } dd { (breach.what_happened) } }
        }
    }
}

/// The case's timeline, each change in words (with its raw detail for the record).
pub(crate) fn timeline(case: &CaseDetail) -> Markup {
    html! {
        table id="timeline" {
            thead { tr { th { "When" } th { "Who" } th { "What" } th { "Detail" } } }
            tbody {
                @for entry in &case.timeline {
                    tr data-action=(entry.action) {
                        td { (entry.at.format("%Y-%m-%d %H:%M:%S UTC")) }
                        td { (entry.actor) }
                        td { (describe(case, &entry.action, &entry.detail)) }
                        td { code.small { (entry.detail.to_string()) } }
                    }
                }
            }
        }
    }
}

fn describe(case: &CaseDetail, action: &str, detail: &serde_json::Value) -> String {
    let text = |key: &str| detail[key].as_str().unwrap_or_default().to_owned();
    let reason = match detail["reason"].as_str() {
        Some(reason) if !reason.is_empty() => format!(" ({reason})"),
        _ => String::new(),
    };
    match action {
        "state_changed" if text("to") == "closed" => format!(
            "closed from {} as {}{reason}",
            text("from"),
            disposition_text(&text("disposition"))
        ),
        "state_changed" => format!("moved from {} to {}{reason}", text("from"), text("to")),
        "reopened" => format!("reopened into {}{reason}", text("to")),
        "disposition_changed" => format!(
            "disposition changed to {}{reason}",
            disposition_text(&text("to"))
        ),
        "assigned" => format!("assigned to {}", text("assignee")),
        "unassigned" => "unassigned".to_owned(),
        "note_added" => {
            let id = detail["note_id"].as_i64();
            match case.notes.iter().find(|note| Some(note.note_id) == id) {
                Some(note) => format!("note: {}", note.body),
                None => "note added".to_owned(),
            }
        }
        "marked_potential_breach" => {
            let deadline = text("deadline_at");
            let deadline = DateTime::parse_from_rfc3339(&deadline).map_or(deadline, |at| {
                at.with_timezone(&Utc)
                    .format("%Y-%m-%d %H:%M UTC")
                    .to_string()
            });
            format!("marked as a potential breach; ICO deadline {deadline}")
        }
        "breach_updated" => "breach log entry updated".to_owned(),
        "breach_decided" if text("decision") == "reported" => format!(
            "breach reported to the ICO, reference {}",
            text("ico_reference")
        ),
        "breach_decided" => format!("breach not reported{reason}"),
        other => other.replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_disposition_has_a_label_and_unknown_done_values_say_nothing() {
        for disposition in Disposition::ALL {
            assert!(!disposition_label(disposition).is_empty());
        }
        assert_eq!(disposition_text("reported_to_ico"), "reported to ICO");
        assert!(done_message("state").is_some());
        assert!(done_message("<script>").is_none());
    }
}
