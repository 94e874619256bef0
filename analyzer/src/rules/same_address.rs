//! `same_address`: the patient lives at the user's home address (and does not share their
//! surname, which `family_member` reports).
//!
//! Rationale: someone living at the same address is a partner, a lodger, a family member by
//! another name; their record is off limits to the user unless the user personally cares for
//! them (then only a relationship naming the user explains it away).
//!
//! Evidence: the staff directory's home address and postcode, the patient directory's address and
//! postcode, normalised (case, spaces, punctuation).

use super::{Binding, Candidate, Evaluation, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "same_address",
    title: "Patient lives at the user's address",
    default_severity: Severity::High,
    path: RulePath::Scheduled,
    explained_away_at: Some(Binding::User),
    explained_away_by: &[],
    params: &[],
    evaluation: Evaluation::Query {
        file: "same_address.sql",
        sql: include_str!("same_address.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    format!(
        "The patient lives at the user's home address ({}).",
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
            (RULE.explain)(&candidate("SW1A1AA")),
            "The patient lives at the user's home address (SW1A1AA)."
        );
    }
}
