//! The rule registry. A rule is one file under `rules/` holding its documentation (rationale
//! and the evidence it relies on), its query (a `.sql` file beside it) and its tests, plus one
//! line in [`REGISTRY`]. A test checks that every file is registered and ids are unique.

mod emergency_access;

use clickhouse::Row;
use domain::Severity;
use serde::Deserialize;

/// A scheduled rule whose query selects candidate accesses from `access_events` in a window of
/// collector receive time (two `?` binds: start and end, epoch milliseconds, half-open).
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub default_severity: Severity,
    pub query: &'static str,
    /// The sentence shown to a privacy officer for one candidate.
    pub explain: fn(&Candidate) -> String,
}

/// The columns every rule query selects: the access and a rule-specific detail.
#[derive(Debug, Clone, Row, Deserialize)]
pub struct Candidate {
    pub event_id: String,
    pub occurred_at: u32,
    pub occurred_ms: u16,
    pub user_id: String,
    pub user_org: String,
    pub patient_id: String,
    pub detail: String,
}

/// Every rule, in alphabetical order of id.
pub const REGISTRY: &[&Rule] = &[&emergency_access::RULE];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_file_is_registered_once() {
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
    fn every_query_binds_a_window() {
        for rule in REGISTRY {
            assert_eq!(
                rule.query.matches('?').count(),
                2,
                "{} must bind start and end",
                rule.id
            );
        }
    }
}
