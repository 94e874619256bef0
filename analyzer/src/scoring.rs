//! The score that ranks cases, and its components (stored on the case so an officer can see
//! why it ranks where it does):
//!
//! - **rules**: for each rule with findings on the case, the weight of its highest severity
//!   (low 1, medium 3, high 9, critical 27) scaled by the rule's measured precision relative to
//!   the prior (a Beta prior: `(confirmed + prior·strength) / (decided + strength)`), so
//!   outcomes recorded on cases feed back into the ranking;
//! - **statistics**: `statistics_weight × min(10, −log10 p)` of the smallest p-value of a
//!   statistical finding;
//! - **patients**: `patients_weight × log2(patients)`: serial snooping outranks a single look;
//! - **repeat**: `repeat_weight × (earlier cases + 2 × earlier confirmed cases)` of the user.
//!
//! The same score, over a user's findings not yet in a case, decides when they open one.

use crate::settings::CaseSettings;
use domain::Severity;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One finding as the score sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredFinding {
    pub rule_id: String,
    pub severity: Severity,
    pub patient_id: String,
    pub p_value: Option<f64>,
}

/// Everything the score depends on.
#[derive(Debug, Clone, Default)]
pub struct ScoreInput {
    pub findings: Vec<ScoredFinding>,
    /// Earlier cases about the same user, and how many of them were confirmed.
    pub earlier_cases: i64,
    pub earlier_confirmed: i64,
    /// Per rule: (confirmed, appropriate) outcomes of decided cases.
    pub outcomes: HashMap<String, (i64, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleComponent {
    pub severity: Severity,
    pub findings: usize,
    pub precision: f64,
    pub points: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreComponents {
    pub total: f64,
    pub severity: Severity,
    pub rules: BTreeMap<String, RuleComponent>,
    pub statistics: f64,
    pub min_p_value: Option<f64>,
    pub patients: usize,
    pub patient_points: f64,
    pub repeat_points: f64,
}

/// The score of a case (or of a user's pending findings).
pub fn score_case(input: &ScoreInput, settings: &CaseSettings) -> ScoreComponents {
    let mut rules: BTreeMap<String, RuleComponent> = BTreeMap::new();
    for finding in &input.findings {
        let entry = rules
            .entry(finding.rule_id.clone())
            .or_insert_with(|| RuleComponent {
                severity: finding.severity,
                findings: 0,
                precision: 0.0,
                points: 0.0,
            });
        entry.findings += 1;
        entry.severity = entry.severity.max(finding.severity);
    }
    for (rule_id, component) in &mut rules {
        let (confirmed, appropriate) = input.outcomes.get(rule_id).copied().unwrap_or((0, 0));
        let prior = settings.prior_precision.clamp(0.01, 1.0);
        let strength = settings.prior_strength.max(0.0);
        let decided = (confirmed + appropriate).max(0) as f64;
        component.precision =
            (confirmed.max(0) as f64 + prior * strength) / (decided + strength).max(1e-9);
        component.points = component.severity.weight() * component.precision / prior;
    }
    let min_p_value = input
        .findings
        .iter()
        .filter_map(|finding| finding.p_value)
        .filter(|p| p.is_finite())
        .fold(None, |lowest: Option<f64>, p| {
            Some(lowest.map_or(p, |l| l.min(p)))
        });
    let statistics = min_p_value
        .map(|p| settings.statistics_weight * (-p.max(1e-300).log10()).clamp(0.0, 10.0))
        .unwrap_or(0.0);
    let patients: BTreeSet<&str> = input
        .findings
        .iter()
        .map(|finding| finding.patient_id.as_str())
        .collect();
    let patient_points = settings.patients_weight * (patients.len().max(1) as f64).log2();
    let repeat_points = settings.repeat_weight
        * (input.earlier_cases.max(0) + 2 * input.earlier_confirmed.max(0)) as f64;
    let severity = rules
        .values()
        .map(|component| component.severity)
        .max()
        .unwrap_or(Severity::Low);
    let total =
        rules.values().map(|c| c.points).sum::<f64>() + statistics + patient_points + repeat_points;
    ScoreComponents {
        total,
        severity,
        rules,
        statistics,
        min_p_value,
        patients: patients.len(),
        patient_points,
        repeat_points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, severity: Severity, patient: &str) -> ScoredFinding {
        ScoredFinding {
            rule_id: rule.to_owned(),
            severity,
            patient_id: patient.to_owned(),
            p_value: None,
        }
    }

    #[test]
    fn serial_snooping_outranks_a_single_look_and_repeats_count() {
        let settings = CaseSettings::default();
        let single = ScoreInput {
            findings: vec![finding("no_relationship", Severity::Low, "p1")],
            ..ScoreInput::default()
        };
        let serial = ScoreInput {
            findings: (0..16)
                .map(|i| finding("no_relationship", Severity::Low, &format!("p{i}")))
                .collect(),
            ..ScoreInput::default()
        };
        let one = score_case(&single, &settings);
        let many = score_case(&serial, &settings);
        assert_eq!(one.total, 1.0);
        assert_eq!(many.patients, 16);
        assert!((many.total - (1.0 + 4.0 * settings.patients_weight)).abs() < 1e-9);
        let repeat = ScoreInput {
            earlier_cases: 1,
            earlier_confirmed: 1,
            ..single.clone()
        };
        assert!((score_case(&repeat, &settings).repeat_points - 9.0).abs() < 1e-9);
    }

    #[test]
    fn outcomes_move_a_rules_weight_and_statistics_add_evidence() {
        let settings = CaseSettings::default();
        let mut input = ScoreInput {
            findings: vec![ScoredFinding {
                p_value: Some(1e-8),
                ..finding("volume_spike", Severity::High, "p1")
            }],
            ..ScoreInput::default()
        };
        let before = score_case(&input, &settings);
        assert!((before.statistics - 8.0).abs() < 1e-9);
        assert!((before.rules["volume_spike"].points - 9.0).abs() < 1e-9);
        input.outcomes.insert("volume_spike".to_owned(), (0, 12));
        let after = score_case(&input, &settings);
        assert!(after.rules["volume_spike"].points < 3.0, "{after:?}");
        input.outcomes.insert("volume_spike".to_owned(), (12, 0));
        assert!(score_case(&input, &settings).rules["volume_spike"].points > 15.0);
    }
}
