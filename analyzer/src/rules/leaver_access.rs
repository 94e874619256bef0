//! `leaver_access`: the user accessed after their leaving date, or well before their start
//! date, i.e. while their account should have been inactive.
//!
//! Rationale: a leaver's smartcard or account that still works is both a security failure and a
//! common route to misuse (a former employee looking up someone). It is reported in near real time
//! so that the account can be closed. No care relationship explains it away.
//!
//! Evidence: the staff directory's `leave_date` and `start_date` (latest HR statement).

use super::{Candidate, Evaluation, Param, ParamDefault, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "leaver_access",
    title: "Access by a leaver or before the start date",
    default_severity: Severity::High,
    path: RulePath::NearRealTime,
    explained_away_at: None,
    explained_away_by: &[],
    params: &[Param {
        name: "early_start_days",
        default: ParamDefault::Int(7),
        doc: "days before the start date an access is still allowed (induction)",
    }],
    evaluation: Evaluation::Query {
        file: "leaver_access.sql",
        sql: include_str!("leaver_access.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    format!(
        "The user accessed the record while their account should have been inactive ({}).",
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
            (RULE.explain)(&candidate("left 2026-03-31")),
            "The user accessed the record while their account should have been inactive (left 2026-03-31)."
        );
    }
}
