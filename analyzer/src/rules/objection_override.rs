//! `objection_override`: the patient objected to their record being shared and the access
//! gave no purpose the objection allows for.
//!
//! Rationale: an objection (a Consent resource denying sharing, a flag from the registration
//! system) is the patient's instruction; overriding it needs a lawful basis (safeguarding, public
//! interest, an emergency), and even those overrides must be reviewed, so they are reported too,
//! with the purposes of use the user gave. Only `exempt_purposes` (by default `PATRQT`, the
//! patient asked for this view) are not reported. Nothing explains it away.
//!
//! Evidence: the `sharing_objection` flag (latest statement) and the access's purposes of use.

use super::{Candidate, Evaluation, Param, ParamDefault, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "objection_override",
    title: "Access despite the patient's objection to sharing",
    default_severity: Severity::High,
    path: RulePath::Scheduled,
    explained_away_at: None,
    explained_away_by: &[],
    params: &[Param {
        name: "exempt_purposes",
        default: ParamDefault::Codes(&["PATRQT"]),
        doc: "purpose-of-use codes the objection allows for",
    }],
    evaluation: Evaluation::Query {
        file: "objection_override.sql",
        sql: include_str!("objection_override.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    format!("The patient has objected to sharing their record; the access gave the purposes of use: {}.", if candidate.detail.is_empty() { "none" } else { candidate.detail.as_str() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::candidate;

    #[test]
    fn the_sentence_names_what_matched() {
        assert_eq!(
            (RULE.explain)(&candidate("TREAT, PUBHLTH")),
            "The patient has objected to sharing their record; the access gave the purposes of use: TREAT, PUBHLTH."
        );
    }
}
