//! Recording findings in PostgreSQL: a finding covered by an active suppression is kept aside
//! (`suppressed_findings`); one about a user with an open case close in time joins that case
//! (serial snooping across many patients is one case); otherwise it waits with the user's other
//! recent findings (`pending_findings`) until together they reach the case-opening score, and
//! then they open one case. Every case change is on the case's append-only timeline, and the
//! case is re-scored with its components.

use crate::scoring::{score_case, ScoreInput, ScoredFinding};
use crate::settings::AnalyzerSettings;
use chrono::{DateTime, Utc};
use domain::Severity;
use sqlx::{Postgres, Row, Transaction};
use std::collections::HashMap;
use std::str::FromStr;

const ANALYZER_ACTOR: &str = "analyzer";

/// A finding about to be recorded.
#[derive(Debug, Clone)]
pub(crate) struct NewFinding {
    pub rule_id: &'static str,
    pub severity: Severity,
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub user_id: String,
    pub user_org: Option<String>,
    pub patient_id: String,
    pub explanation: String,
    pub evidence: serde_json::Value,
}

/// What recording one finding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recorded {
    /// Already recorded by an earlier run (of the same or an overlapping window).
    Duplicate,
    Suppressed,
    /// Waiting for more evidence about the user before it opens a case.
    Pending,
    OpenedCase,
    ExtendedCase,
}

/// Per-rule (confirmed, appropriate) outcomes, read once per run.
pub(crate) type Outcomes = HashMap<String, (i64, i64)>;

/// A suppression in force: who and what it covers (`None`: anyone).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ActiveSuppression {
    pub id: i64,
    pub user_id: Option<String>,
    pub patient_id: Option<String>,
    pub org_code: Option<String>,
}

impl ActiveSuppression {
    fn covers(&self, finding: &NewFinding) -> bool {
        let matches = |scope: &Option<String>, value: Option<&str>| {
            scope.as_deref().is_none_or(|wanted| Some(wanted) == value)
        };
        matches(&self.user_id, Some(&finding.user_id))
            && matches(&self.patient_id, Some(&finding.patient_id))
            && matches(&self.org_code, finding.user_org.as_deref())
    }
}

/// What one rule run reads once before recording its findings: the rule's outcomes, the
/// suppressions in force for it and the events it has already recorded.
#[derive(Debug, Default)]
pub(crate) struct RunContext {
    pub outcomes: Outcomes,
    pub suppressions: Vec<ActiveSuppression>,
    pub recorded: std::collections::HashSet<String>,
    /// Cases changed by the run, re-scored once at its end.
    pub touched: std::collections::BTreeSet<i64>,
}

impl RunContext {
    pub async fn load(
        transaction: &mut Transaction<'_, Postgres>,
        rule_id: &str,
        event_ids: &[String],
    ) -> Result<Self, sqlx::Error> {
        let outcomes = load_outcomes(transaction).await?;
        let suppressions = sqlx::query_as(include_str!("record/active_suppressions.sql"))
            .bind(rule_id)
            .fetch_all(&mut **transaction)
            .await?;
        let recorded: Vec<String> = sqlx::query_scalar(include_str!("record/recorded_events.sql"))
            .bind(rule_id)
            .bind(event_ids)
            .fetch_all(&mut **transaction)
            .await?;
        Ok(Self {
            outcomes,
            suppressions,
            recorded: recorded.into_iter().collect(),
            touched: Default::default(),
        })
    }

    /// Re-scores every case the run changed.
    pub async fn finish(
        self,
        transaction: &mut Transaction<'_, Postgres>,
        settings: &AnalyzerSettings,
    ) -> Result<(), sqlx::Error> {
        for case_id in &self.touched {
            rescore(transaction, settings, &self.outcomes, *case_id).await?;
        }
        Ok(())
    }
}

pub(crate) async fn load_outcomes(
    transaction: &mut Transaction<'_, Postgres>,
) -> Result<Outcomes, sqlx::Error> {
    let rows = sqlx::query("SELECT rule_id, confirmed, appropriate FROM rule_outcomes")
        .fetch_all(&mut **transaction)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.get::<String, _>(0), (row.get(1), row.get(2))))
        .collect())
}

pub(crate) async fn record(
    transaction: &mut Transaction<'_, Postgres>,
    settings: &AnalyzerSettings,
    context: &mut RunContext,
    finding: &NewFinding,
) -> Result<Recorded, sqlx::Error> {
    if !context.recorded.insert(finding.event_id.clone()) {
        return Ok(Recorded::Duplicate);
    }
    let outcomes = &context.outcomes;
    if let Some(suppression) = context.suppressions.iter().find(|s| s.covers(finding)) {
        sqlx::query(include_str!("record/insert_suppressed.sql"))
            .bind(suppression.id)
            .bind(finding.rule_id)
            .bind(&finding.event_id)
            .bind(finding.severity.as_str())
            .bind(finding.occurred_at)
            .bind(&finding.user_id)
            .bind(&finding.user_org)
            .bind(&finding.patient_id)
            .bind(&finding.explanation)
            .bind(&finding.evidence)
            .execute(&mut **transaction)
            .await?;
        return Ok(Recorded::Suppressed);
    }

    let window = settings.grouping_window_seconds;
    let open_case: Option<i64> = sqlx::query_scalar(include_str!("record/find_open_case.sql"))
        .bind(&finding.user_id)
        .bind(finding.occurred_at)
        .bind(window)
        .fetch_optional(&mut **transaction)
        .await?;
    if let Some(case_id) = open_case {
        add_to_case(transaction, case_id, finding).await?;
        context.touched.insert(case_id);
        return Ok(Recorded::ExtendedCase);
    }

    sqlx::query(include_str!("record/insert_pending.sql"))
        .bind(finding.rule_id)
        .bind(&finding.event_id)
        .bind(finding.severity.as_str())
        .bind(finding.occurred_at)
        .bind(&finding.user_id)
        .bind(&finding.user_org)
        .bind(&finding.patient_id)
        .bind(&finding.explanation)
        .bind(&finding.evidence)
        .execute(&mut **transaction)
        .await?;
    let pending = sqlx::query(include_str!("record/pending_of_user.sql"))
        .bind(&finding.user_id)
        .bind(finding.occurred_at)
        .bind(window)
        .fetch_all(&mut **transaction)
        .await?;
    let ids: Vec<i64> = pending.iter().map(|row| row.get("id")).collect();
    let scored: Vec<ScoredFinding> = pending.iter().map(scored_finding).collect();
    let (earlier, confirmed) = user_history(transaction, &finding.user_id, None).await?;
    let opening = score_case(
        &ScoreInput {
            findings: scored,
            earlier_cases: earlier,
            earlier_confirmed: confirmed,
            outcomes: outcomes.clone(),
        },
        &settings.cases,
    );
    if opening.total < settings.cases.open_score {
        return Ok(Recorded::Pending);
    }
    let (case_id, reference): (i64, String) = sqlx::query_as(include_str!("record/open_case.sql"))
        .bind(finding.user_org.as_deref().unwrap_or_default())
        .bind(&finding.user_id)
        .bind(&ids)
        .fetch_one(&mut **transaction)
        .await?;
    append_timeline(
        transaction,
        case_id,
        "case_opened",
        serde_json::json!({ "reference": reference, "opening_score": opening.total }),
    )
    .await?;
    let moved = sqlx::query(include_str!("record/promote_pending.sql"))
        .bind(&ids)
        .bind(case_id)
        .fetch_all(&mut **transaction)
        .await?;
    for row in moved {
        let patient_id: String = row.get("patient_id");
        let occurred_at: DateTime<Utc> = row.get("occurred_at");
        touch_case_patient(transaction, case_id, &patient_id, occurred_at).await?;
        let finding_id: i64 = row.get("id");
        let rule_id: String = row.get("rule_id");
        let severity: String = row.get("severity");
        append_timeline(
            transaction,
            case_id,
            "finding_added",
            serde_json::json!({ "finding_id": finding_id, "rule_id": rule_id, "severity": severity }),
        )
        .await?;
    }
    rescore(transaction, settings, outcomes, case_id).await?;
    context.touched.insert(case_id);
    Ok(Recorded::OpenedCase)
}

async fn add_to_case(
    transaction: &mut Transaction<'_, Postgres>,
    case_id: i64,
    finding: &NewFinding,
) -> Result<(), sqlx::Error> {
    let finding_id: Option<i64> = sqlx::query_scalar(include_str!("record/insert_finding.sql"))
        .bind(finding.rule_id)
        .bind(&finding.event_id)
        .bind(finding.severity.as_str())
        .bind(finding.occurred_at)
        .bind(&finding.user_id)
        .bind(&finding.user_org)
        .bind(&finding.patient_id)
        .bind(&finding.explanation)
        .bind(&finding.evidence)
        .bind(case_id)
        .fetch_optional(&mut **transaction)
        .await?;
    touch_case_patient(
        transaction,
        case_id,
        &finding.patient_id,
        finding.occurred_at,
    )
    .await?;
    if let Some(finding_id) = finding_id {
        append_timeline(
            transaction,
            case_id,
            "finding_added",
            serde_json::json!({ "finding_id": finding_id, "rule_id": finding.rule_id, "severity": finding.severity }),
        )
        .await?;
    }
    Ok(())
}

async fn touch_case_patient(
    transaction: &mut Transaction<'_, Postgres>,
    case_id: i64,
    patient_id: &str,
    occurred_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(include_str!("record/touch_case_patient.sql"))
        .bind(case_id)
        .bind(patient_id)
        .bind(occurred_at)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

fn scored_finding(row: &sqlx::postgres::PgRow) -> ScoredFinding {
    let evidence: serde_json::Value = row.get("evidence");
    let severity: String = row.get("severity");
    ScoredFinding {
        rule_id: row.get("rule_id"),
        severity: Severity::from_str(&severity).unwrap_or(Severity::Low),
        patient_id: row.get("patient_id"),
        p_value: evidence.get("p_value").and_then(serde_json::Value::as_f64),
    }
}

async fn user_history(
    transaction: &mut Transaction<'_, Postgres>,
    user_id: &str,
    case_id: Option<i64>,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(include_str!("record/user_history.sql"))
        .bind(user_id)
        .bind(case_id)
        .fetch_one(&mut **transaction)
        .await
}

/// Re-computes a case's score, severity and score components from its standing findings.
pub(crate) async fn rescore(
    transaction: &mut Transaction<'_, Postgres>,
    settings: &AnalyzerSettings,
    outcomes: &Outcomes,
    case_id: i64,
) -> Result<f64, sqlx::Error> {
    let rows = sqlx::query(include_str!("record/case_findings.sql"))
        .bind(case_id)
        .fetch_all(&mut **transaction)
        .await?;
    let first: Option<DateTime<Utc>> = rows.iter().map(|row| row.get("occurred_at")).min();
    let last: Option<DateTime<Utc>> = rows.iter().map(|row| row.get("occurred_at")).max();
    let findings: Vec<ScoredFinding> = rows.iter().map(scored_finding).collect();
    let user_id: String = sqlx::query_scalar("SELECT user_id FROM cases WHERE id = $1")
        .bind(case_id)
        .fetch_one(&mut **transaction)
        .await?;
    let (earlier, confirmed) = user_history(transaction, &user_id, Some(case_id)).await?;
    let components = score_case(
        &ScoreInput {
            findings,
            earlier_cases: earlier,
            earlier_confirmed: confirmed,
            outcomes: outcomes.clone(),
        },
        &settings.cases,
    );
    let total = if components.patients == 0 {
        0.0
    } else {
        components.total
    };
    sqlx::query(include_str!("record/update_case_score.sql"))
        .bind(case_id)
        .bind(total)
        .bind(serde_json::to_value(&components).unwrap_or_default())
        .bind(components.severity.as_str())
        .bind(first)
        .bind(last)
        .execute(&mut **transaction)
        .await?;
    Ok(total)
}

pub(crate) async fn append_timeline(
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
