//! `no_relationship`: no care relationship between the patient and the user, their team or
//! their organisation is known at the time of the access.
//!
//! Rationale: explanation-based auditing: the care context explains most accesses (registrations,
//! encounters with their grace windows, referrals, appointments, care teams, colleagues of the same
//! team, prior legitimate episodes); what remains is where snooping hides. On its own an
//! unexplained access is weak evidence (out-of-hours services and ambulance crews often have no
//! record in the feeds), so the rule is low severity and raises a case only together with other
//! findings about the user (see the case-opening threshold).
//!
//! Evidence: the latest explanation of the access (`explained = 0`; read from
//! `explanations_by_arrival`, the copy of `access_explanations` by stored time); any care
//! context that arrives later re-explains the finding and lowers or closes its case.

use super::{Binding, Candidate, Evaluation, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "no_relationship",
    title: "No care relationship explains the access",
    default_severity: Severity::Low,
    path: RulePath::Scheduled,
    explained_away_at: Some(Binding::System),
    explained_away_by: &[],
    params: &[],
    evaluation: Evaluation::Query {
        file: "no_relationship.sql",
        sql: include_str!("no_relationship.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    let _ = candidate;
    "No care relationship (registration, encounter, referral, appointment, care team, same-team colleague or prior episode) links the user, their team or their organisation to the patient at the time.".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::candidate;

    #[test]
    fn the_sentence_names_what_matched() {
        assert_eq!(
            (RULE.explain)(&candidate("")),
            "No care relationship (registration, encounter, referral, appointment, care team, same-team colleague or prior episode) links the user, their team or their organisation to the patient at the time."
        );
    }
}
