//! The analyzer: explains every access it can from the care context, runs the rule catalogue
//! over the audit trail, and records what it finds as findings grouped into ranked cases in
//! PostgreSQL. Two loops share the work: a near-real-time loop (sub-second polls of the events
//! ClickHouse has just stored: explanation and the rules that must fire within seconds) and
//! the scheduled loop (cron: the other rules over incremental windows, and re-explaining open
//! findings when care context arrives late). It reads ClickHouse, writes only
//! `access_explanations` there, writes findings, cases, timelines, suppressed findings and
//! watermarks in PostgreSQL, and never sends anything: notifying people is the alerts
//! component's job.

mod error;
mod evaluate;
mod explain;
mod job;
mod near_real_time;
mod precision;
mod record;
mod reexplain;
pub mod rules;
mod scoring;
mod settings;
pub mod sql;
pub mod statistics;
mod watermark;
mod window;

pub use error::AnalyzerError;
pub use job::{caught_up, clickhouse_now_ms, run, run_once, scheduled_once, Explainer, RunSummary};
pub use near_real_time::poll_once;
pub use precision::{rule_outcomes, RuleOutcome};
pub use scoring::{score_case, ScoreComponents, ScoreInput};
pub use settings::{
    AnalyzerSettings, CaseSettings, ConfiguredRule, CoveringSettings, ExplanationSettings,
    KindWindow, NearRealTimeSettings, ParamValue, RuleSettings,
};
pub use watermark::load_watermark;
pub use window::Window;

/// The SQL files of the analyzer (name, text), for the chDB check and the 18.16 tests.
pub fn sql_files() -> Vec<(&'static str, &'static str)> {
    let mut files = vec![
        explain::EXPLAIN_WINDOW,
        explain::PRIOR_EPISODE,
        explain::COVERING,
        explain::BINDINGS,
        explain::WINDOW_BINDINGS,
        explain::CARE_ARRIVED,
        job::FIRST_STORED,
        job::MOSTLY_UNEXPLAINED_ORGS,
        explain::LATE_CONTEXT_ACCESSES,
        explain::ARRIVED_PATIENTS,
    ];
    for rule in rules::REGISTRY {
        if let rules::Evaluation::Query { file, sql } = rule.evaluation {
            files.push((file, sql));
        }
    }
    files.extend(rules::statistical_sql_files());
    files
}

#[cfg(test)]
mod tests {
    /// Every ClickHouse `.sql` file under `explain/`, `job/` and `rules/` is one `sql_files` lists, so
    /// the chDB check (which globs those folders) and the 18.16 tests run the same set.
    #[test]
    fn sql_files_lists_every_clickhouse_query_file() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut on_disk = Vec::new();
        for folder in [
            "explain",
            "job",
            "rules",
            "rules/volume_spike",
            "rules/after_hours",
        ] {
            for entry in std::fs::read_dir(format!("{root}/{folder}")).expect("folder") {
                let name = entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned();
                if let Some(stem) = name.strip_suffix(".sql") {
                    let prefix = folder
                        .strip_prefix("rules")
                        .map(|rest| rest.trim_start_matches('/'))
                        .unwrap_or(folder);
                    on_disk.push(if prefix.is_empty() {
                        format!("{stem}.sql")
                    } else {
                        format!("{prefix}/{stem}.sql")
                    });
                }
            }
        }
        on_disk.sort();
        let mut listed: Vec<String> = super::sql_files()
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }
}
