//! `family_member`: patient and user share surname and home address, or the care context
//! names the user as the patient's related person (next of kin, emergency contact, a relation).
//!
//! Rationale: family members are the most frequent subject of confirmed snooping (a partner, an
//! ex-partner's new family, a child's test results). Staff must not treat or look up their own
//! family except in an emergency; only a relationship naming the user personally explains it away.
//!
//! Evidence: staff and patient directories (surname, address line and postcode, normalised), and
//! `related_person` relationships whose related person is the user.

use super::{Binding, Candidate, Evaluation, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "family_member",
    title: "Patient is the user's family",
    default_severity: Severity::High,
    path: RulePath::Scheduled,
    explained_away_at: Some(Binding::User),
    explained_away_by: &[],
    params: &[],
    evaluation: Evaluation::Query {
        file: "family_member.sql",
        sql: include_str!("family_member.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    format!(
        "The patient appears to be the user's family: {}.",
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
            (RULE.explain)(&candidate("related person: wife")),
            "The patient appears to be the user's family: related person: wife."
        );
    }
}
