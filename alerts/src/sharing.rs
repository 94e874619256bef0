//! Joint cases: a case belongs to the organisation employing the user, and is also shared with
//! a second organisation when the record viewed holds that organisation's data. Sharing happens
//! by hand (an officer of the owning organisation shares it) or by the joint-case rule when
//! alerts routes a new case (events served by an exchange node registered as one of the
//! organisation's data sources). Officers of both see and work a joint case; the alerts loop
//! notifies the second organisation's officers.

use crate::actor::Actor;
use crate::error::AlertsError;
use crate::workflow::{append_timeline, finish_change, lock_case, Changed, Need};
use sqlx::{PgPool, Postgres, Transaction};

/// Shares case `reference` with organisation `org_code`.
pub async fn share_case(
    pool: &PgPool,
    actor: &Actor,
    reference: &str,
    read_version: i32,
    org_code: &str,
    reason: &str,
) -> Result<Changed, AlertsError> {
    if reason.trim().is_empty() {
        return Err(AlertsError::invalid("sharing a case needs a reason"));
    }
    let mut transaction = pool.begin().await?;
    let case = lock_case(&mut transaction, actor, reference, read_version, Need::Own).await?;
    if case.organisations().any(|org| org == org_code) {
        return Err(AlertsError::invalid(format!(
            "case {reference} is already {org_code}'s"
        )));
    }
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM organisations WHERE ods_code = $1)")
            .bind(org_code)
            .fetch_one(&mut *transaction)
            .await?;
    if !exists {
        return Err(AlertsError::invalid(format!(
            "no organisation {org_code:?} is registered in careaudit"
        )));
    }
    insert_share(
        &mut transaction,
        case.id,
        org_code,
        reason.trim(),
        &actor.username,
    )
    .await?;
    let detail = serde_json::json!({ "organisation": org_code, "reason": reason.trim() });
    finish_change(transaction, &case, actor, "shared", detail).await
}

/// Stops sharing case `reference` with `org_code`.
pub async fn unshare_case(
    pool: &PgPool,
    actor: &Actor,
    reference: &str,
    read_version: i32,
    org_code: &str,
    reason: &str,
) -> Result<Changed, AlertsError> {
    if reason.trim().is_empty() {
        return Err(AlertsError::invalid("unsharing a case needs a reason"));
    }
    let mut transaction = pool.begin().await?;
    let case = lock_case(&mut transaction, actor, reference, read_version, Need::Own).await?;
    let removed = sqlx::query("DELETE FROM case_shares WHERE case_id = $1 AND org_code = $2")
        .bind(case.id)
        .bind(org_code)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
    if removed == 0 {
        return Err(AlertsError::invalid(format!(
            "case {reference} is not shared with {org_code}"
        )));
    }
    let detail = serde_json::json!({ "organisation": org_code, "reason": reason.trim() });
    finish_change(transaction, &case, actor, "unshared", detail).await
}

pub(crate) async fn insert_share(
    transaction: &mut Transaction<'_, Postgres>,
    case_id: i64,
    org_code: &str,
    reason: &str,
    shared_by: &str,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO case_shares (case_id, org_code, reason, shared_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (case_id, org_code) DO NOTHING",
    )
    .bind(case_id)
    .bind(org_code)
    .bind(reason)
    .bind(shared_by)
    .execute(&mut **transaction)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// The joint-case rule for a case being routed: the organisations (other than the owner) whose
/// registered data sources served any of the case's events. `source_nodes` are the exchange
/// nodes of those events, as the collector recorded them.
pub(crate) async fn apply_joint_rule(
    transaction: &mut Transaction<'_, Postgres>,
    case_id: i64,
    owner: &str,
    source_nodes: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    if source_nodes.is_empty() {
        return Ok(Vec::new());
    }
    let sources: Vec<(String, String)> = sqlx::query_as(
        "SELECT org_code, source_node FROM organisation_data_sources
         WHERE source_node = ANY($1) AND org_code <> $2 ORDER BY org_code, source_node",
    )
    .bind(source_nodes)
    .bind(owner)
    .fetch_all(&mut **transaction)
    .await?;
    let mut shared = Vec::new();
    for (org_code, source_node) in sources {
        if shared.contains(&org_code) {
            continue;
        }
        let reason = format!(
            "joint case: the record was served by {source_node}, a data source of {org_code}"
        );
        if insert_share(transaction, case_id, &org_code, &reason, "alerts").await? {
            let detail = serde_json::json!({ "organisation": org_code, "reason": reason, "rule": "joint_case" });
            append_timeline(transaction, case_id, "alerts", "shared", detail).await?;
        }
        shared.push(org_code);
    }
    Ok(shared)
}
