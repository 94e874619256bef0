//! Turning findings into cases. A finding joins the open case about the same user and patient
//! whose accesses lie within the grouping window of it; otherwise it opens a new case. Every
//! step is written to the case's append-only timeline.

use chrono::{DateTime, Utc};
use domain::Finding;
use sqlx::{Postgres, Transaction};

/// What recording one finding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recorded {
    /// The finding was already recorded by an earlier run of the same window.
    Duplicate,
    OpenedCase,
    ExtendedCase,
}

const ANALYZER_ACTOR: &str = "analyzer";

pub(crate) async fn record_finding(
    transaction: &mut Transaction<'_, Postgres>,
    finding: &Finding,
    grouping_window_seconds: f64,
) -> Result<Recorded, sqlx::Error> {
    let already: Option<i64> =
        sqlx::query_scalar("SELECT id FROM findings WHERE rule_id = $1 AND event_id = $2")
            .bind(&finding.rule_id)
            .bind(finding.event_id.as_str())
            .fetch_optional(&mut **transaction)
            .await?;
    if already.is_some() {
        return Ok(Recorded::Duplicate);
    }

    let occurred_at: DateTime<Utc> = finding.occurred_at.to_datetime();
    let open_case: Option<i64> = sqlx::query_scalar(include_str!("cases/find_open_case.sql"))
        .bind(finding.user_id.as_str())
        .bind(finding.patient_id.as_str())
        .bind(occurred_at)
        .bind(grouping_window_seconds)
        .fetch_optional(&mut **transaction)
        .await?;

    let (case_id, recorded) = match open_case {
        Some(case_id) => {
            sqlx::query(include_str!("cases/extend_case.sql"))
                .bind(case_id)
                .bind(finding.severity.as_str())
                .bind(finding.severity.weight())
                .bind(occurred_at)
                .execute(&mut **transaction)
                .await?;
            (case_id, Recorded::ExtendedCase)
        }
        None => {
            let (case_id, reference): (i64, String) =
                sqlx::query_as(include_str!("cases/open_case.sql"))
                    .bind(
                        finding
                            .user_org
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default(),
                    )
                    .bind(finding.user_id.as_str())
                    .bind(finding.patient_id.as_str())
                    .bind(finding.severity.as_str())
                    .bind(finding.severity.weight())
                    .bind(occurred_at)
                    .fetch_one(&mut **transaction)
                    .await?;
            append_timeline(
                transaction,
                case_id,
                "case_opened",
                serde_json::json!({ "reference": reference }),
            )
            .await?;
            (case_id, Recorded::OpenedCase)
        }
    };

    sqlx::query(include_str!("cases/touch_case_patient.sql"))
        .bind(case_id)
        .bind(finding.patient_id.as_str())
        .bind(occurred_at)
        .execute(&mut **transaction)
        .await?;

    let finding_id: i64 = sqlx::query_scalar(include_str!("cases/record_finding.sql"))
        .bind(&finding.rule_id)
        .bind(finding.event_id.as_str())
        .bind(finding.severity.as_str())
        .bind(occurred_at)
        .bind(finding.user_id.as_str())
        .bind(finding.user_org.as_ref().map(ToString::to_string))
        .bind(finding.patient_id.as_str())
        .bind(&finding.explanation)
        .bind(case_id)
        .fetch_one(&mut **transaction)
        .await?;
    append_timeline(
        transaction,
        case_id,
        "finding_added",
        serde_json::json!({ "finding_id": finding_id, "rule_id": finding.rule_id, "severity": finding.severity }),
    )
    .await?;
    Ok(recorded)
}

async fn append_timeline(
    transaction: &mut Transaction<'_, Postgres>,
    case_id: i64,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_timeline (case_id, actor, action, detail) VALUES ($1, $2, $3, $4)",
    )
    .bind(case_id)
    .bind(ANALYZER_ACTOR)
    .bind(action)
    .bind(detail)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}
