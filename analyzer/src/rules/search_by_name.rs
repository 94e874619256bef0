//! `search_by_name`: the record was found by a demographic search rather than opened from a
//! worklist or in the patient's context, and no care relationship explains the access.
//!
//! Rationale: staff who care for a patient reach the record from their own system in the patient's
//! context; searching the shared record by name for someone the care context does not connect to
//! the user is how curiosity finds its target.
//!
//! Evidence: the audit event's subtype (`search`, `search-type`, `search-system`: FHIR RESTful
//! interactions of a BALP PatientQuery) or a DICOM query event type (`110112`), and the access's
//! explanation.

use super::{Binding, Candidate, Evaluation, Param, ParamDefault, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "search_by_name",
    title: "Found by a demographic search, no relationship",
    default_severity: Severity::Low,
    path: RulePath::Scheduled,
    explained_away_at: Some(Binding::System),
    explained_away_by: &[],
    params: &[Param {
        name: "search_codes",
        default: ParamDefault::Codes(&["search", "search-type", "search-system", "110112"]),
        doc: "event type or subtype codes that mean a demographic search",
    }],
    evaluation: Evaluation::Query {
        file: "search_by_name.sql",
        sql: include_str!("search_by_name.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    format!("The user found the patient by a demographic search ({}) and no care relationship explains the access.", candidate.detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::candidate;

    #[test]
    fn the_sentence_names_what_matched() {
        assert_eq!(
            (RULE.explain)(&candidate("search-type")),
            "The user found the patient by a demographic search (search-type) and no care relationship explains the access."
        );
    }
}
