//! The POST handlers behind the case page's workflow forms ([`crate::pages::case_workflow`]
//! renders them): each reads its form, hands the change with the version the page showed to
//! alerts' workflow (which checks scope, role, state and version), and answers a redirect back
//! to the case page (Post/Redirect/Get) or a page saying why nothing changed — for a stale
//! version a `409` conflict page, never a change made over someone else's.

use crate::error::DashboardError;
use crate::pages::page as layout;
use crate::viewer::Viewer;
use crate::workflow_api::actor;
use crate::AppState;
use alerts::{BreachDecision, BreachFacts, Changed, Transition};
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use chrono::{DateTime, NaiveDateTime, Utc};
use domain::{CaseState, Disposition};
use maud::html;
use serde::Deserialize;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases/{reference}/assign", post(assign))
        .route("/cases/{reference}/state", post(move_state))
        .route("/cases/{reference}/notes", post(note))
        .route("/cases/{reference}/breach", post(mark_breach))
        .route("/cases/{reference}/breach/decision", post(decide_breach))
        .route("/cases/{reference}/breach/facts", post(breach_facts))
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

#[derive(Debug, Deserialize)]
struct FactsForm {
    version: String,
    what_happened: Option<String>,
    data_affected: Option<String>,
    people_affected: Option<String>,
    likely_effects: Option<String>,
    remedial_action: Option<String>,
}

/// The facts the form gives (an empty field leaves that fact as it was).
fn facts_of(submitted: &FactsForm) -> Result<BreachFacts, DashboardError> {
    let text = |value: &Option<String>| given(value).map(str::to_owned);
    let people_affected = given(&submitted.people_affected)
        .map(|raw| {
            raw.parse::<i32>().map_err(|_| {
                DashboardError::BadRequest(format!("people affected {raw:?} is not a whole number"))
            })
        })
        .transpose()?;
    Ok(BreachFacts {
        what_happened: text(&submitted.what_happened),
        data_affected: text(&submitted.data_affected),
        people_affected,
        people_affected_description: None,
        likely_effects: text(&submitted.likely_effects),
        remedial_action: text(&submitted.remedial_action),
    })
}

async fn breach_facts(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    submitted: Result<Form<FactsForm>, FormRejection>,
) -> Response {
    let result: Result<Changed, DashboardError> = async {
        let submitted = form(submitted)?;
        let version = version_of(&submitted.version)?;
        let facts = facts_of(&submitted)?;
        Ok(
            alerts::update_breach(&state.pool, &actor(&viewer), &reference, version, &facts)
                .await?,
        )
    }
    .await;
    outcome(&viewer, &reference, "facts", result)
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
}
