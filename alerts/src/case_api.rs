//! Reading cases and their evidence, scoped to what the reader may see: the cases of the
//! reader's organisations and the joint cases shared with them. The dashboards call these; no
//! other component reads cases.

use crate::breach::BreachLogEntry;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// Which organisations' cases a reader may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    AllOrganisations,
    Organisations(Vec<String>),
}

impl Scope {
    fn as_filter(&self) -> Option<Vec<String>> {
        match self {
            Self::AllOrganisations => None,
            Self::Organisations(codes) => Some(codes.clone()),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub state: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CaseSummary {
    #[serde(skip)]
    pub id: i64,
    pub reference: String,
    pub org_code: String,
    pub user_id: String,
    pub patient_id: String,
    pub state: String,
    pub disposition: Option<String>,
    pub severity: String,
    pub score: f64,
    pub first_event_at: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    pub opened_at: DateTime<Utc>,
    pub version: i32,
    /// The careaudit account the case is assigned to.
    pub assignee: Option<String>,
    /// The second organisations of a joint case.
    pub shared_with: Vec<String>,
    /// The case this one was merged into, if it was.
    pub merged_into: Option<String>,
    pub rules: String,
    pub finding_count: i64,
    /// Why the most recent finding of the case fired.
    pub latest_explanation: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FindingView {
    /// What a split names to move the finding into a new case.
    pub finding_id: i64,
    pub rule_id: String,
    pub event_id: String,
    pub severity: String,
    pub occurred_at: DateTime<Utc>,
    pub user_id: String,
    pub user_org: Option<String>,
    pub patient_id: String,
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct NoteView {
    pub note_id: i64,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub findings: Vec<FindingView>,
    pub timeline: Vec<TimelineEntry>,
    pub notes: Vec<NoteView>,
    /// The breach log entry, when the case was marked as a potential breach.
    pub breach: Option<BreachLogEntry>,
}

const DEFAULT_LIMIT: i64 = 200;
const MAX_LIMIT: i64 = 1000;

/// The case queue: open cases first, ranked by score, then the most recent.
pub async fn list_cases(
    pool: &PgPool,
    scope: &Scope,
    filter: &CaseFilter,
) -> Result<Vec<CaseSummary>, sqlx::Error> {
    sqlx::query_as(include_str!("case_api/list_cases.sql"))
        .bind(scope.as_filter())
        .bind(filter.state.as_deref())
        .bind(None::<String>)
        .bind(filter.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT))
        .fetch_all(pool)
        .await
}

/// One case with its findings and timeline, or `None` when it does not exist or is outside the
/// reader's scope (the two are indistinguishable to the reader on purpose).
pub async fn get_case(
    pool: &PgPool,
    scope: &Scope,
    reference: &str,
) -> Result<Option<CaseDetail>, sqlx::Error> {
    let summary: Option<CaseSummary> = sqlx::query_as(include_str!("case_api/list_cases.sql"))
        .bind(scope.as_filter())
        .bind(None::<String>)
        .bind(Some(reference))
        .bind(1_i64)
        .fetch_optional(pool)
        .await?;
    let Some(summary) = summary else {
        return Ok(None);
    };
    let findings = sqlx::query_as(
        "SELECT id AS finding_id, rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation
         FROM findings WHERE case_id = $1 ORDER BY occurred_at, id",
    )
    .bind(summary.id)
    .fetch_all(pool)
    .await?;
    let timeline = sqlx::query_as(
        "SELECT at, actor, action, detail FROM case_timeline WHERE case_id = $1 ORDER BY at, id",
    )
    .bind(summary.id)
    .fetch_all(pool)
    .await?;
    let notes = sqlx::query_as(
        "SELECT id AS note_id, author, body, created_at FROM case_notes WHERE case_id = $1 ORDER BY created_at, id",
    )
    .bind(summary.id)
    .fetch_all(pool)
    .await?;
    let breach = sqlx::query_as(include_str!("breach/breach_log.sql"))
        .bind(None::<Vec<String>>)
        .bind(Some(&summary.reference))
        .bind(None::<String>)
        .fetch_optional(pool)
        .await?;
    Ok(Some(CaseDetail {
        summary,
        findings,
        timeline,
        notes,
        breach,
    }))
}
