//! Recording findings in PostgreSQL: a finding covered by an active suppression is kept aside
//! (`suppressed_findings`); one about a user with an open case close in time joins that case
//! (serial snooping across many patients is one case); otherwise it waits with the user's other
//! recent findings (`pending_findings`) until together they reach the case-opening score, and
//! then they open one case. Every case change is on the case's append-only timeline, and the
//! case is re-scored with its components.
//!
//! A rule run records all its findings at once: it reads what it needs in a few statements,
//! decides what each finding does in memory, in the run's order (`plan`), and writes the rows
//! with one statement per table (`store`), so recording costs a handful of round trips however
//! many findings the run has, and gives the same rows as recording them one at a time.

mod plan;
mod store;

use crate::scoring::{score_case, ScoreComponents, ScoreInput};
use crate::settings::AnalyzerSettings;
use chrono::{DateTime, Utc};
use domain::Severity;
use sqlx::{Postgres, Row, Transaction};
use std::collections::{HashMap, HashSet};

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

/// Records one rule run's findings (in the run's order: oldest access first) and re-scores
/// every case the run changed; returns what recording each finding did.
pub(crate) async fn record_run(
    transaction: &mut Transaction<'_, Postgres>,
    settings: &AnalyzerSettings,
    rule_id: &str,
    findings: &[NewFinding],
) -> Result<Vec<Recorded>, sqlx::Error> {
    if findings.is_empty() {
        return Ok(Vec::new());
    }
    let outcomes = load_outcomes(transaction).await?;
    let suppressions: Vec<ActiveSuppression> =
        sqlx::query_as(include_str!("record/active_suppressions.sql"))
            .bind(rule_id)
            .fetch_all(&mut **transaction)
            .await?;
    let event_ids: Vec<&str> = findings.iter().map(|f| f.event_id.as_str()).collect();
    let recorded: HashSet<String> = sqlx::query_scalar(include_str!("record/recorded_events.sql"))
        .bind(rule_id)
        .bind(&event_ids)
        .fetch_all(&mut **transaction)
        .await?
        .into_iter()
        .collect();
    // Only findings that may join or open a case need their user's cases and pending findings.
    let live: Vec<&NewFinding> = findings
        .iter()
        .filter(|f| !recorded.contains(&f.event_id) && !suppressions.iter().any(|s| s.covers(f)))
        .collect();
    let (mut cases, mut pending) = (Vec::new(), Vec::new());
    if let (Some(earliest), Some(latest)) = (
        live.iter().map(|f| f.occurred_at).min(),
        live.iter().map(|f| f.occurred_at).max(),
    ) {
        let mut users: Vec<&str> = live.iter().map(|f| f.user_id.as_str()).collect();
        users.sort_unstable();
        users.dedup();
        let window = plan::grouping_window(settings);
        sqlx::query(include_str!("record/lock_users.sql"))
            .bind(&users)
            .execute(&mut **transaction)
            .await?;
        cases = store::load_cases(transaction, &users).await?;
        pending =
            store::load_pending(transaction, &users, earliest - window, latest + window).await?;
    }
    let inputs = plan::Inputs {
        findings,
        recorded: &recorded,
        suppressions: &suppressions,
        cases: &cases,
        pending: &pending,
        outcomes: &outcomes,
    };
    let plan = plan::plan(&inputs, settings);
    store::write(transaction, settings, &outcomes, &inputs, &plan).await?;
    Ok(plan.outcomes)
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

/// A case's new score from its standing findings (rows of `case_findings.sql`).
struct Rescored {
    total: f64,
    components: serde_json::Value,
    severity: Severity,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

fn rescored(
    rows: &[sqlx::postgres::PgRow],
    earlier: i64,
    confirmed: i64,
    outcomes: &Outcomes,
    settings: &AnalyzerSettings,
) -> Rescored {
    let first: Option<DateTime<Utc>> = rows.iter().map(|row| row.get("occurred_at")).min();
    let last: Option<DateTime<Utc>> = rows.iter().map(|row| row.get("occurred_at")).max();
    let findings = rows
        .iter()
        .map(|row| {
            let evidence: serde_json::Value = row.get("evidence");
            plan::scored_finding(
                row.get("rule_id"),
                row.get("severity"),
                row.get("patient_id"),
                &evidence,
            )
        })
        .collect();
    let components: ScoreComponents = score_case(
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
    Rescored {
        total,
        components: serde_json::to_value(&components).unwrap_or_default(),
        severity: components.severity,
        first,
        last,
    }
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
    let user_id: String = sqlx::query_scalar("SELECT user_id FROM cases WHERE id = $1")
        .bind(case_id)
        .fetch_one(&mut **transaction)
        .await?;
    let (earlier, confirmed): (i64, i64) = sqlx::query_as(include_str!("record/user_history.sql"))
        .bind(&user_id)
        .bind(case_id)
        .fetch_one(&mut **transaction)
        .await?;
    let result = rescored(&rows, earlier, confirmed, outcomes, settings);
    sqlx::query(include_str!("record/update_case_score.sql"))
        .bind(case_id)
        .bind(result.total)
        .bind(&result.components)
        .bind(result.severity.as_str())
        .bind(result.first)
        .bind(result.last)
        .execute(&mut **transaction)
        .await?;
    Ok(result.total)
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
