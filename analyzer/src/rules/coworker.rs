//! `coworker`: the patient is employed by the same organisation as the user.
//!
//! Rationale: looking up a colleague (their diagnosis, their address, why they were off sick) is
//! one of the commonest confirmed snooping behaviours in NHS audits, and an organisation-level
//! explanation does not clear it: a colleague admitted to the same trust is "explained" for all of
//! the trust's staff, so only a relationship naming the user or their team (the ward or clinic
//! treating the colleague: the staff directory puts the user in it) explains it away. Staff of
//! the treating team are directly involved in the colleague's care, as for vip_patient; the
//! colleague down the corridor in another department is not.
//!
//! Evidence: the staff directory's `patient_id` (the member of staff's own patient record) and
//! `org_code`, joined to the patient accessed; the organisation the user acted for.

use super::{Binding, Candidate, Evaluation, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "coworker",
    title: "Patient works for the user's organisation",
    default_severity: Severity::Medium,
    path: RulePath::Scheduled,
    explained_away_at: Some(Binding::Team),
    explained_away_by: &[],
    params: &[],
    evaluation: Evaluation::Query {
        file: "coworker.sql",
        sql: include_str!("coworker.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    format!(
        "The patient is a member of staff of {}, the organisation the user acted for.",
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
            (RULE.explain)(&candidate("RRV")),
            "The patient is a member of staff of RRV, the organisation the user acted for."
        );
    }
}
