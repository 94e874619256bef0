//! `sensitive_category`: the audit shows data of a category that must never be shared through
//! the record (sexual health, HIV, sexual violence; gender reassignment and fertility records as
//! their systems label them), whoever viewed it.
//!
//! Rationale: such data is excluded from shared care records by law or policy (the Gender
//! Recognition Act, HFEA rules, sexual-health confidentiality); its appearance in a view means the
//! sharing organisation leaked it, so the finding is about the share, not the viewer, and nothing
//! explains it away.
//!
//! Evidence: the security labels of the audit event's entities (`security|system|code`) whose code
//! is among `sensitive_codes`.

use super::{Candidate, Evaluation, Param, ParamDefault, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "sensitive_category",
    title: "Data of a category that must not be shared",
    default_severity: Severity::High,
    path: RulePath::Scheduled,
    explained_away_at: None,
    explained_away_by: &[],
    params: &[Param {
        name: "sensitive_codes",
        default: ParamDefault::Codes(&["SEX", "STD", "HIV", "SDV", "TBOO"]),
        doc: "security-label codes of data that must not be shared",
    }],
    evaluation: Evaluation::Query {
        file: "sensitive_category.sql",
        sql: include_str!("sensitive_category.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    format!(
        "The view showed data labelled as a category that must not be shared ({}).",
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
            (RULE.explain)(&candidate("security|http://terminology.hl7.org/CodeSystem/v3-ActCode|HIV")),
            "The view showed data labelled as a category that must not be shared (security|http://terminology.hl7.org/CodeSystem/v3-ActCode|HIV)."
        );
    }
}
