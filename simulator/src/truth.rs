//! The ground truth, NDJSON, one record a line (`record` says which):
//!
//! - `header`: format, seed, size, period, the event id pattern and the explanation window;
//! - `view`, one per record view in the order written: its number, time, user, organisation,
//!   patient, `label` (`explained`, `unexplained` or `incident`) with the `context` (why the user
//!   looked), for explained views the `kind`, `binding` and `source` of the explaining fact and
//!   whether it arrives `late`, for incident views the `incident` number, the SCR-style `alert`
//!   raised with it (if any), and the ids of its
//!   `events` (`sim-<seed>-<view>-<n>` for FHIR nodes, the collector's derived
//!   `urn:uuid:` ids for ATNA nodes);
//! - `incident`, one per injected incident: number, `type`, user, organisation, patients,
//!   evidence, its views and events, first and last access;
//! - `summary`: counts of views, events and labels.
//!
//! [`read_truth`] reads it back for `careaudit evaluate`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::BufRead;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TruthView {
    pub view: u64,
    pub at: String,
    pub user_id: String,
    pub org_code: String,
    pub patient: String,
    pub label: String,
    pub context: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub binding: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(default)]
    pub late: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<u32>,
    /// The SCR-style alert raised with the view (`emergency-access`, `self-claimed-relationship`,
    /// `permission-override`), if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alert: String,
    pub events: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TruthIncident {
    pub incident: u32,
    #[serde(rename = "type")]
    pub kind: String,
    pub user_id: String,
    pub org_code: String,
    pub patients: Vec<String>,
    pub evidence: String,
    pub views: Vec<u64>,
    pub events: Vec<String>,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TruthSummary {
    pub views: u64,
    pub events: u64,
    pub labels: BTreeMap<String, u64>,
    pub unexplained: BTreeMap<String, u64>,
    pub incidents: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum TruthRecord {
    Header {
        format: String,
        seed: u64,
        size: String,
        start: String,
        days: u32,
        event_id_pattern: String,
        explanation_window_days_before: u32,
        explanation_window_days_after: u32,
    },
    View(TruthView),
    Incident(TruthIncident),
    Summary(TruthSummary),
}

pub const FORMAT: &str = "careaudit-simulator-truth/1";
pub const WINDOW_BEFORE_DAYS: u32 = 7;
pub const WINDOW_AFTER_DAYS: u32 = 30;

/// A truth file read back.
#[derive(Debug, Default)]
pub struct Truth {
    pub seed: u64,
    pub views: Vec<TruthView>,
    pub incidents: Vec<TruthIncident>,
}

#[derive(Debug, thiserror::Error)]
pub enum TruthError {
    #[error("reading the truth file: {0}")]
    Io(#[from] std::io::Error),
    #[error("truth file line {line}: {error}")]
    Line {
        line: usize,
        error: serde_json::Error,
    },
    #[error("the truth file has no header (is it a simulator truth file?)")]
    NoHeader,
}

pub fn read_truth(reader: impl BufRead) -> Result<Truth, TruthError> {
    let mut truth = Truth::default();
    let mut header = false;
    for (index, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let record: TruthRecord =
            serde_json::from_str(&line).map_err(|error| TruthError::Line {
                line: index + 1,
                error,
            })?;
        match record {
            TruthRecord::Header { seed, .. } => {
                truth.seed = seed;
                header = true;
            }
            TruthRecord::View(view) => truth.views.push(view),
            TruthRecord::Incident(incident) => truth.incidents.push(incident),
            TruthRecord::Summary(_) => {}
        }
    }
    if !header {
        return Err(TruthError::NoHeader);
    }
    Ok(truth)
}
