//! The case workflow: state transitions along new → triage → investigating → closed (with a
//! disposition to close, a reason to reopen), assignment and notes. Every function takes the
//! acting person and the case version they read, locks the case, checks scope and version
//! (a stale version is [`AlertsError::Conflict`] naming the current one), makes the change,
//! bumps the version and appends to the case timeline, all in one transaction.

use crate::actor::Actor;
use crate::error::AlertsError;
use crate::user_warning;
use chrono::{DateTime, Utc};
use domain::{CaseState, Disposition, Severity};
use serde::Serialize;
use sqlx::{PgPool, Postgres, Transaction};

/// What a successful change left behind: the case and the version to send with the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    pub reference: String,
    pub version: i32,
}

/// A case as the workflow sees it, locked for the rest of the transaction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct LockedCase {
    pub id: i64,
    pub reference: String,
    pub org_code: String,
    pub user_id: String,
    pub patient_id: String,
    pub state: String,
    pub disposition: Option<String>,
    pub severity: String,
    pub version: i32,
    pub merged_into: Option<i64>,
    pub first_event_at: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    #[sqlx(skip)]
    pub shared_with: Vec<String>,
}

impl LockedCase {
    pub fn state(&self) -> Result<CaseState, AlertsError> {
        self.state.parse().map_err(AlertsError::Invalid)
    }

    pub fn severity(&self) -> Result<Severity, AlertsError> {
        self.severity.parse().map_err(AlertsError::Invalid)
    }

    /// The owning organisation and every organisation the case is shared with.
    pub fn organisations(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.org_code.as_str()).chain(self.shared_with.iter().map(String::as_str))
    }
}

/// What the actor must be allowed to do with the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Work it: officers of the owning organisation or of one it is shared with.
    Work,
    /// Change what it is (merge, split, share): officers of the owning organisation only.
    Own,
}

/// Locks the case `reference` and checks that `actor` may do `need` with it, that it was not
/// merged into another case, and that `read_version` is its current version.
pub(crate) async fn lock_case(
    transaction: &mut Transaction<'_, Postgres>,
    actor: &Actor,
    reference: &str,
    read_version: i32,
    need: Need,
) -> Result<LockedCase, AlertsError> {
    let not_found = || AlertsError::not_found(format!("case {reference}"));
    let mut case: LockedCase = sqlx::query_as(include_str!("workflow/lock_case.sql"))
        .bind(reference)
        .fetch_optional(&mut **transaction)
        .await?
        .ok_or_else(not_found)?;
    case.shared_with =
        sqlx::query_scalar("SELECT org_code FROM case_shares WHERE case_id = $1 ORDER BY org_code")
            .bind(case.id)
            .fetch_all(&mut **transaction)
            .await?;
    if !case.organisations().any(|org| actor.may_read(org)) {
        return Err(not_found());
    }
    let allowed = match need {
        Need::Work => case.organisations().any(|org| actor.may_work(org)),
        Need::Own => actor.may_work(&case.org_code),
    };
    if !allowed {
        return Err(AlertsError::Forbidden(match need {
            Need::Work => format!("your role may read case {reference} but not change it"),
            Need::Own => format!(
                "only officers of {}, the organisation that owns case {reference}, may do this",
                case.org_code
            ),
        }));
    }
    if let Some(target_id) = case.merged_into {
        // A merged case lives on in its target: nothing changes it any more, whatever version
        // was read (merges stay within one organisation, so the target is in scope too).
        let target: String = sqlx::query_scalar("SELECT reference FROM cases WHERE id = $1")
            .bind(target_id)
            .fetch_one(&mut **transaction)
            .await?;
        return Err(AlertsError::MergedInto {
            reference: case.reference,
            target,
        });
    }
    if case.version != read_version {
        return Err(AlertsError::Conflict {
            reference: case.reference,
            read: read_version,
            current: case.version,
        });
    }
    Ok(case)
}

/// Bumps the case version and appends `action` to its timeline.
pub(crate) async fn record_change(
    transaction: &mut Transaction<'_, Postgres>,
    case_id: i64,
    actor: &str,
    action: &str,
    detail: serde_json::Value,
) -> Result<i32, AlertsError> {
    let version: i32 = sqlx::query_scalar(
        "UPDATE cases SET version = version + 1, updated_at = now() WHERE id = $1 RETURNING version",
    )
    .bind(case_id)
    .fetch_one(&mut **transaction)
    .await?;
    append_timeline(transaction, case_id, actor, action, detail).await?;
    Ok(version)
}

/// Ends a change to one case: bumps its version, appends `action` to its timeline, commits,
/// and answers the reference with the new version.
pub(crate) async fn finish_change(
    mut transaction: Transaction<'_, Postgres>,
    case: &LockedCase,
    actor: &Actor,
    action: &str,
    detail: serde_json::Value,
) -> Result<Changed, AlertsError> {
    let version = record_change(&mut transaction, case.id, &actor.username, action, detail).await?;
    transaction.commit().await?;
    Ok(Changed {
        reference: case.reference.clone(),
        version,
    })
}

/// Appends one entry to a case's timeline without changing the case (notifications queued,
/// escalations, reminders).
pub(crate) async fn append_timeline(
    transaction: &mut Transaction<'_, Postgres>,
    case_id: i64,
    actor: &str,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_timeline (case_id, actor, action, detail) VALUES ($1, $2, $3, $4)",
    )
    .bind(case_id)
    .bind(actor)
    .bind(action)
    .bind(detail)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// The transitions the workflow allows. Closed cases can be reopened (with a reason) into
/// triage or investigation; nothing goes back to new.
pub fn transition_allowed(from: CaseState, to: CaseState) -> bool {
    use CaseState::{Closed, Investigating, New, Triage};
    matches!(
        (from, to),
        (New, Triage | Investigating | Closed)
            | (Triage, Investigating | Closed)
            | (Investigating, Closed)
            | (Closed, Triage | Investigating)
    )
}

/// A requested state change. Closing needs a disposition; reopening needs a reason.
#[derive(Debug, Clone)]
pub struct Transition {
    pub to: CaseState,
    pub disposition: Option<Disposition>,
    pub reason: Option<String>,
}

pub async fn transition(
    pool: &PgPool,
    actor: &Actor,
    reference: &str,
    read_version: i32,
    change: &Transition,
) -> Result<Changed, AlertsError> {
    let mut transaction = pool.begin().await?;
    let case = lock_case(&mut transaction, actor, reference, read_version, Need::Work).await?;
    let from = case.state()?;
    if !transition_allowed(from, change.to) {
        return Err(AlertsError::invalid(format!(
            "a case cannot go from {} to {}",
            from.as_str(),
            change.to.as_str()
        )));
    }
    let reason = change
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let detail = match (from, change.to) {
        (_, CaseState::Closed) => {
            let disposition = change
                .disposition
                .ok_or_else(|| AlertsError::invalid("closing a case needs a disposition"))?;
            check_breach_consistency(&mut transaction, &case, disposition).await?;
            sqlx::query("UPDATE cases SET state = 'closed', disposition = $2, closed_at = now() WHERE id = $1")
                .bind(case.id)
                .bind(disposition.as_str())
                .execute(&mut *transaction)
                .await?;
            user_warning::on_closed(&mut transaction, &case, disposition).await?;
            serde_json::json!({ "from": from.as_str(), "to": "closed", "disposition": disposition.as_str(), "reason": reason })
        }
        (CaseState::Closed, to) => {
            let reason =
                reason.ok_or_else(|| AlertsError::invalid("reopening a case needs a reason"))?;
            sqlx::query(
                "UPDATE cases SET state = $2, disposition = NULL, closed_at = NULL WHERE id = $1",
            )
            .bind(case.id)
            .bind(to.as_str())
            .execute(&mut *transaction)
            .await?;
            serde_json::json!({ "from": "closed", "to": to.as_str(), "previous_disposition": case.disposition, "reason": reason })
        }
        (from, to) => {
            if change.disposition.is_some() {
                return Err(AlertsError::invalid(
                    "a disposition is recorded when the case is closed",
                ));
            }
            sqlx::query("UPDATE cases SET state = $2 WHERE id = $1")
                .bind(case.id)
                .bind(to.as_str())
                .execute(&mut *transaction)
                .await?;
            serde_json::json!({ "from": from.as_str(), "to": to.as_str(), "reason": reason })
        }
    };
    let action = if from == CaseState::Closed {
        "reopened"
    } else {
        "state_changed"
    };
    finish_change(transaction, &case, actor, action, detail).await
}

/// Corrects the disposition of a closed case (with a reason, kept on the timeline).
pub async fn set_disposition(
    pool: &PgPool,
    actor: &Actor,
    reference: &str,
    read_version: i32,
    disposition: Disposition,
    reason: &str,
) -> Result<Changed, AlertsError> {
    let mut transaction = pool.begin().await?;
    let case = lock_case(&mut transaction, actor, reference, read_version, Need::Work).await?;
    if case.state()? != CaseState::Closed {
        return Err(AlertsError::invalid(
            "a disposition is recorded when the case is closed; close it with one",
        ));
    }
    if reason.trim().is_empty() {
        return Err(AlertsError::invalid(
            "changing a disposition needs a reason",
        ));
    }
    check_breach_consistency(&mut transaction, &case, disposition).await?;
    sqlx::query("UPDATE cases SET disposition = $2 WHERE id = $1")
        .bind(case.id)
        .bind(disposition.as_str())
        .execute(&mut *transaction)
        .await?;
    user_warning::on_closed(&mut transaction, &case, disposition).await?;
    let detail = serde_json::json!({ "from": case.disposition, "to": disposition.as_str(), "reason": reason.trim() });
    finish_change(transaction, &case, actor, "disposition_changed", detail).await
}

/// A case in the breach log is closed only once the report decision is made, and "reported to
/// the ICO" is the disposition exactly when the breach was reported.
async fn check_breach_consistency(
    transaction: &mut Transaction<'_, Postgres>,
    case: &LockedCase,
    disposition: Disposition,
) -> Result<(), AlertsError> {
    let decision: Option<String> =
        sqlx::query_scalar("SELECT decision FROM breach_records WHERE case_id = $1")
            .bind(case.id)
            .fetch_optional(&mut **transaction)
            .await?;
    let reported = Disposition::ReportedToIco;
    match (decision.as_deref(), disposition) {
        (Some("pending"), _) => Err(AlertsError::invalid(format!(
            "case {} is in the breach log: record whether it was reported to the ICO (or why not) before closing it",
            case.reference
        ))),
        (Some("reported"), d) if d != reported => Err(AlertsError::invalid(
            "the breach was reported to the ICO: the disposition is reported_to_ico",
        )),
        (Some("not_reported") | None, d) if d == reported => Err(AlertsError::invalid(
            "reported_to_ico needs the breach log entry to record the ICO reference first",
        )),
        _ => Ok(()),
    }
}

/// Assigns the case to a careaudit account (an officer of one of the case's organisations), or
/// unassigns it with `None`. Assignment is what "picked up" means for escalation.
pub async fn assign(
    pool: &PgPool,
    actor: &Actor,
    reference: &str,
    read_version: i32,
    assignee: Option<&str>,
) -> Result<Changed, AlertsError> {
    let mut transaction = pool.begin().await?;
    let case = lock_case(&mut transaction, actor, reference, read_version, Need::Work).await?;
    let assignee_id = match assignee {
        None => None,
        Some(username) => Some(workable_account(&mut transaction, &case, username).await?),
    };
    sqlx::query(
        "UPDATE cases SET assignee = $2, assigned_at = CASE WHEN $2::uuid IS NULL THEN NULL ELSE now() END WHERE id = $1",
    )
    .bind(case.id)
    .bind(assignee_id)
    .execute(&mut *transaction)
    .await?;
    let detail = serde_json::json!({ "assignee": assignee });
    let action = if assignee.is_some() {
        "assigned"
    } else {
        "unassigned"
    };
    finish_change(transaction, &case, actor, action, detail).await
}

/// The id of `username`'s account, if it may work `case`.
async fn workable_account(
    transaction: &mut Transaction<'_, Postgres>,
    case: &LockedCase,
    username: &str,
) -> Result<uuid::Uuid, AlertsError> {
    let id: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM app_users WHERE username = $1 AND NOT disabled")
            .bind(username)
            .fetch_optional(&mut **transaction)
            .await?;
    let id = id
        .ok_or_else(|| AlertsError::invalid(format!("no active careaudit account {username:?}")))?;
    let roles: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT role, org_code FROM app_user_roles WHERE user_id = $1")
            .bind(id)
            .fetch_all(&mut **transaction)
            .await?;
    let assignee = Actor {
        username: username.to_owned(),
        roles,
    };
    if !case.organisations().any(|org| assignee.may_work(org)) {
        return Err(AlertsError::invalid(format!(
            "{username} is not a privacy officer of {} and cannot be assigned case {}",
            case.organisations().collect::<Vec<_>>().join(" or "),
            case.reference
        )));
    }
    Ok(id)
}

/// Adds a note to the case (notes are append-only, like the timeline).
pub async fn add_note(
    pool: &PgPool,
    actor: &Actor,
    reference: &str,
    read_version: i32,
    body: &str,
) -> Result<Changed, AlertsError> {
    if body.trim().is_empty() {
        return Err(AlertsError::invalid("a note needs some text"));
    }
    let mut transaction = pool.begin().await?;
    let case = lock_case(&mut transaction, actor, reference, read_version, Need::Work).await?;
    let note_id: i64 = sqlx::query_scalar(
        "INSERT INTO case_notes (case_id, author, body) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(case.id)
    .bind(&actor.username)
    .bind(body.trim())
    .fetch_one(&mut *transaction)
    .await?;
    let detail = serde_json::json!({ "note_id": note_id });
    finish_change(transaction, &case, actor, "note_added", detail).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseState::{Closed, Investigating, New, Triage};

    #[test]
    fn the_state_machine_moves_forward_and_reopens_from_closed() {
        let allowed = [
            (New, Triage),
            (New, Investigating),
            (New, Closed),
            (Triage, Investigating),
            (Triage, Closed),
            (Investigating, Closed),
            (Closed, Triage),
            (Closed, Investigating),
        ];
        for from in [New, Triage, Investigating, Closed] {
            for to in [New, Triage, Investigating, Closed] {
                assert_eq!(
                    transition_allowed(from, to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }
}
