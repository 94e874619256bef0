//! Bulk actions on the case queue: the officer ticks cases and assigns them (to themselves or
//! to another officer), moves them to triage, or closes them as appropriate. Each ticked box
//! carries the case reference and the version the queue showed (`CA-000123:4`), and each case
//! is changed on its own through alerts' workflow, which checks scope and version as for one
//! case: a case outside the officer's organisations is "not found", a case changed since the
//! queue was shown is a conflict, and neither stops the others. The answer lists every case
//! with what happened to it.

use crate::error::DashboardError;
use crate::pages::page as layout;
use crate::roles::Permission;
use crate::viewer::Viewer;
use crate::workflow_api::actor;
use crate::AppState;
use alerts::{Actor, Changed, Transition};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use domain::{CaseState, Disposition};
use maud::html;

/// At most this many cases in one bulk action (the queue shows 200 by default).
pub const MAX_BULK_CASES: usize = 500;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/cases/bulk", post(apply))
}

/// What to do with every ticked case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    AssignToMe,
    AssignTo(String),
    MoveToTriage,
    CloseAsAppropriate,
}

impl BulkAction {
    pub const CHOICES: [(&'static str, &'static str); 4] = [
        ("assign_me", "Assign to me"),
        ("assign", "Assign to the officer named"),
        ("triage", "Move to triage"),
        ("close_appropriate", "Close as appropriate"),
    ];

    /// The action's name in the form and in metrics (no username: labels stay few).
    fn name(&self) -> &'static str {
        match self {
            Self::AssignToMe => "assign_me",
            Self::AssignTo(_) => "assign",
            Self::MoveToTriage => "triage",
            Self::CloseAsAppropriate => "close_appropriate",
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::AssignToMe => "assign to me".to_owned(),
            Self::AssignTo(username) => format!("assign to {username}"),
            Self::MoveToTriage => "move to triage".to_owned(),
            Self::CloseAsAppropriate => "close as appropriate".to_owned(),
        }
    }
}

/// A bulk form: the action and the ticked (reference, version read) pairs.
#[derive(Debug, PartialEq, Eq)]
pub struct BulkRequest {
    pub action: BulkAction,
    pub cases: Vec<(String, Result<i32, String>)>,
}

/// Reads the form body; every mistake is a clear error.
pub fn parse(body: &[u8]) -> Result<BulkRequest, DashboardError> {
    let mut action = None;
    let mut assignee = None;
    let mut cases = Vec::new();
    for (key, value) in form_urlencoded::parse(body) {
        let value = value.trim().to_owned();
        match key.as_ref() {
            "action" => action = Some(value),
            "assignee" => assignee = Some(value).filter(|v| !v.is_empty()),
            "case" => {
                let (reference, version) = match value.rsplit_once(':') {
                    Some((reference, version)) => (
                        reference.to_owned(),
                        version
                            .parse()
                            .map_err(|_| format!("version {version:?} is not a number")),
                    ),
                    None => (value.clone(), Err("the case version is missing".to_owned())),
                };
                cases.push((reference, version));
            }
            _ => {}
        }
    }
    let action = match (action.as_deref(), assignee) {
        (Some("assign_me"), _) => BulkAction::AssignToMe,
        (Some("assign"), Some(username)) => BulkAction::AssignTo(username),
        (Some("assign"), None) => {
            return Err(DashboardError::BadRequest(
                "name the officer to assign the cases to".to_owned(),
            ))
        }
        (Some("triage"), _) => BulkAction::MoveToTriage,
        (Some("close_appropriate"), _) => BulkAction::CloseAsAppropriate,
        (other, _) => {
            return Err(DashboardError::BadRequest(format!(
                "unknown bulk action {:?}: use one of {}",
                other.unwrap_or_default(),
                BulkAction::CHOICES.map(|(value, _)| value).join(", ")
            )))
        }
    };
    if cases.is_empty() {
        return Err(DashboardError::BadRequest(
            "tick at least one case".to_owned(),
        ));
    }
    if cases.len() > MAX_BULK_CASES {
        return Err(DashboardError::BadRequest(format!(
            "{} cases ticked; at most {MAX_BULK_CASES} at a time",
            cases.len()
        )));
    }
    Ok(BulkRequest { action, cases })
}

async fn apply_one(
    pool: &sqlx::PgPool,
    actor: &Actor,
    action: &BulkAction,
    reference: &str,
    version: i32,
) -> Result<Changed, alerts::AlertsError> {
    match action {
        BulkAction::AssignToMe => {
            alerts::assign(pool, actor, reference, version, Some(&actor.username)).await
        }
        BulkAction::AssignTo(username) => {
            alerts::assign(pool, actor, reference, version, Some(username)).await
        }
        BulkAction::MoveToTriage | BulkAction::CloseAsAppropriate => {
            let change = if *action == BulkAction::MoveToTriage {
                Transition {
                    to: CaseState::Triage,
                    disposition: None,
                    reason: Some("bulk action from the case queue".to_owned()),
                }
            } else {
                Transition {
                    to: CaseState::Closed,
                    disposition: Some(Disposition::Appropriate),
                    reason: Some("bulk action from the case queue".to_owned()),
                }
            };
            alerts::transition(pool, actor, reference, version, &change).await
        }
    }
}

/// `POST /cases/bulk`.
async fn apply(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, DashboardError> {
    viewer.require(Permission::WorkCases)?;
    let request = parse(&body)?;
    let actor = actor(&viewer);
    let mut outcomes = Vec::with_capacity(request.cases.len());
    for (reference, version) in &request.cases {
        let outcome = match version {
            Ok(version) => apply_one(&state.pool, &actor, &request.action, reference, *version)
                .await
                .map_err(DashboardError::from),
            Err(problem) => Err(DashboardError::BadRequest(problem.clone())),
        };
        if let Err(error) = &outcome {
            if error.status().is_server_error() {
                tracing::error!(error = %error, "a bulk case action failed");
            }
        }
        outcomes.push((reference, outcome));
    }
    let changed = outcomes.iter().filter(|(_, o)| o.is_ok()).count();
    crate::telemetry::bulk_action(request.action.name(), changed, outcomes.len() - changed);
    let body = html! {
        p id="bulk-summary" { (changed) " of " (outcomes.len()) " case(s) changed (" (request.action.describe()) ")." }
        table id="bulk-results" {
            thead { tr { th { "Case" } th { "Outcome" } } }
            tbody {
                @for (reference, outcome) in &outcomes {
                    tr class=(if outcome.is_ok() { "changed" } else { "refused" }) {
                        td { a href={ "/cases/" (urlencoding::encode(reference)) } { (reference) } }
                        td {
                            @match outcome {
                                Ok(changed) => { "changed (now version " (changed.version) ")" }
                                Err(error) => span.problem { (error.public_message()) },
                            }
                        }
                    }
                }
            }
        }
        p { a href="/cases" { "Back to the case queue" } }
    };
    Ok(layout("Bulk action", Some(&viewer), body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_forms_parse_or_say_what_is_wrong() {
        let request = parse(b"action=triage&case=CA-000001%3A3&case=CA-000002:x&csrf_token=t")
            .expect("parses");
        assert_eq!(request.action, BulkAction::MoveToTriage);
        assert_eq!(request.cases[0], ("CA-000001".to_owned(), Ok(3)));
        assert!(request.cases[1].1.is_err());
        let assign = parse(b"action=assign&assignee=officer-b&case=CA-1:1").expect("assign");
        assert_eq!(assign.action, BulkAction::AssignTo("officer-b".to_owned()));
        for (body, expected) in [
            (&b"action=assign&case=CA-1:1"[..], "name the officer"),
            (b"action=delete&case=CA-1:1", "unknown bulk action"),
            (b"case=CA-1:1", "unknown bulk action"),
            (b"action=triage", "tick at least one case"),
        ] {
            let error = parse(body).expect_err("refused");
            assert!(error.to_string().contains(expected), "{error}");
        }
        let many: String = (0..=MAX_BULK_CASES)
            .map(|i| format!("case=CA-{i}:1&"))
            .collect();
        let error = parse(format!("action=triage&{many}").as_bytes()).expect_err("too many");
        assert!(error.to_string().contains("at most"), "{error}");
    }
}
