//! Evaluating one configured rule over a window: its query (or statistics) gives candidate
//! accesses; duplicates of an event (a re-shipped batch) and repeats of the same user, patient
//! and hour (an access and its data reads) collapse into one; and candidates whose access is
//! explained at or above the rule's `explained_away_at` binding are dropped.

use crate::error::AnalyzerError;
use crate::explain::explanations;
use crate::rules::{Candidate, CandidateRow, Evaluation, StatisticalInput};
use crate::settings::{ConfiguredRule, ParamValue};
use crate::sql::{query, BindValue};
use crate::window::Window;
use std::collections::HashSet;

pub(crate) async fn candidates(
    clickhouse: &clickhouse::Client,
    configured: &ConfiguredRule,
    window: Window,
) -> Result<Vec<Candidate>, AnalyzerError> {
    let found = match configured.rule.evaluation {
        Evaluation::Query { file, sql } => {
            let mut binds = window.binds();
            for param in configured.rule.params {
                let value = match configured.params.get(param.name) {
                    Some(ParamValue::Int(v)) => BindValue::Int(*v),
                    Some(ParamValue::Float(v)) => BindValue::Float(*v),
                    Some(ParamValue::Codes(v)) => BindValue::Texts(v.clone()),
                    None => continue,
                };
                binds.insert(param.name, value);
            }
            let rows: Vec<CandidateRow> = query(clickhouse, file, sql, &binds)?.fetch_all().await?;
            rows.into_iter().map(Candidate::from).collect()
        }
        Evaluation::Statistical(evaluate) => {
            evaluate(StatisticalInput {
                clickhouse,
                window,
                params: &configured.params,
            })
            .await?
        }
    };
    let mut kept = collapse(found);
    if let Some(level) = configured.explained_away_at {
        let keys: Vec<(String, String)> = kept
            .iter()
            .map(|c| (c.event_id.clone(), c.patient_id.clone()))
            .collect();
        let known = explanations(clickhouse, &keys).await?;
        kept.retain(|candidate| {
            known
                .get(&candidate.event_id)
                .and_then(|explanation| explanation.binding())
                .is_none_or(|binding| binding < level)
        });
    }
    Ok(kept)
}

/// One candidate per event, and per user, patient and hour (pure).
pub(crate) fn collapse(mut found: Vec<Candidate>) -> Vec<Candidate> {
    found.sort_by(|a, b| {
        (a.occurred_at, a.occurred_ms, &a.event_id).cmp(&(
            b.occurred_at,
            b.occurred_ms,
            &b.event_id,
        ))
    });
    let mut events = HashSet::new();
    let mut sessions = HashSet::new();
    found.retain(|candidate| {
        let session = (
            candidate.user_id.clone(),
            candidate.patient_id.clone(),
            candidate.occurred_at / 3_600,
        );
        events.insert(candidate.event_id.clone()) && sessions.insert(session)
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::candidate;

    #[test]
    fn an_access_and_its_data_reads_are_one_candidate() {
        let at = |event: &str, patient: &str, seconds: u32| {
            let mut c = candidate("");
            c.event_id = event.to_owned();
            c.patient_id = patient.to_owned();
            c.occurred_at = seconds;
            c
        };
        let kept = collapse(vec![
            at("read-2", "p", 7_210),
            at("read-1", "p", 7_205),
            at("view", "p", 7_200),
            at("view", "p", 7_200),
            at("other", "q", 7_200),
            at("later", "p", 11_000),
        ]);
        let ids: Vec<&str> = kept.iter().map(|c| c.event_id.as_str()).collect();
        assert_eq!(ids, ["other", "view", "later"]);
    }
}
