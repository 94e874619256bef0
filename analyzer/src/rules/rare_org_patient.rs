//! `rare_org_patient`: the user's organisation has never had a care relationship with the
//! patient and lies in another region than every organisation that has (a cross-exchange look
//! without a referral).
//!
//! Rationale: in a shared care record every organisation can open every patient; care across
//! regions is nearly always preceded by a referral, a transfer or an attendance that the care
//! context records. An unexplained look from another region is rarer and more telling than one
//! from next door; still, out-of-hours and ambulance services cross regions every night, so it
//! is low severity: evidence that adds to a case, not one on its own.
//!
//! Evidence: `organisations.region` of the user's organisation and of the patient's registered
//! practice and every organisation with a relationship; the access's explanation.

use super::{Binding, Candidate, Evaluation, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "rare_org_patient",
    title: "Cross-region access without any contact",
    default_severity: Severity::Low,
    path: RulePath::Scheduled,
    explained_away_at: Some(Binding::System),
    explained_away_by: &[],
    params: &[],
    evaluation: Evaluation::Query {
        file: "rare_org_patient.sql",
        sql: include_str!("rare_org_patient.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    format!("The user's organisation has no care relationship with the patient and is in another region ({}).", candidate.detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::candidate;

    #[test]
    fn the_sentence_names_what_matched() {
        assert_eq!(
            (RULE.explain)(&candidate("North viewing a patient of South")),
            "The user's organisation has no care relationship with the patient and is in another region (North viewing a patient of South)."
        );
    }
}
