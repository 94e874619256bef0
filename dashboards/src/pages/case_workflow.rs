//! The case page's workflow, for people in a browser: the forms that assign a case, move it
//! along new → triage → investigating → closed (a disposition to close, a reason to reopen),
//! add a note, mark it as a potential personal data breach (the ICO's 72-hour clock) and record
//! the reporting decision; the POST handlers behind those forms; and the case's timeline in
//! words. The rules are alerts' (scope, roles, states, the breach log) and are not repeated
//! here. Every form carries the case version the page showed, so a change made meanwhile by
//! someone else is refused with a conflict page that says so, never applied over it.

use crate::error::DashboardError;
use crate::pages::{csrf_field, page as layout};
use crate::viewer::Viewer;
use crate::workflow_api::actor;
use crate::AppState;
use alerts::{BreachDecision, BreachFacts, BreachLogEntry, CaseDetail, Changed, Transition};
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use chrono::{DateTime, NaiveDateTime, Utc};
use domain::{CaseState, Disposition};
use maud::{html, Markup};
use serde::Deserialize;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases/{reference}/assign", post(assign))
        .route("/cases/{reference}/state", post(move_state))
        .route("/cases/{reference}/notes", post(note))
        .route("/cases/{reference}/breach", post(mark_breach))
        .route("/cases/{reference}/breach/decision", post(decide_breach))
}

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

/// A form value: trimmed, `None` when empty.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn version_of(raw: &str) -> Result<i32, DashboardError> {
    raw.trim().parse().map_err(|_| {
        DashboardError::BadRequest(format!(
            "the form's case version {raw:?} is not a number; reload the case"
        ))
    })
}

fn form<T>(form: Result<Form<T>, FormRejection>) -> Result<T, DashboardError> {
    form.map(|Form(value)| value).map_err(|rejection| {
        DashboardError::BadRequest(format!(
            "the form could not be read: {}",
            rejection.body_text()
        ))
    })
}

/// After a form: back to the case (Post/Redirect/Get), or a page saying why nothing changed.
fn outcome(
    viewer: &Viewer,
    reference: &str,
    done: &'static str,
    result: Result<Changed, DashboardError>,
) -> Response {
    let case_url = format!("/cases/{}", urlencoding::encode(reference));
    let form_outcome = match &result {
        Ok(_) => "changed",
        Err(error) if error.status() == StatusCode::CONFLICT => "conflict",
        Err(_) => "refused",
    };
    crate::telemetry::case_form(done, form_outcome);
    match result {
        Ok(_) => Redirect::to(&format!("{case_url}?done={done}#workflow")).into_response(),
        Err(error) => not_changed(viewer, &case_url, reference, &error),
    }
}

/// The page answered when a form changed nothing: the reason, and the way back to the case.
pub(crate) fn not_changed(
    viewer: &Viewer,
    case_url: &str,
    reference: &str,
    error: &DashboardError,
) -> Response {
    let status = error.status();
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %error, "a case form failed");
    }
    let conflict = status == StatusCode::CONFLICT;
    let body = html! {
        p.problem id="problem" { (error.public_message()) }
        @if conflict { p { "Nothing was changed. The case page shows what changed meanwhile; decide again there." } }
        p { a id="back-to-case" href=(case_url) { "Back to case " (reference) } }
    };
    let title = if conflict {
        "The case changed meanwhile"
    } else {
        "The case was not changed"
    };
    (status, layout(title, Some(viewer), body)).into_response()
}

#[derive(Debug, Deserialize)]
struct AssignForm {
    version: String,
    /// `me`, a username, or empty to unassign.
    assignee: Option<String>,
}

async fn assign(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    submitted: Result<Form<AssignForm>, FormRejection>,
) -> Response {
    let result: Result<Changed, DashboardError> = async {
        let submitted = form(submitted)?;
        let version = version_of(&submitted.version)?;
        let assignee = match given(&submitted.assignee) {
            Some("me") => Some(viewer.username.as_str()),
            other => other,
        };
        Ok(alerts::assign(&state.pool, &actor(&viewer), &reference, version, assignee).await?)
    }
    .await;
    outcome(&viewer, &reference, "assigned", result)
}

#[derive(Debug, Deserialize)]
struct StateForm {
    version: String,
    to: String,
    disposition: Option<String>,
    reason: Option<String>,
}

/// Parses the state-change form into alerts' [`Transition`].
fn transition_of(submitted: &StateForm) -> Result<(i32, Transition), DashboardError> {
    let version = version_of(&submitted.version)?;
    let to: CaseState = submitted.to.trim().parse().map_err(|_| {
        DashboardError::BadRequest(format!(
            "unknown state {:?}: use triage, investigating or closed",
            submitted.to
        ))
    })?;
    let disposition = given(&submitted.disposition)
        .map(|raw| {
            raw.parse::<Disposition>()
                .map_err(|_| DashboardError::BadRequest(format!("unknown disposition {raw:?}")))
        })
        .transpose()?;
    if to == CaseState::Closed && disposition.is_none() {
        return Err(DashboardError::BadRequest(
            "closing a case needs a disposition: choose one".to_owned(),
        ));
    }
    Ok((
        version,
        Transition {
            to,
            disposition,
            reason: given(&submitted.reason).map(str::to_owned),
        },
    ))
}

async fn move_state(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    submitted: Result<Form<StateForm>, FormRejection>,
) -> Response {
    let result: Result<Changed, DashboardError> = async {
        let (version, change) = transition_of(&form(submitted)?)?;
        Ok(alerts::transition(&state.pool, &actor(&viewer), &reference, version, &change).await?)
    }
    .await;
    outcome(&viewer, &reference, "state", result)
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    version: String,
    body: String,
}

async fn note(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    submitted: Result<Form<NoteForm>, FormRejection>,
) -> Response {
    let result: Result<Changed, DashboardError> = async {
        let submitted = form(submitted)?;
        let version = version_of(&submitted.version)?;
        Ok(alerts::add_note(
            &state.pool,
            &actor(&viewer),
            &reference,
            version,
            &submitted.body,
        )
        .await?)
    }
    .await;
    outcome(&viewer, &reference, "note", result)
}

#[derive(Debug, Deserialize)]
struct BreachForm {
    version: String,
    /// `YYYY-MM-DDTHH:MM` (a `datetime-local` field, UTC); empty = now.
    aware_at: Option<String>,
    what_happened: Option<String>,
}

fn aware_at_of(raw: Option<&str>) -> Result<Option<DateTime<Utc>>, DashboardError> {
    let Some(raw) = raw else { return Ok(None) };
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
        .map(|at| Some(at.and_utc()))
        .ok_or_else(|| {
            DashboardError::BadRequest(format!(
                "the time of awareness {raw:?} is not a date and time (YYYY-MM-DDTHH:MM, UTC)"
            ))
        })
}

async fn mark_breach(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    submitted: Result<Form<BreachForm>, FormRejection>,
) -> Response {
    let result: Result<Changed, DashboardError> = async {
        let submitted = form(submitted)?;
        let version = version_of(&submitted.version)?;
        let aware_at = aware_at_of(given(&submitted.aware_at))?;
        let facts = BreachFacts {
            what_happened: given(&submitted.what_happened).map(str::to_owned),
            ..BreachFacts::default()
        };
        Ok(alerts::mark_potential_breach(
            &state.pool,
            &actor(&viewer),
            &reference,
            version,
            aware_at,
            &facts,
        )
        .await?)
    }
    .await;
    outcome(&viewer, &reference, "breach", result)
}

#[derive(Debug, Deserialize)]
struct DecisionForm {
    version: String,
    decision: Option<String>,
    ico_reference: Option<String>,
    reason: Option<String>,
}

async fn decide_breach(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    submitted: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    let result: Result<Changed, DashboardError> = async {
        let submitted = form(submitted)?;
        let version = version_of(&submitted.version)?;
        let decision = match given(&submitted.decision) {
            Some("reported") => BreachDecision::Reported {
                ico_reference: given(&submitted.ico_reference)
                    .unwrap_or_default()
                    .to_owned(),
                reported_at: Utc::now(),
            },
            Some("not_reported") => BreachDecision::NotReported {
                reason: given(&submitted.reason).unwrap_or_default().to_owned(),
            },
            _ => {
                return Err(DashboardError::BadRequest(
                    "choose whether the breach was reported to the ICO".to_owned(),
                ))
            }
        };
        Ok(
            alerts::decide_breach(&state.pool, &actor(&viewer), &reference, version, &decision)
                .await?,
        )
    }
    .await;
    outcome(&viewer, &reference, "decision", result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_form(to: &str, disposition: Option<&str>) -> StateForm {
        StateForm {
            version: "3".to_owned(),
            to: to.to_owned(),
            disposition: disposition.map(str::to_owned),
            reason: Some("  ".to_owned()),
        }
    }

    #[test]
    fn state_forms_parse_into_transitions_or_clear_errors() {
        let (version, change) = transition_of(&state_form("triage", None)).expect("triage");
        assert_eq!(
            (version, change.to, change.reason),
            (3, CaseState::Triage, None)
        );
        let (_, change) =
            transition_of(&state_form("closed", Some("inappropriate_education"))).expect("close");
        assert_eq!(
            change.disposition,
            Some(Disposition::InappropriateEducation)
        );
        let cases = [
            (state_form("closed", None), "needs a disposition"),
            (state_form("closed", Some("")), "needs a disposition"),
            (state_form("closed", Some("fine")), "unknown disposition"),
            (state_form("archived", None), "unknown state"),
            (
                StateForm {
                    version: "three".to_owned(),
                    ..state_form("triage", None)
                },
                "not a number",
            ),
        ];
        for (submitted, expected) in cases {
            let error = transition_of(&submitted).expect_err("refused");
            assert!(error.to_string().contains(expected), "{error}");
        }
    }

    #[test]
    fn awareness_times_are_utc_minutes_or_refused() {
        assert_eq!(aware_at_of(None).expect("none"), None);
        let at = aware_at_of(Some("2026-03-01T09:30")).expect("minutes");
        assert_eq!(
            at.map(|t| t.to_rfc3339()),
            Some("2026-03-01T09:30:00+00:00".to_owned())
        );
        assert!(aware_at_of(Some("yesterday")).is_err());
    }

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
