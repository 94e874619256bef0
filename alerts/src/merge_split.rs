//! Merging and splitting cases. The analyzer opens one case per user and time window; an
//! officer who sees that two cases are one story merges them (the source is closed, pointing at
//! the target, and its findings, patients and shares move over), and one who sees that a case
//! mixes unrelated accesses splits some findings out into a new case. Both are owner-only,
//! versioned and written to the timelines of every case they touch. Only cases of the same
//! organisation and the same user merge (a case is per user), and a merged case is changed no
//! more: every change to it is [`AlertsError::MergedInto`], naming the target.

use crate::actor::Actor;
use crate::error::AlertsError;
use crate::workflow::{finish_change, lock_case, record_change, Changed, LockedCase, Need};
use chrono::{DateTime, Utc};
use domain::{CaseState, Severity};
use sqlx::{PgPool, Postgres, Transaction};

/// Both cases after a merge.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Merged {
    pub target: Changed,
    pub source: Changed,
}

/// Merges case `source` into case `target`. Each reference comes with the version the actor
/// read of it.
pub async fn merge(
    pool: &PgPool,
    actor: &Actor,
    (target_reference, target_version): (&str, i32),
    (source_reference, source_version): (&str, i32),
) -> Result<Merged, AlertsError> {
    if target_reference == source_reference {
        return Err(AlertsError::invalid("a case cannot be merged into itself"));
    }
    let mut transaction = pool.begin().await?;
    // Lock in a fixed order (by reference) so two opposite merges cannot deadlock.
    let (target, source) = if target_reference < source_reference {
        let target = lock_case(
            &mut transaction,
            actor,
            target_reference,
            target_version,
            Need::Own,
        )
        .await?;
        let source = lock_case(
            &mut transaction,
            actor,
            source_reference,
            source_version,
            Need::Own,
        )
        .await?;
        (target, source)
    } else {
        let source = lock_case(
            &mut transaction,
            actor,
            source_reference,
            source_version,
            Need::Own,
        )
        .await?;
        let target = lock_case(
            &mut transaction,
            actor,
            target_reference,
            target_version,
            Need::Own,
        )
        .await?;
        (target, source)
    };
    for case in [&target, &source] {
        if case.state()? == CaseState::Closed {
            return Err(AlertsError::invalid(format!(
                "case {} is closed; reopen it before merging",
                case.reference
            )));
        }
    }
    if target.org_code != source.org_code {
        return Err(AlertsError::invalid(
            "only cases of the same organisation can be merged",
        ));
    }
    if target.user_id != source.user_id {
        // A case is about one user's accesses (its notifications, warning and outcome are that
        // user's): two users' stories stay two cases.
        return Err(AlertsError::invalid(format!(
            "cases {} and {} are about different users; only one user's cases can be merged",
            target.reference, source.reference
        )));
    }
    let source_in_breach_log: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM breach_records WHERE case_id = $1)")
            .bind(source.id)
            .fetch_one(&mut *transaction)
            .await?;
    if source_in_breach_log {
        return Err(AlertsError::invalid(format!(
            "case {} is in the breach log; merge the other case into it instead",
            source.reference
        )));
    }
    let moved: i64 = sqlx::query_scalar(
        "WITH moved AS (UPDATE findings SET case_id = $1 WHERE case_id = $2 RETURNING 1) SELECT count(*) FROM moved",
    )
    .bind(target.id)
    .bind(source.id)
    .fetch_one(&mut *transaction)
    .await?;
    sqlx::query(
        "INSERT INTO case_shares (case_id, org_code, reason, shared_by, shared_at)
         SELECT $1, org_code, reason, shared_by, shared_at FROM case_shares WHERE case_id = $2
         ON CONFLICT (case_id, org_code) DO NOTHING",
    )
    .bind(target.id)
    .bind(source.id)
    .execute(&mut *transaction)
    .await?;
    let source_score: f64 = sqlx::query_scalar("SELECT score FROM cases WHERE id = $1")
        .bind(source.id)
        .fetch_one(&mut *transaction)
        .await?;
    let severity = target.severity()?.max(source.severity()?);
    sqlx::query(
        "UPDATE cases SET severity = $2, score = score + $3, first_event_at = LEAST(first_event_at, $4),
                          last_event_at = GREATEST(last_event_at, $5)
         WHERE id = $1",
    )
    .bind(target.id)
    .bind(severity.as_str())
    .bind(source_score)
    .bind(source.first_event_at)
    .bind(source.last_event_at)
    .execute(&mut *transaction)
    .await?;
    sqlx::query(
        "UPDATE cases SET state = 'closed', closed_at = now(), merged_into = $2 WHERE id = $1",
    )
    .bind(source.id)
    .bind(target.id)
    .execute(&mut *transaction)
    .await?;
    rebuild_case_patients(&mut transaction, target.id).await?;
    rebuild_case_patients(&mut transaction, source.id).await?;
    let target_detail =
        serde_json::json!({ "merged_from": source.reference, "findings_moved": moved });
    let target_version = record_change(
        &mut transaction,
        target.id,
        &actor.username,
        "merged_from",
        target_detail,
    )
    .await?;
    let source_detail =
        serde_json::json!({ "merged_into": target.reference, "findings_moved": moved });
    let source_version = record_change(
        &mut transaction,
        source.id,
        &actor.username,
        "merged_into",
        source_detail,
    )
    .await?;
    transaction.commit().await?;
    Ok(Merged {
        target: Changed {
            reference: target.reference,
            version: target_version,
        },
        source: Changed {
            reference: source.reference,
            version: source_version,
        },
    })
}

/// The case split from, and the new case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Split {
    pub original: Changed,
    pub created: Changed,
}

#[derive(Debug, sqlx::FromRow)]
struct FindingRow {
    id: i64,
    severity: String,
    occurred_at: DateTime<Utc>,
    patient_id: String,
}

/// Moves the findings `finding_ids` of case `reference` into a new case of the same
/// organisation and user (same state and assignee; not notified again: its officers already
/// know it).
pub async fn split(
    pool: &PgPool,
    actor: &Actor,
    reference: &str,
    read_version: i32,
    finding_ids: &[i64],
    reason: &str,
) -> Result<Split, AlertsError> {
    if reason.trim().is_empty() {
        return Err(AlertsError::invalid("splitting a case needs a reason"));
    }
    let mut transaction = pool.begin().await?;
    let case = lock_case(&mut transaction, actor, reference, read_version, Need::Own).await?;
    if case.state()? == CaseState::Closed {
        return Err(AlertsError::invalid(format!(
            "case {reference} is closed; reopen it before splitting"
        )));
    }
    let findings: Vec<FindingRow> = sqlx::query_as(
        "SELECT id, severity, occurred_at, patient_id FROM findings WHERE case_id = $1 ORDER BY occurred_at, id",
    )
    .bind(case.id)
    .fetch_all(&mut *transaction)
    .await?;
    if let Some(stranger) = finding_ids
        .iter()
        .find(|id| !findings.iter().any(|f| f.id == **id))
    {
        return Err(AlertsError::invalid(format!(
            "finding {stranger} is not part of case {reference}"
        )));
    }
    let (moving, staying): (Vec<&FindingRow>, Vec<&FindingRow>) = findings
        .iter()
        .partition(|finding| finding_ids.contains(&finding.id));
    if moving.is_empty() || staying.is_empty() {
        return Err(AlertsError::invalid(
            "a split moves some of the case's findings, not none or all of them",
        ));
    }
    let moving_summary = summarise(&moving)?;
    let staying_summary = summarise(&staying)?;
    let (new_id, new_reference): (i64, String) =
        sqlx::query_as(include_str!("workflow/open_split_case.sql"))
            .bind(case.id)
            .bind(&moving_summary.first_patient)
            .bind(moving_summary.severity.as_str())
            .bind(moving_summary.weight)
            .bind(moving_summary.first_event_at)
            .bind(moving_summary.last_event_at)
            .fetch_one(&mut *transaction)
            .await?;
    sqlx::query("UPDATE findings SET case_id = $1 WHERE case_id = $2 AND id = ANY($3)")
        .bind(new_id)
        .bind(case.id)
        .bind(finding_ids)
        .execute(&mut *transaction)
        .await?;
    sqlx::query(
        "INSERT INTO case_shares (case_id, org_code, reason, shared_by, shared_at)
         SELECT $1, org_code, reason, shared_by, shared_at FROM case_shares WHERE case_id = $2",
    )
    .bind(new_id)
    .bind(case.id)
    .execute(&mut *transaction)
    .await?;
    update_remaining(
        &mut transaction,
        &case,
        &staying_summary,
        moving_summary.weight,
    )
    .await?;
    rebuild_case_patients(&mut transaction, case.id).await?;
    rebuild_case_patients(&mut transaction, new_id).await?;
    let detail = serde_json::json!({ "split_from": case.reference, "finding_ids": finding_ids, "reason": reason.trim() });
    crate::workflow::append_timeline(
        &mut transaction,
        new_id,
        &actor.username,
        "case_opened",
        detail,
    )
    .await?;
    let detail = serde_json::json!({ "split_into": new_reference, "finding_ids": finding_ids, "reason": reason.trim() });
    let original = finish_change(transaction, &case, actor, "split", detail).await?;
    Ok(Split {
        original,
        created: Changed {
            reference: new_reference,
            version: 1,
        },
    })
}

struct Summary {
    severity: Severity,
    weight: f64,
    first_event_at: DateTime<Utc>,
    last_event_at: DateTime<Utc>,
    first_patient: String,
}

/// Severity, score contribution, time span and first patient of some findings (non-empty, in
/// time order).
fn summarise(findings: &[&FindingRow]) -> Result<Summary, AlertsError> {
    let mut severity = Severity::Low;
    let mut weight = 0.0;
    for finding in findings {
        let parsed: Severity = finding.severity.parse().map_err(AlertsError::Invalid)?;
        severity = severity.max(parsed);
        weight += parsed.weight();
    }
    let (first, last) = match (findings.first(), findings.last()) {
        (Some(first), Some(last)) => (first, last),
        _ => return Err(AlertsError::invalid("no findings to summarise")),
    };
    Ok(Summary {
        severity,
        weight,
        first_event_at: first.occurred_at,
        last_event_at: findings
            .iter()
            .map(|f| f.occurred_at)
            .max()
            .unwrap_or(last.occurred_at),
        first_patient: first.patient_id.clone(),
    })
}

/// The case that keeps the other findings: its severity, span and first patient follow them,
/// and the moved findings' share of the score leaves with them (whatever else the analyzer
/// added to the score stays).
async fn update_remaining(
    transaction: &mut Transaction<'_, Postgres>,
    case: &LockedCase,
    staying: &Summary,
    moved_weight: f64,
) -> Result<(), sqlx::Error> {
    let keeps_patient = case.patient_id == staying.first_patient
        || sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM findings WHERE case_id = $1 AND patient_id = $2)",
        )
        .bind(case.id)
        .bind(&case.patient_id)
        .fetch_one(&mut **transaction)
        .await?;
    let patient = if keeps_patient {
        &case.patient_id
    } else {
        &staying.first_patient
    };
    sqlx::query(
        "UPDATE cases SET severity = $2, score = GREATEST(score - $3, 0), first_event_at = $4, last_event_at = $5,
                          patient_id = $6
         WHERE id = $1",
    )
    .bind(case.id)
    .bind(staying.severity.as_str())
    .bind(moved_weight)
    .bind(staying.first_event_at)
    .bind(staying.last_event_at)
    .bind(patient)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

async fn rebuild_case_patients(
    transaction: &mut Transaction<'_, Postgres>,
    case_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM case_patients WHERE case_id = $1")
        .bind(case_id)
        .execute(&mut **transaction)
        .await?;
    sqlx::query(include_str!("workflow/rebuild_case_patients.sql"))
        .bind(case_id)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}
