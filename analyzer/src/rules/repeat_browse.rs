//! `repeat_browse`: the user keeps returning to a patient after their episode of care ended.
//!
//! Rationale: a clinician who treated a patient has a reason to look during the episode and its
//! follow-up; returning weeks later, on several days, with no relationship any more is the pattern
//! of an interest that outlived the care (an ex-patient, a memorable case, a relationship).
//!
//! Evidence: the patient's access history in `access_explanations`: an explained access by the
//! same user within `lookback_days`, and unexplained returns on at least `min_return_days`
//! distinct days after the day of the last explained one. Reads of the same session as the
//! explained access are part of the episode, not returns: a record view is several events (the
//! record, then its parts), and when care context arrives late and explains some of them
//! first, the rest must not read as a return.

use super::{Binding, Candidate, Evaluation, Param, ParamDefault, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "repeat_browse",
    title: "Returning to a patient after the episode of care ended",
    default_severity: Severity::Medium,
    path: RulePath::Scheduled,
    explained_away_at: Some(Binding::System),
    explained_away_by: &[],
    params: &[
        Param {
            name: "lookback_days",
            default: ParamDefault::Int(180),
            doc: "how far back an episode of care and the returns are looked for",
        },
        Param {
            name: "min_return_days",
            default: ParamDefault::Int(2),
            doc: "distinct days of unexplained return that make the pattern",
        },
    ],
    evaluation: Evaluation::Query {
        file: "repeat_browse.sql",
        sql: include_str!("repeat_browse.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    format!("The user cared for this patient earlier and has come back without a care relationship: {}.", candidate.detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::candidate;

    #[test]
    fn the_sentence_names_what_matched() {
        assert_eq!(
            (RULE.explain)(&candidate("3 days of return without a relationship")),
            "The user cared for this patient earlier and has come back without a care relationship: 3 days of return without a relationship."
        );
    }
}
