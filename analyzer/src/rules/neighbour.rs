//! `neighbour`: the patient lives within the user's postcode unit (or, with `match_sector`,
//! the postcode sector) at a different address.
//!
//! Rationale: neighbours are a recurring subject of confirmed inappropriate access (a dispute, a
//! rumour). A postcode unit holds about fifteen households, so the match is specific; the sector is
//! broader and off by default. Only a relationship naming the user explains it away: an
//! organisation-level one (the local practice) is exactly how a neighbour's record is reachable.
//!
//! Evidence: the staff directory's `home_address_line` and `home_postcode`, the patient directory's
//! `address_line` and `postcode`, normalised (case, spaces, punctuation).

use super::{Binding, Candidate, Evaluation, Param, ParamDefault, Rule, RulePath};
use domain::Severity;

pub const RULE: Rule = Rule {
    id: "neighbour",
    title: "Patient lives near the user",
    default_severity: Severity::Medium,
    path: RulePath::Scheduled,
    explained_away_at: Some(Binding::User),
    explained_away_by: &[],
    params: &[Param {
        name: "match_sector",
        default: ParamDefault::Int(0),
        doc: "1 to match the postcode sector as well as the unit",
    }],
    evaluation: Evaluation::Query {
        file: "neighbour.sql",
        sql: include_str!("neighbour.sql"),
    },
    explain,
};

fn explain(candidate: &Candidate) -> String {
    format!(
        "The patient lives in the same postcode {} as the user, at a different address.",
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
            (RULE.explain)(&candidate("unit")),
            "The patient lives in the same postcode unit as the user, at a different address."
        );
    }
}
