//! `vip_patient`: the patient is flagged as high-profile (`vip`) or `confidential`.
//!
//! Rationale: famous patients and those with a protected record attract curiosity and press
//! interest; every access is reviewed, in near real time, unless a relationship binds the user
//! or their team (their own clinician, the ward or clinic team caring for them), which explains
//! it away. An organisation-level relationship does not: "the patient is in my hospital" is
//! exactly the curiosity the rule is for (most curious staff work where the VIP is treated).
//! The one organisation-level relationship that does is the patient's registration with the
//! user's own GP practice (`explained_away_by = ["registration"]`): the practice holds the
//! patient's record and its staff handle their letters, results and prescriptions as routine,
//! so flagging them buries the looks that matter (on the simulator's standard data, 29 of the
//! 69 false VIP cases were a VIP's own practice staff). A practice that wants its own staff
//! reviewed sets `explained_away_by = []`.
//!
//! Evidence: `patient_flags` (latest statement of each flag, through merges).

use super::{Binding, Candidate, Evaluation, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "vip_patient",
    title: "Access to a high-profile or confidential patient",
    default_severity: Severity::High,
    path: RulePath::NearRealTime,
    explained_away_at: Some(Binding::Team),
    explained_away_by: &["registration"],
    params: &[],
    evaluation: Evaluation::Query {
        file: "vip_patient.sql",
        sql: include_str!("vip_patient.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    format!(
        "The patient is flagged {}; every access to their record is reviewed.",
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
            (RULE.explain)(&candidate("vip")),
            "The patient is flagged vip; every access to their record is reviewed."
        );
    }
}
