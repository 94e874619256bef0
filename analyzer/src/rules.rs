//! The rule registry. A rule is one file under `rules/` holding its documentation (rationale
//! and the evidence it relies on), its query (a `.sql` file beside it) or its statistical
//! evaluation, its parameters with their defaults, and its tests, plus one line in
//! [`REGISTRY`]. A test checks that every file is registered, ids are unique, every query's
//! placeholders are bound and every parameter has a default of the kind its query expects.

mod after_hours;
mod coworker;
mod deceased_patient;
mod emergency_access;
mod family_member;
mod leaver_access;
mod neighbour;
mod no_relationship;
mod objection_override;
mod rare_org_patient;
mod repeat_browse;
mod same_address;
mod search_by_name;
mod self_access;
mod sensitive_category;
mod vip_patient;
mod volume_spike;

use crate::error::AnalyzerError;
use crate::settings::ParamValue;
use clickhouse::Row;
use domain::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// Which loop evaluates a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulePath {
    /// Polled within seconds of each event being stored.
    NearRealTime,
    /// Evaluated on the cron schedule over incremental windows.
    Scheduled,
}

/// The level at which an explanation binds the user to the patient, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Binding {
    /// Another organisation of the patient's integrated care system, covering for their
    /// practice (the weakest: explains away only what rests on "unexplained").
    System,
    Organisation,
    Team,
    User,
}

impl Binding {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "system" => Some(Self::System),
            "organisation" => Some(Self::Organisation),
            "team" => Some(Self::Team),
            "user" => Some(Self::User),
            _ => None,
        }
    }
}

/// A parameter a rule reads, with its default.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub default: ParamDefault,
    pub doc: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub enum ParamDefault {
    Int(i64),
    Float(f64),
    Codes(&'static [&'static str]),
}

impl ParamDefault {
    pub fn to_value(self) -> ParamValue {
        match self {
            Self::Int(value) => ParamValue::Int(value),
            Self::Float(value) => ParamValue::Float(value),
            Self::Codes(codes) => {
                ParamValue::Codes(codes.iter().map(|code| (*code).to_owned()).collect())
            }
        }
    }
}

/// What a statistical rule is given to evaluate one window.
pub struct StatisticalInput<'a> {
    pub clickhouse: &'a clickhouse::Client,
    pub window: crate::Window,
    pub params: &'a BTreeMap<String, ParamValue>,
}

pub type CandidateFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<Candidate>, AnalyzerError>> + Send + 'a>>;

/// How a rule finds its candidates.
#[derive(Clone, Copy)]
pub enum Evaluation {
    /// A query over the window (placeholders `window_start`, `window_end` and the parameters).
    Query {
        file: &'static str,
        sql: &'static str,
    },
    /// Queries for the counts plus statistics in Rust.
    Statistical(for<'a> fn(StatisticalInput<'a>) -> CandidateFuture<'a>),
}

impl std::fmt::Debug for Evaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Query { file, .. } => write!(f, "Query({file})"),
            Self::Statistical(_) => f.write_str("Statistical"),
        }
    }
}

#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub default_severity: Severity,
    pub path: RulePath,
    /// The weakest explanation that explains a finding of this rule away (`None`: nothing
    /// does; e.g. an emergency access is reviewed whatever the care context says).
    pub explained_away_at: Option<Binding>,
    /// Explanation kinds that explain a finding of this rule away whatever their binding: the
    /// patient's registration with the user's own practice explains a VIP look, where an
    /// admission to the user's (large) organisation does not.
    pub explained_away_by: &'static [&'static str],
    pub params: &'static [Param],
    pub evaluation: Evaluation,
    /// The sentence shown to a privacy officer for one candidate.
    pub explain: fn(&Candidate) -> String,
}

/// The columns every rule query selects: the access and a rule-specific detail.
#[derive(Debug, Clone, Row, Deserialize)]
pub struct CandidateRow {
    pub event_id: String,
    pub occurred_at: u32,
    pub occurred_ms: u16,
    pub user_id: String,
    pub user_org: String,
    pub patient_id: String,
    pub detail: String,
}

/// An access a rule flags, with what it measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub event_id: String,
    pub occurred_at: u32,
    pub occurred_ms: u16,
    pub user_id: String,
    pub user_org: String,
    pub patient_id: String,
    pub detail: String,
    /// What the rule measured (shown as evidence; stored in `findings.evidence`).
    pub evidence: serde_json::Value,
    /// The statistical evidence, when the rule is a test: the p-value of the unit it flagged.
    pub p_value: Option<f64>,
}

impl From<CandidateRow> for Candidate {
    fn from(row: CandidateRow) -> Self {
        let evidence = if row.detail.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::json!({ "detail": row.detail })
        };
        Self {
            event_id: row.event_id,
            occurred_at: row.occurred_at,
            occurred_ms: row.occurred_ms,
            user_id: row.user_id,
            user_org: row.user_org,
            patient_id: row.patient_id,
            detail: row.detail,
            evidence,
            p_value: None,
        }
    }
}

/// Every rule, in alphabetical order of id.
pub const REGISTRY: &[&Rule] = &[
    &after_hours::RULE,
    &coworker::RULE,
    &deceased_patient::RULE,
    &emergency_access::RULE,
    &family_member::RULE,
    &leaver_access::RULE,
    &neighbour::RULE,
    &no_relationship::RULE,
    &objection_override::RULE,
    &rare_org_patient::RULE,
    &repeat_browse::RULE,
    &same_address::RULE,
    &search_by_name::RULE,
    &self_access::RULE,
    &sensitive_category::RULE,
    &vip_patient::RULE,
    &volume_spike::RULE,
];

/// The SQL files the statistical rules run (name, text).
pub(crate) fn statistical_sql_files() -> Vec<(&'static str, &'static str)> {
    let mut files = volume_spike::SQL_FILES.to_vec();
    files.extend_from_slice(after_hours::SQL_FILES);
    files
}

pub fn find(id: &str) -> Option<&'static Rule> {
    REGISTRY.iter().copied().find(|rule| rule.id == id)
}

#[cfg(test)]
pub(crate) mod testing {
    use super::Candidate;

    /// A candidate with `detail`, for the rules' sentence tests.
    pub fn candidate(detail: &str) -> Candidate {
        Candidate {
            event_id: "e".to_owned(),
            occurred_at: 0,
            occurred_ms: 0,
            user_id: "u".to_owned(),
            user_org: "RRV".to_owned(),
            patient_id: "p".to_owned(),
            detail: detail.to_owned(),
            evidence: serde_json::json!({}),
            p_value: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_file_is_registered_once_in_order() {
        let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/src/rules");
        let mut files: Vec<String> = std::fs::read_dir(directory)
            .expect("rules directory")
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter_map(|name| name.strip_suffix(".rs").map(str::to_owned))
            .collect();
        files.sort();
        let ids: Vec<&str> = REGISTRY.iter().map(|rule| rule.id).collect();
        assert_eq!(
            files, ids,
            "rule files and registry differ (registry must be alphabetical)"
        );
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(unique, ids, "duplicate rule ids");
    }

    #[test]
    fn every_query_placeholder_is_a_window_bound_or_a_declared_parameter_with_an_example() {
        for rule in REGISTRY {
            let Evaluation::Query { file, sql } = rule.evaluation else {
                continue;
            };
            let examples = crate::sql::examples(sql);
            let expanded = crate::sql::expand(sql);
            assert!(!expanded.contains("{@"), "{file}: unknown fragment");
            for name in crate::sql::placeholders(&expanded) {
                assert!(
                    examples.contains_key(name),
                    "{file}: no example for {{{name}}}"
                );
                let known = ["window_start", "window_end"].contains(&name)
                    || crate::job::RUN_BINDS.contains(&name)
                    || rule.params.iter().any(|param| param.name == name);
                assert!(
                    known,
                    "{file}: {{{name}}} is not a parameter of {}",
                    rule.id
                );
            }
            for param in rule.params {
                assert!(
                    crate::sql::placeholders(&expanded).contains(&param.name),
                    "{}: parameter {} is not used by its query",
                    rule.id,
                    param.name
                );
            }
        }
    }

    #[test]
    fn near_real_time_rules_are_the_four_the_product_names() {
        let mut fast: Vec<&str> = REGISTRY
            .iter()
            .filter(|rule| rule.path == RulePath::NearRealTime)
            .map(|rule| rule.id)
            .collect();
        fast.sort_unstable();
        assert_eq!(
            fast,
            [
                "emergency_access",
                "leaver_access",
                "self_access",
                "vip_patient"
            ]
        );
    }
}
