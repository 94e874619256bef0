//! The set-based reads and writes of one rule run: the run's users' cases and pending findings
//! in two statements, then the plan's rows with one statement per table (`UNNEST` of column
//! arrays, in the plan's order so serial ids follow it), and every changed case re-scored with
//! one read of their standing findings and one update.

use super::plan::{CaseKey, Entry, Inputs, KnownCase, KnownPending, Plan, Source};
use super::{rescored, Outcomes, ANALYZER_ACTOR};
use crate::settings::AnalyzerSettings;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Row, Transaction};
use std::collections::{BTreeMap, HashMap};

pub(super) async fn load_cases(
    transaction: &mut Transaction<'_, Postgres>,
    users: &[&str],
) -> Result<Vec<KnownCase>, sqlx::Error> {
    sqlx::query_as(include_str!("load_cases.sql"))
        .bind(users)
        .fetch_all(&mut **transaction)
        .await
}

pub(super) async fn load_pending(
    transaction: &mut Transaction<'_, Postgres>,
    users: &[&str],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<KnownPending>, sqlx::Error> {
    sqlx::query_as(include_str!("load_pending.sql"))
        .bind(users)
        .bind(from)
        .bind(to)
        .fetch_all(&mut **transaction)
        .await
}

/// The first and last access of a patient in a case.
type AccessSpan = (DateTime<Utc>, DateTime<Utc>);

/// The columns of a finding's row, wherever it comes from.
struct Columns<'a> {
    rule_id: &'a str,
    event_id: &'a str,
    severity: &'a str,
    occurred_at: DateTime<Utc>,
    user_id: &'a str,
    user_org: Option<&'a str>,
    patient_id: &'a str,
    explanation: &'a str,
    evidence: &'a serde_json::Value,
}

fn columns<'a>(inputs: &'a Inputs<'_>, source: Source) -> Columns<'a> {
    match source {
        Source::Pending(index) => {
            let row = &inputs.pending[index];
            Columns {
                rule_id: &row.rule_id,
                event_id: &row.event_id,
                severity: &row.severity,
                occurred_at: row.occurred_at,
                user_id: &row.user_id,
                user_org: row.user_org.as_deref(),
                patient_id: &row.patient_id,
                explanation: &row.explanation,
                evidence: &row.evidence,
            }
        }
        Source::Run(index) => {
            let finding = &inputs.findings[index];
            Columns {
                rule_id: finding.rule_id,
                event_id: &finding.event_id,
                severity: finding.severity.as_str(),
                occurred_at: finding.occurred_at,
                user_id: &finding.user_id,
                user_org: finding.user_org.as_deref(),
                patient_id: &finding.patient_id,
                explanation: &finding.explanation,
                evidence: &finding.evidence,
            }
        }
    }
}

/// Column arrays of many findings' rows, for `UNNEST`.
#[derive(Default)]
struct Rows<'a> {
    rule_id: Vec<&'a str>,
    event_id: Vec<&'a str>,
    severity: Vec<&'a str>,
    occurred_at: Vec<DateTime<Utc>>,
    user_id: Vec<&'a str>,
    user_org: Vec<Option<&'a str>>,
    patient_id: Vec<&'a str>,
    explanation: Vec<&'a str>,
    evidence: Vec<serde_json::Value>,
}

impl<'a> Rows<'a> {
    fn push(&mut self, row: Columns<'a>) {
        self.rule_id.push(row.rule_id);
        self.event_id.push(row.event_id);
        self.severity.push(row.severity);
        self.occurred_at.push(row.occurred_at);
        self.user_id.push(row.user_id);
        self.user_org.push(row.user_org);
        self.patient_id.push(row.patient_id);
        self.explanation.push(row.explanation);
        self.evidence.push(row.evidence.clone());
    }

    fn bind<'q>(
        &'q self,
        query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
        query
            .bind(&self.rule_id)
            .bind(&self.event_id)
            .bind(&self.severity)
            .bind(&self.occurred_at)
            .bind(&self.user_id)
            .bind(&self.user_org)
            .bind(&self.patient_id)
            .bind(&self.explanation)
            .bind(&self.evidence)
    }
}

/// Writes everything the plan decided, then re-scores the cases it changed.
pub(super) async fn write(
    transaction: &mut Transaction<'_, Postgres>,
    settings: &AnalyzerSettings,
    outcomes: &Outcomes,
    inputs: &Inputs<'_>,
    plan: &Plan,
) -> Result<(), sqlx::Error> {
    if !plan.suppressed.is_empty() {
        let mut rows = Rows::default();
        let mut suppression_ids = Vec::with_capacity(plan.suppressed.len());
        for (index, suppression_id) in &plan.suppressed {
            rows.push(columns(inputs, Source::Run(*index)));
            suppression_ids.push(*suppression_id);
        }
        let query = sqlx::query(include_str!("insert_suppressed.sql")).bind(&suppression_ids);
        rows.bind(query).execute(&mut **transaction).await?;
    }
    let opened = open_cases(transaction, inputs, plan).await?;
    let case_id = |key: CaseKey| match key {
        CaseKey::Known(id) => id,
        CaseKey::Opened(index) => opened[index].0,
    };
    if !plan.promoted.is_empty() {
        sqlx::query(include_str!("delete_pending.sql"))
            .bind(&plan.promoted)
            .execute(&mut **transaction)
            .await?;
    }

    let mut finding_ids: HashMap<(String, String), i64> = HashMap::new();
    if !plan.inserts.is_empty() {
        let mut rows = Rows::default();
        let mut case_ids = Vec::with_capacity(plan.inserts.len());
        let mut patients: BTreeMap<(i64, &str), AccessSpan> = BTreeMap::new();
        for insert in &plan.inserts {
            let row = columns(inputs, insert.source);
            let case = case_id(insert.case);
            let span = patients
                .entry((case, row.patient_id))
                .or_insert((row.occurred_at, row.occurred_at));
            span.0 = span.0.min(row.occurred_at);
            span.1 = span.1.max(row.occurred_at);
            rows.push(row);
            case_ids.push(case);
        }
        let query = rows.bind(sqlx::query(include_str!("insert_findings.sql")));
        for row in query.bind(&case_ids).fetch_all(&mut **transaction).await? {
            finding_ids.insert((row.get("rule_id"), row.get("event_id")), row.get("id"));
        }
        let mut touched_cases = Vec::with_capacity(patients.len());
        let mut touched_patients = Vec::with_capacity(patients.len());
        let mut firsts = Vec::with_capacity(patients.len());
        let mut lasts = Vec::with_capacity(patients.len());
        for ((case, patient), (first, last)) in patients {
            touched_cases.push(case);
            touched_patients.push(patient);
            firsts.push(first);
            lasts.push(last);
        }
        sqlx::query(include_str!("touch_case_patients.sql"))
            .bind(&touched_cases)
            .bind(&touched_patients)
            .bind(&firsts)
            .bind(&lasts)
            .execute(&mut **transaction)
            .await?;
    }
    if !plan.still_pending.is_empty() {
        let mut rows = Rows::default();
        for index in &plan.still_pending {
            rows.push(columns(inputs, Source::Run(*index)));
        }
        let query = rows.bind(sqlx::query(include_str!("insert_pending.sql")));
        query.execute(&mut **transaction).await?;
    }

    let mut entry_cases = Vec::with_capacity(plan.timeline.len());
    let mut actions = Vec::with_capacity(plan.timeline.len());
    let mut details = Vec::with_capacity(plan.timeline.len());
    for entry in &plan.timeline {
        match *entry {
            Entry::Opened(index) => {
                entry_cases.push(opened[index].0);
                actions.push("case_opened");
                details.push(serde_json::json!({
                    "reference": opened[index].1,
                    "opening_score": plan.opened[index].opening_score,
                }));
            }
            Entry::Added(index) => {
                let insert = &plan.inserts[index];
                let row = columns(inputs, insert.source);
                let key = (row.rule_id.to_owned(), row.event_id.to_owned());
                // A row another run recorded first (ON CONFLICT) joined no case here.
                let Some(finding_id) = finding_ids.get(&key) else {
                    continue;
                };
                entry_cases.push(case_id(insert.case));
                actions.push("finding_added");
                details.push(serde_json::json!({
                    "finding_id": finding_id,
                    "rule_id": row.rule_id,
                    "severity": row.severity,
                }));
            }
        }
    }
    if !entry_cases.is_empty() {
        sqlx::query(include_str!("insert_timeline.sql"))
            .bind(&entry_cases)
            .bind(&actions)
            .bind(&details)
            .bind(ANALYZER_ACTOR)
            .execute(&mut **transaction)
            .await?;
    }
    rescore_all(transaction, settings, outcomes, inputs, plan, &opened).await
}

/// Allocates ids and references for the cases the plan opens and inserts them; returns
/// (id, reference) per opened case.
async fn open_cases(
    transaction: &mut Transaction<'_, Postgres>,
    inputs: &Inputs<'_>,
    plan: &Plan,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if plan.opened.is_empty() {
        return Ok(Vec::new());
    }
    let count = i64::try_from(plan.opened.len()).unwrap_or(i64::MAX);
    let mut allocated: Vec<(i64, String)> = sqlx::query_as(include_str!("allocate_cases.sql"))
        .bind(count)
        .fetch_all(&mut **transaction)
        .await?;
    allocated.sort();
    let ids: Vec<i64> = allocated.iter().map(|(id, _)| *id).collect();
    let references: Vec<&str> = allocated.iter().map(|(_, r)| r.as_str()).collect();
    let mut orgs = Vec::with_capacity(plan.opened.len());
    let mut users = Vec::with_capacity(plan.opened.len());
    let mut patients = Vec::with_capacity(plan.opened.len());
    let mut severities = Vec::with_capacity(plan.opened.len());
    let mut firsts = Vec::with_capacity(plan.opened.len());
    let mut lasts = Vec::with_capacity(plan.opened.len());
    for opened in &plan.opened {
        let first = columns(inputs, opened.first);
        orgs.push(opened.org_code.as_str());
        users.push(opened.user_id.as_str());
        patients.push(first.patient_id);
        severities.push(first.severity);
        firsts.push(opened.first_event_at);
        lasts.push(opened.last_event_at);
    }
    sqlx::query(include_str!("insert_cases.sql"))
        .bind(&ids)
        .bind(&references)
        .bind(&orgs)
        .bind(&users)
        .bind(&patients)
        .bind(&severities)
        .bind(&firsts)
        .bind(&lasts)
        .execute(&mut **transaction)
        .await?;
    Ok(allocated)
}

/// Re-scores the cases the run changed from their standing findings, as `rescore` does one at
/// a time (the user's earlier cases: those with a smaller id, not explained away).
async fn rescore_all(
    transaction: &mut Transaction<'_, Postgres>,
    settings: &AnalyzerSettings,
    outcomes: &Outcomes,
    inputs: &Inputs<'_>,
    plan: &Plan,
    opened: &[(i64, String)],
) -> Result<(), sqlx::Error> {
    if plan.touched.is_empty() {
        return Ok(());
    }
    // Every case of the run's users, as read and as opened: (id, standing, confirmed).
    let mut history: HashMap<&str, Vec<(i64, bool, bool)>> = HashMap::new();
    let mut users: HashMap<i64, &str> = HashMap::new();
    for case in inputs.cases {
        history.entry(case.user_id.as_str()).or_default().push((
            case.id,
            case.standing,
            case.confirmed,
        ));
        users.insert(case.id, case.user_id.as_str());
    }
    for (case, (id, _)) in plan.opened.iter().zip(opened) {
        history
            .entry(case.user_id.as_str())
            .or_default()
            .push((*id, true, false));
        users.insert(*id, case.user_id.as_str());
    }
    let ids: Vec<i64> = plan
        .touched
        .iter()
        .map(|key| match *key {
            CaseKey::Known(id) => id,
            CaseKey::Opened(index) => opened[index].0,
        })
        .collect();
    let rows = sqlx::query(include_str!("standing_findings.sql"))
        .bind(&ids)
        .fetch_all(&mut **transaction)
        .await?;
    let mut by_case: HashMap<i64, Vec<sqlx::postgres::PgRow>> = HashMap::new();
    for row in rows {
        by_case.entry(row.get("case_id")).or_default().push(row);
    }
    let mut scores = Vec::with_capacity(ids.len());
    let mut components = Vec::with_capacity(ids.len());
    let mut severities = Vec::with_capacity(ids.len());
    let mut firsts = Vec::with_capacity(ids.len());
    let mut lasts = Vec::with_capacity(ids.len());
    for id in &ids {
        let user = users.get(id).copied().unwrap_or_default();
        let (earlier, confirmed) = history
            .get(user)
            .into_iter()
            .flatten()
            .filter(|(other, standing, _)| other < id && *standing)
            .fold((0, 0), |(earlier, confirmed), (_, _, yes)| {
                (earlier + 1, confirmed + i64::from(*yes))
            });
        let rows = by_case.remove(id).unwrap_or_default();
        let result = rescored(&rows, earlier, confirmed, outcomes, settings);
        scores.push(result.total);
        components.push(result.components);
        severities.push(result.severity.as_str());
        firsts.push(result.first);
        lasts.push(result.last);
    }
    sqlx::query(include_str!("update_case_scores.sql"))
        .bind(&ids)
        .bind(&scores)
        .bind(&components)
        .bind(&severities)
        .bind(&firsts)
        .bind(&lasts)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}
