//! The analyzer: runs the rule catalogue over the audit trail on a schedule and records what it
//! finds as findings grouped into cases in PostgreSQL. It reads ClickHouse, writes only
//! findings, cases, case timelines and watermarks, and never sends anything: notifying people is
//! the alerts component's job.

mod cases;
mod job;
pub mod rules;
mod watermark;

pub use job::{run, run_once, AnalyzerSettings, RunSummary, Window};
pub use watermark::{load_watermark, SCHEDULED_JOB};
