//! The evaluation's arithmetic, from the truth file and what careaudit reported (findings with
//! their cases, access explanations), with no IO so it can be checked by hand.
//!
//! Definitions (EVALUATION.md repeats them):
//! - a **case covers a view** when one of the case's findings is about one of the view's events;
//!   an **incident is caught** when some case covers at least one of its views;
//! - **recall** (per type and overall) = caught incidents ÷ incidents;
//! - **case precision** = cases covering at least one incident view ÷ cases;
//! - **cases per 1,000 views** = cases × 1,000 ÷ views in the truth file;
//! - a view is **explained** when the analyzer evaluated at least one of its events and
//!   explained every event it evaluated; **legitimate views explained** = explained ÷ views
//!   labelled explained or unexplained (reported also for each label, and for incident views,
//!   where an explanation would hide the incident);
//! - **time to case** = the case's opening time − the receive time of the event of its first
//!   finding (the one that opened it), p50 and p99, for cases whose first finding came from a
//!   near-real-time rule and for the others;
//! - per **rule**: the views its findings cover, per 1,000 views (firing rate); the share of
//!   those that are incident views (precision); the share the analyzer explained (explained
//!   away: flagged although the care data explains them).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simulator::truth::Truth;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The rules that must open cases within seconds.
pub const NEAR_REAL_TIME_RULES: [&str; 4] = [
    "emergency_access",
    "vip_patient",
    "self_access",
    "leaver_access",
];

/// One line of `GET /api/v1/export/findings` (the fields evaluation reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Finding {
    pub case_reference: String,
    pub rule: String,
    pub event_id: String,
    pub received_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub case_opened_at: DateTime<Utc>,
}

/// One line of `GET /api/v1/export/explanations` (the fields evaluation reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Explanation {
    pub event_id: String,
    pub explained: u8,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TypeRecall {
    pub incidents: u64,
    pub caught: u64,
    pub recall: f64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Share {
    pub views: u64,
    pub explained: u64,
    pub share: f64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Latency {
    pub cases: u64,
    pub p50_seconds: Option<f64>,
    pub p99_seconds: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RuleMetrics {
    pub findings: u64,
    pub views: u64,
    pub per_1000_views: f64,
    pub precision: f64,
    pub explained_away: f64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Report {
    pub views: u64,
    pub events: u64,
    pub incidents: TypeRecall,
    pub recall_by_type: BTreeMap<String, TypeRecall>,
    pub cases: u64,
    pub true_cases: u64,
    pub case_precision: f64,
    pub cases_per_1000_views: f64,
    /// Views evaluated by the analyzer (at least one event with an explanation row).
    pub views_evaluated: u64,
    pub legitimate_explained: Share,
    pub explained_by_label: BTreeMap<String, Share>,
    pub time_to_case_near_real_time: Latency,
    pub time_to_case_scheduled: Latency,
    pub rules: BTreeMap<String, RuleMetrics>,
    /// Findings about events the truth file does not know (not from this simulation).
    pub findings_outside_truth: u64,
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Per view: whether the analyzer evaluated it, and whether every evaluated event was explained.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewExplanation {
    pub evaluated: bool,
    pub unexplained_event: bool,
}

impl ViewExplanation {
    pub fn explained(self) -> bool {
        self.evaluated && !self.unexplained_event
    }
}

/// The view each event belongs to.
pub fn event_index(truth: &Truth) -> HashMap<&str, usize> {
    let mut index = HashMap::with_capacity(truth.views.len() * 5);
    for (position, view) in truth.views.iter().enumerate() {
        for event in &view.events {
            index.insert(event.as_str(), position);
        }
    }
    index
}

/// Folds explanations into per-view flags.
pub fn fold_explanations(
    index: &HashMap<&str, usize>,
    flags: &mut [ViewExplanation],
    explanation: &Explanation,
) {
    if let Some(&view) = index.get(explanation.event_id.as_str()) {
        flags[view].evaluated = true;
        if explanation.explained == 0 {
            flags[view].unexplained_event = true;
        }
    }
}

pub fn evaluate(
    truth: &Truth,
    index: &HashMap<&str, usize>,
    findings: &[Finding],
    explanations: &[ViewExplanation],
) -> Report {
    let mut report = Report {
        views: truth.views.len() as u64,
        events: truth
            .views
            .iter()
            .map(|view| view.events.len() as u64)
            .sum(),
        ..Report::default()
    };
    // Cases: the views they cover, opening time, and the first finding (the one that opened
    // the case: its creation, rule and its event's receive time). Time to case runs from the
    // receipt of the event whose finding opened the case: a finding that joins the case later
    // (an earlier event that a scheduled rule flags minutes after, say) is not what opened it.
    struct Case {
        views: BTreeSet<usize>,
        opened: DateTime<Utc>,
        first: Option<(DateTime<Utc>, String, Option<DateTime<Utc>>)>,
    }
    let mut cases: BTreeMap<&str, Case> = BTreeMap::new();
    let mut rule_views: BTreeMap<&str, (u64, BTreeSet<usize>)> = BTreeMap::new();
    for finding in findings {
        let case = cases
            .entry(finding.case_reference.as_str())
            .or_insert(Case {
                views: BTreeSet::new(),
                opened: finding.case_opened_at,
                first: None,
            });
        if case
            .first
            .as_ref()
            .is_none_or(|(at, _, _)| finding.created_at < *at)
        {
            case.first = Some((
                finding.created_at,
                finding.rule.clone(),
                finding.received_at,
            ));
        }
        let rule = rule_views.entry(finding.rule.as_str()).or_default();
        rule.0 += 1;
        match index.get(finding.event_id.as_str()) {
            Some(&view) => {
                case.views.insert(view);
                rule.1.insert(view);
            }
            None => report.findings_outside_truth += 1,
        }
    }
    let is_incident = |view: usize| truth.views[view].incident.is_some();
    report.cases = cases.len() as u64;
    report.true_cases = cases
        .values()
        .filter(|case| case.views.iter().any(|view| is_incident(*view)))
        .count() as u64;
    report.case_precision = ratio(report.true_cases, report.cases);
    report.cases_per_1000_views = ratio(report.cases * 1000, report.views);

    let covered: BTreeSet<usize> = cases
        .values()
        .flat_map(|case| case.views.iter().copied())
        .collect();
    for incident in &truth.incidents {
        let caught = incident
            .views
            .iter()
            .any(|view| covered.contains(&(*view as usize)));
        for entry in [
            report
                .recall_by_type
                .entry(incident.kind.clone())
                .or_default(),
            &mut report.incidents,
        ] {
            entry.incidents += 1;
            entry.caught += u64::from(caught);
        }
    }
    for entry in report
        .recall_by_type
        .values_mut()
        .chain(std::iter::once(&mut report.incidents))
    {
        entry.recall = ratio(entry.caught, entry.incidents);
    }

    for (view, truth_view) in truth.views.iter().enumerate() {
        let flags = explanations.get(view).copied().unwrap_or_default();
        report.views_evaluated += u64::from(flags.evaluated);
        let share = report
            .explained_by_label
            .entry(truth_view.label.clone())
            .or_default();
        share.views += 1;
        share.explained += u64::from(flags.explained());
        if truth_view.incident.is_none() {
            report.legitimate_explained.views += 1;
            report.legitimate_explained.explained += u64::from(flags.explained());
        }
    }
    for share in report
        .explained_by_label
        .values_mut()
        .chain(std::iter::once(&mut report.legitimate_explained))
    {
        share.share = ratio(share.explained, share.views);
    }

    let mut near: Vec<f64> = Vec::new();
    let mut scheduled: Vec<f64> = Vec::new();
    for case in cases.values() {
        let Some((_, rule, Some(received))) = case.first.as_ref() else {
            continue;
        };
        let seconds = (case.opened - *received).num_milliseconds() as f64 / 1000.0;
        if NEAR_REAL_TIME_RULES.contains(&rule.as_str()) {
            near.push(seconds);
        } else {
            scheduled.push(seconds);
        }
    }
    for (values, latency) in [
        (&mut near, &mut report.time_to_case_near_real_time),
        (&mut scheduled, &mut report.time_to_case_scheduled),
    ] {
        values.sort_by(f64::total_cmp);
        *latency = Latency {
            cases: values.len() as u64,
            p50_seconds: percentile(values, 0.5),
            p99_seconds: percentile(values, 0.99),
        };
    }

    for (rule, (count, views)) in rule_views {
        let incident_views = views.iter().filter(|view| is_incident(**view)).count() as u64;
        let explained = views
            .iter()
            .filter(|view| {
                explanations
                    .get(**view)
                    .is_some_and(|flags| flags.explained())
            })
            .count() as u64;
        report.rules.insert(
            rule.to_owned(),
            RuleMetrics {
                findings: count,
                views: views.len() as u64,
                per_1000_views: ratio(views.len() as u64 * 1000, report.views),
                precision: ratio(incident_views, views.len() as u64),
                explained_away: ratio(explained, views.len() as u64),
            },
        );
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use simulator::truth::{TruthIncident, TruthView};

    fn view(number: u64, incident: Option<u32>, label: &str) -> TruthView {
        TruthView {
            view: number,
            at: String::new(),
            user_id: "u".to_owned(),
            org_code: "o".to_owned(),
            patient: "p".to_owned(),
            label: label.to_owned(),
            context: String::new(),
            kind: String::new(),
            binding: String::new(),
            source: String::new(),
            late: false,
            incident,
            alert: String::new(),
            events: vec![format!("e{number}a"), format!("e{number}b")],
        }
    }

    fn finding(case: &str, rule: &str, event: &str, received: i64, opened: i64) -> Finding {
        let at = |seconds| DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("time");
        Finding {
            case_reference: case.to_owned(),
            rule: rule.to_owned(),
            event_id: event.to_owned(),
            received_at: Some(at(received)),
            created_at: at(opened),
            case_opened_at: at(opened),
        }
    }

    #[test]
    fn arithmetic_on_a_case_computed_by_hand() {
        // Ten views: 0-5 explainable, 6-7 unexplained by design, 8 and 9 two incidents
        // (family member, leaver). Cases: A covers incident view 8 (true), B covers view 6 (a
        // false alarm); the leaver is missed. Views 0-4 and 8 are explained, 5 is evaluated
        // and unexplained, 6-7 not evaluated.
        let mut views: Vec<TruthView> = (0..8)
            .map(|number| {
                view(
                    number,
                    None,
                    if number < 6 {
                        "explained"
                    } else {
                        "unexplained"
                    },
                )
            })
            .collect();
        views.push(view(8, Some(0), "incident"));
        views.push(view(9, Some(1), "incident"));
        let incident = |id: u32, kind: &str, view: u64| TruthIncident {
            incident: id,
            kind: kind.to_owned(),
            user_id: "u".to_owned(),
            org_code: "o".to_owned(),
            patients: vec![],
            evidence: String::new(),
            views: vec![view],
            events: vec![],
            start: String::new(),
            end: String::new(),
        };
        let truth = Truth {
            seed: 1,
            views,
            incidents: vec![incident(0, "family_member", 8), incident(1, "leaver", 9)],
        };
        let index = event_index(&truth);
        let mut flags = vec![ViewExplanation::default(); 10];
        for (event, explained) in [
            ("e0a", 1),
            ("e1a", 1),
            ("e2a", 1),
            ("e3a", 1),
            ("e4a", 1),
            ("e4b", 1),
            ("e5a", 1),
            ("e5b", 0),
            ("e8a", 1),
        ] {
            fold_explanations(
                &index,
                &mut flags,
                &Explanation {
                    event_id: event.to_owned(),
                    explained,
                },
            );
        }
        let findings = vec![
            finding("A", "emergency_access", "e8a", 0, 2),
            // Flagged later by a scheduled rule, of an event received before the one that
            // opened the case: not what opened it, so not in its time to case.
            finding("A", "family_member", "e8b", -100, 60),
            finding("B", "no_relationship", "e6a", 10, 310),
            finding("B", "no_relationship", "elsewhere", 10, 310),
        ];
        let report = evaluate(&truth, &index, &findings, &flags);
        assert_eq!((report.cases, report.true_cases), (2, 1));
        assert_eq!(report.case_precision, 0.5);
        assert_eq!(report.cases_per_1000_views, 200.0);
        assert_eq!(
            report.incidents,
            TypeRecall {
                incidents: 2,
                caught: 1,
                recall: 0.5
            }
        );
        assert_eq!(report.recall_by_type["family_member"].recall, 1.0);
        assert_eq!(report.recall_by_type["leaver"].recall, 0.0);
        // Legitimate views: 0-7; explained: 0-4 (5 has an unexplained event, 6-7 unevaluated).
        assert_eq!(
            report.legitimate_explained,
            Share {
                views: 8,
                explained: 5,
                share: 0.625
            }
        );
        assert_eq!(
            report.explained_by_label["incident"],
            Share {
                views: 2,
                explained: 1,
                share: 0.5
            }
        );
        assert_eq!(report.views_evaluated, 7);
        assert_eq!(
            report.time_to_case_near_real_time,
            Latency {
                cases: 1,
                p50_seconds: Some(2.0),
                p99_seconds: Some(2.0)
            }
        );
        assert_eq!(
            report.time_to_case_scheduled,
            Latency {
                cases: 1,
                p50_seconds: Some(300.0),
                p99_seconds: Some(300.0)
            }
        );
        assert_eq!(report.findings_outside_truth, 1);
        let rule = &report.rules["no_relationship"];
        assert_eq!(
            (
                rule.findings,
                rule.views,
                rule.precision,
                rule.per_1000_views
            ),
            (2, 1, 0.0, 100.0)
        );
        assert_eq!(report.rules["family_member"].precision, 1.0);
        assert_eq!(report.rules["emergency_access"].explained_away, 1.0);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), Some(50.0));
        assert_eq!(percentile(&values, 0.99), Some(99.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
