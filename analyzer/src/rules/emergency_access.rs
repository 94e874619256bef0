//! `emergency_access`: the user invoked emergency access, broke the glass, overrode a
//! permission-to-view or self-claimed a legitimate relationship.
//!
//! Rationale: these mechanisms exist so care is never blocked, and every use of them is meant
//! to be reviewed afterwards (NHS SCR alerts go to the privacy officer of the user's
//! organisation). Nothing explains such an access away: it is always a finding.
//!
//! Evidence: the collector sets `emergency_access` when the event's purpose of use is
//! `ETREAT`, `BTG` or `ERTREAT`, or it carries an SCR-style alert; the reason the user gave is in
//! `emergency_reason`.

use super::{Candidate, Evaluation, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "emergency_access",
    title: "Emergency access or self-claimed relationship",
    default_severity: Severity::High,
    path: RulePath::NearRealTime,
    explained_away_at: None,
    explained_away_by: &[],
    params: &[],
    evaluation: Evaluation::Query {
        file: "emergency_access.sql",
        sql: include_str!("emergency_access.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    let reason = candidate.detail.trim();
    if reason.is_empty() {
        "The user invoked emergency access (break-glass) and gave no reason.".to_owned()
    } else {
        format!("The user invoked emergency access (break-glass) giving the reason: {reason}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::candidate;

    #[test]
    fn explanation_quotes_the_reason_given() {
        let cases = [
            ("", "The user invoked emergency access (break-glass) and gave no reason."),
            (
                "self-claimed-relationship: covering",
                "The user invoked emergency access (break-glass) giving the reason: self-claimed-relationship: covering.",
            ),
        ];
        for (detail, expected) in cases {
            assert_eq!((RULE.explain)(&candidate(detail)), expected);
        }
    }
}
