//! Evaluating one configured rule over a window: its query (or statistics) gives candidate
//! accesses; duplicates of an event (a re-shipped batch) and repeats of the same user, patient
//! and hour (an access and its data reads) collapse into one; and candidates whose access is
//! explained at or above the rule's `explained_away_at` binding, or by one of its
//! `explained_away_by` kinds, are dropped. A catch-up in
//! bounded steps passes the same [`Sessions`] to each step, so a session that crosses a step's
//! end stays one candidate, as it would in one window.

use crate::error::AnalyzerError;
use crate::explain::{explain_events, window_explanations};
use crate::rules::{Candidate, CandidateRow, Evaluation, StatisticalInput};
use crate::settings::{ConfiguredRule, ExplanationSettings, ParamValue};
use crate::sql::{query, BindValue, Binds};
use crate::window::Window;
use std::collections::HashSet;

/// The (user, patient, hour) sessions already given a candidate by the earlier steps of one
/// rule's catch-up.
pub(crate) type Sessions = HashSet<(String, String, u32)>;

/// The candidates of one rule over `window`: `run_binds` are the run's shared binds, and
/// `sessions` the sessions earlier steps of the same catch-up took (extended with this one's).
/// With `explain_first` (the near-real-time path, which runs ahead of the explanation pass), the
/// candidates' own events are explained (at that version) before the rule looks their
/// explanations up, so a fast rule never waits for the whole window to be explained.
pub(crate) async fn candidates(
    clickhouse: &clickhouse::Client,
    configured: &ConfiguredRule,
    window: Window,
    run_binds: &Binds,
    sessions: &mut Sessions,
    explain_first: Option<(&ExplanationSettings, u64)>,
) -> Result<Vec<Candidate>, AnalyzerError> {
    let found = match configured.rule.evaluation {
        Evaluation::Query { file, sql } => {
            let mut binds = window.binds();
            binds.extend(run_binds.iter().map(|(name, value)| (*name, value.clone())));
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
    let mut kept = collapse(found, sessions);
    if configured.explainable() {
        if let Some((explanation, version)) = explain_first {
            let mut ids: Vec<String> = kept.iter().map(|c| c.event_id.clone()).collect();
            ids.sort_unstable();
            ids.dedup();
            explain_events(clickhouse, explanation, window, &ids, version).await?;
        }
        let keys: Vec<(String, String)> = kept
            .iter()
            .map(|c| (c.event_id.clone(), c.patient_id.clone()))
            .collect();
        let known = window_explanations(clickhouse, window, &keys).await?;
        kept.retain(|candidate| {
            known
                .get(&candidate.event_id)
                .is_none_or(|explanation| !configured.explained_away(explanation))
        });
    }
    Ok(kept)
}

/// One candidate per event, and per user, patient and hour, leaving out the sessions in
/// `sessions` and adding the ones kept (pure).
pub(crate) fn collapse(mut found: Vec<Candidate>, sessions: &mut Sessions) -> Vec<Candidate> {
    found.sort_by(|a, b| {
        (a.occurred_at, a.occurred_ms, &a.event_id).cmp(&(
            b.occurred_at,
            b.occurred_ms,
            &b.event_id,
        ))
    });
    let mut events = HashSet::new();
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
        let kept = collapse(
            vec![
                at("read-2", "p", 7_210),
                at("read-1", "p", 7_205),
                at("view", "p", 7_200),
                at("view", "p", 7_200),
                at("other", "q", 7_200),
                at("later", "p", 11_000),
            ],
            &mut Sessions::new(),
        );
        let ids: Vec<&str> = kept.iter().map(|c| c.event_id.as_str()).collect();
        assert_eq!(ids, ["other", "view", "later"]);
    }

    #[test]
    fn a_session_across_steps_of_a_catch_up_is_one_candidate() {
        let at = |event: &str, patient: &str, seconds: u32| {
            let mut c = candidate("");
            c.event_id = event.to_owned();
            c.patient_id = patient.to_owned();
            c.occurred_at = seconds;
            c
        };
        let mut sessions = Sessions::new();
        let first = collapse(
            vec![at("view", "p", 7_200), at("other", "q", 7_300)],
            &mut sessions,
        );
        assert_eq!(first.len(), 2);
        // The next step: the same hour's reads of p, a re-read of the overlap, and a new hour.
        let second = collapse(
            vec![
                at("read-1", "p", 7_900),
                at("other", "q", 7_300),
                at("later", "p", 11_000),
            ],
            &mut sessions,
        );
        let ids: Vec<&str> = second.iter().map(|c| c.event_id.as_str()).collect();
        assert_eq!(ids, ["later"]);
        // Without the earlier steps' sessions the same rows are three candidates.
        let alone = collapse(
            vec![
                at("read-1", "p", 7_900),
                at("other", "q", 7_300),
                at("later", "p", 11_000),
            ],
            &mut Sessions::new(),
        );
        assert_eq!(alone.len(), 3);
    }
}
