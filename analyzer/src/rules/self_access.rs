//! `self_access`: the patient is the user.
//!
//! Rationale: staff must use the patient routes (the NHS App, a subject access request) to see
//! their own record; looking it up through the shared care record breaches the access policy
//! whatever the reason, and is reported in near real time.
//!
//! Evidence: the staff directory's `patient_id` (the member of staff's own patient record),
//! compared with the patient accessed and the patient it was merged into.

use super::{Candidate, Evaluation, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "self_access",
    title: "The user viewed their own record",
    default_severity: Severity::High,
    path: RulePath::NearRealTime,
    explained_away_at: None,
    explained_away_by: &[],
    params: &[],
    evaluation: Evaluation::Query {
        file: "self_access.sql",
        sql: include_str!("self_access.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    format!(
        "The user viewed their own record (matched through the {}).",
        candidate.detail
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::candidate;

    #[test]
    fn the_sentence_names_what_matched() {
        assert_eq!(
            (RULE.explain)(&candidate("staff directory")),
            "The user viewed their own record (matched through the staff directory)."
        );
    }
}
