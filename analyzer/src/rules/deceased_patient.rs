//! `deceased_patient`: the patient died more than `days_after_death` days before the access.
//!
//! Rationale: after death the care of the patient ends; legitimate looks (death certification,
//! bereavement, coroner's requests) cluster in the first weeks, while curiosity about a deceased
//! person (a celebrity, a neighbour) comes later. A relationship of the user or their team still
//! valid at the access (a post-mortem review) explains it away.
//!
//! Evidence: the patient directory's `death_date` (latest statement), the access time.

use super::{Binding, Candidate, Evaluation, Param, ParamDefault, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "deceased_patient",
    title: "Access to a deceased patient's record",
    default_severity: Severity::Medium,
    path: RulePath::Scheduled,
    explained_away_at: Some(Binding::Team),
    explained_away_by: &[],
    params: &[Param {
        name: "days_after_death",
        default: ParamDefault::Int(30),
        doc: "days after the death before an access is flagged",
    }],
    evaluation: Evaluation::Query {
        file: "deceased_patient.sql",
        sql: include_str!("deceased_patient.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    format!(
        "The patient had died ({}) more than the configured number of days before this access.",
        candidate.detail.trim_start_matches("died ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::candidate;

    #[test]
    fn the_sentence_names_what_matched() {
        assert_eq!(
            (RULE.explain)(&candidate("died 2026-01-02")),
            "The patient had died (2026-01-02) more than the configured number of days before this access."
        );
    }
}
