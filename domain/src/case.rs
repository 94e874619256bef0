//! Findings (what a rule concluded about one access or a set of accesses) and the vocabulary of
//! cases (the unit of work a privacy officer triages).

use crate::{EventId, OrgCode, PatientId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How urgently a finding needs a human. Ordered: `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// The base score a finding of this severity contributes to its case's rank.
    pub fn weight(self) -> f64 {
        match self {
            Self::Low => 1.0,
            Self::Medium => 3.0,
            Self::High => 9.0,
            Self::Critical => 27.0,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "low" => Ok(Self::Low),
            "medium" => Ok(Self::Medium),
            "high" => Ok(Self::High),
            "critical" => Ok(Self::Critical),
            other => Err(format!("unknown severity {other:?}")),
        }
    }
}

/// A rule's conclusion about one access: which rule, why, how severe. Findings are facts about
/// the audit trail; whether they were a breach is decided on the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub event_id: EventId,
    pub occurred_at: Timestamp,
    pub user_id: UserId,
    pub user_org: Option<OrgCode>,
    pub patient_id: PatientId,
    /// A sentence for the privacy officer saying why the rule fired. It may name the patient,
    /// so it is shown only inside careaudit, never in a notification.
    pub explanation: String,
}

/// The workflow state of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    New,
    Triage,
    Investigating,
    Closed,
}

impl CaseState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Triage => "triage",
            Self::Investigating => "investigating",
            Self::Closed => "closed",
        }
    }
}

impl FromStr for CaseState {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "new" => Ok(Self::New),
            "triage" => Ok(Self::Triage),
            "investigating" => Ok(Self::Investigating),
            "closed" => Ok(Self::Closed),
            other => Err(format!("unknown case state {other:?}")),
        }
    }
}

/// How a closed case was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Appropriate,
    InappropriateEducation,
    InappropriateDisciplinary,
    ReportedToIco,
    UnableToDetermine,
}

impl Disposition {
    pub const ALL: [Self; 5] = [
        Self::Appropriate,
        Self::InappropriateEducation,
        Self::InappropriateDisciplinary,
        Self::ReportedToIco,
        Self::UnableToDetermine,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Appropriate => "appropriate",
            Self::InappropriateEducation => "inappropriate_education",
            Self::InappropriateDisciplinary => "inappropriate_disciplinary",
            Self::ReportedToIco => "reported_to_ico",
            Self::UnableToDetermine => "unable_to_determine",
        }
    }
}

impl FromStr for Disposition {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|disposition| disposition.as_str() == raw)
            .ok_or_else(|| format!("unknown disposition {raw:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_ordered_and_parse_back() {
        assert!(Severity::Low < Severity::Medium && Severity::High < Severity::Critical);
        for severity in [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ] {
            assert_eq!(severity.as_str().parse::<Severity>(), Ok(severity));
        }
        assert!("urgent".parse::<Severity>().is_err());
    }

    #[test]
    fn case_states_parse_back() {
        for state in [
            CaseState::New,
            CaseState::Triage,
            CaseState::Investigating,
            CaseState::Closed,
        ] {
            assert_eq!(state.as_str().parse::<CaseState>(), Ok(state));
        }
    }

    #[test]
    fn dispositions_parse_back() {
        for disposition in Disposition::ALL {
            assert_eq!(disposition.as_str().parse::<Disposition>(), Ok(disposition));
        }
        assert!("inappropriate".parse::<Disposition>().is_err());
    }
}
