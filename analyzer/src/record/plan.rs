//! What one rule run's findings do, decided in memory (no IO) from what the run read once at its
//! start: the user's cases and pending findings. The decisions are those of recording the
//! findings one at a time, in the run's order (oldest access first), against PostgreSQL:
//!
//! - an event already recorded (by an earlier run, or earlier in this one) is a duplicate;
//! - a finding covered by a suppression in force (the first by id) is kept aside;
//! - one within the grouping window of an open case about the user (the one whose accesses end
//!   last) joins it, and widens the case's first and last access for the findings after it
//!   (the re-score at the end of the run writes the same widening): so an incident spanning
//!   days is one case however much time a run covers (a replay of a month in minutes, or a
//!   run after an outage), as it is when runs follow the accesses every few minutes;
//! - else one about a patient an open case of the user already covers joins that case (the
//!   one whose accesses end last) however far apart in time, when
//!   `join_open_case_of_patient` (a user back in a relative's record three weeks later adds
//!   to the case being worked, not a second case about the same look);
//! - else one within `join_open_case_of_user_days` of an open case of the user, and no more
//!   severe than it, joins that case (the one whose accesses end last): one case per user under
//!   review, where each grouping window used to open a case that scored the one before as
//!   repeat behaviour (a clinician's unrecorded advice calls, a leaver's weeks of logins); a
//!   more severe finding opens its own case and so its own notification;
//! - otherwise it waits, and when the user's pending findings within the grouping window of it
//!   (this run's and earlier ones, of any rule) reach the case-opening score, they open one case
//!   for the patient of the earliest of them, moved into it in the order they were recorded.
//!
//! The plan lists every row to write, in the order the one-at-a-time recording wrote them, so
//! the set-based writes (`store`) give the same findings, cases, timeline and pending rows.

use super::{ActiveSuppression, NewFinding, Outcomes, Recorded};
use crate::scoring::{score_case, ScoreInput, ScoredFinding};
use crate::settings::AnalyzerSettings;
use chrono::{DateTime, TimeDelta, Utc};
use domain::Severity;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::str::FromStr;

/// A case about one of the run's users, as the run read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct KnownCase {
    pub id: i64,
    pub user_id: String,
    /// Not closed: a finding close in time joins it.
    pub open: bool,
    pub first_event_at: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    /// `low` ... `critical`: a finding more severe than an open case does not join it from
    /// outside the grouping window.
    pub severity: String,
    /// Not explained away: it counts as an earlier case of the user in the score.
    pub standing: bool,
    /// Decided as an inappropriate access.
    pub confirmed: bool,
    /// The patients an open case covers (none read for a closed one).
    pub patients: Vec<String>,
}

/// A finding of one of the run's users waiting in `pending_findings`, as the run read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct KnownPending {
    pub id: i64,
    pub rule_id: String,
    pub event_id: String,
    pub severity: String,
    pub occurred_at: DateTime<Utc>,
    pub user_id: String,
    pub user_org: Option<String>,
    pub patient_id: String,
    pub explanation: String,
    pub evidence: serde_json::Value,
}

/// A case the run extends (already stored) or opens (the n-th it opens).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum CaseKey {
    Known(i64),
    Opened(usize),
}

/// Where a finding's row comes from: a known pending finding (index into the pending read, in
/// id order) or this run's n-th finding. Ordered as their `pending_findings` ids would be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Source {
    Pending(usize),
    Run(usize),
}

/// A case the run opens.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Opened {
    pub org_code: String,
    pub user_id: String,
    /// The earliest of its findings: the case is opened for its patient, at its severity.
    pub first: Source,
    pub first_event_at: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    pub opening_score: f64,
}

/// A row for `findings`: a finding joining a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Insert {
    pub source: Source,
    pub case: CaseKey,
}

/// A timeline entry: a case opened (index into `opened`) or a finding added (into `inserts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    Opened(usize),
    Added(usize),
}

/// Everything one run writes, in the order it is written.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Per finding of the run, what recording it did.
    pub outcomes: Vec<Recorded>,
    /// (finding, suppression id) for `suppressed_findings`.
    pub suppressed: Vec<(usize, i64)>,
    pub opened: Vec<Opened>,
    pub inserts: Vec<Insert>,
    /// This run's findings that still wait at its end, for `pending_findings`.
    pub still_pending: Vec<usize>,
    /// Ids of known pending findings moved into a case.
    pub promoted: Vec<i64>,
    pub timeline: Vec<Entry>,
    /// Cases re-scored at the end of the run.
    pub touched: BTreeSet<CaseKey>,
}

/// What the plan is made from.
pub(crate) struct Inputs<'a> {
    pub findings: &'a [NewFinding],
    /// Events of the rule recorded before the run.
    pub recorded: &'a HashSet<String>,
    pub suppressions: &'a [ActiveSuppression],
    pub cases: &'a [KnownCase],
    /// In id order.
    pub pending: &'a [KnownPending],
    pub outcomes: &'a Outcomes,
}

impl<'a> Inputs<'a> {
    pub fn patient(&self, source: Source) -> &'a str {
        match source {
            Source::Pending(index) => &self.pending[index].patient_id,
            Source::Run(index) => &self.findings[index].patient_id,
        }
    }

    pub fn occurred_at(&self, source: Source) -> DateTime<Utc> {
        match source {
            Source::Pending(index) => self.pending[index].occurred_at,
            Source::Run(index) => self.findings[index].occurred_at,
        }
    }

    pub fn scored(&self, source: Source) -> ScoredFinding {
        match source {
            Source::Pending(index) => {
                let pending = &self.pending[index];
                scored_finding(
                    &pending.rule_id,
                    &pending.severity,
                    &pending.patient_id,
                    &pending.evidence,
                )
            }
            Source::Run(index) => {
                let finding = &self.findings[index];
                scored_finding(
                    finding.rule_id,
                    finding.severity.as_str(),
                    &finding.patient_id,
                    &finding.evidence,
                )
            }
        }
    }
}

/// A finding as the score sees it (an unknown severity counts as low).
pub(crate) fn scored_finding(
    rule_id: &str,
    severity: &str,
    patient_id: &str,
    evidence: &serde_json::Value,
) -> ScoredFinding {
    ScoredFinding {
        rule_id: rule_id.to_owned(),
        severity: Severity::from_str(severity).unwrap_or(Severity::Low),
        patient_id: patient_id.to_owned(),
        p_value: evidence.get("p_value").and_then(serde_json::Value::as_f64),
    }
}

/// The grouping window as PostgreSQL's `make_interval(secs => …)` gives it (microseconds).
pub(crate) fn grouping_window(settings: &AnalyzerSettings) -> TimeDelta {
    TimeDelta::microseconds((settings.grouping_window_seconds * 1_000_000.0).round() as i64)
}

/// An open case of a user as the run goes: its first and last access and its patients, as
/// read or opened and widened by the run's findings so far.
struct OpenCase<'a> {
    key: CaseKey,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    severity: Severity,
    patients: HashSet<&'a str>,
}

/// One user's state as the run goes.
#[derive(Default)]
struct UserState<'a> {
    open: Vec<OpenCase<'a>>,
    /// Earlier cases (not explained away) and confirmed ones, for the opening score.
    earlier: i64,
    confirmed: i64,
    pending: Vec<Source>,
}

/// `join_open_case_of_user_days` as a span of time.
fn user_join_span(settings: &AnalyzerSettings) -> TimeDelta {
    TimeDelta::seconds((settings.join_open_case_of_user_days * 86_400.0).round() as i64)
}

pub(crate) fn plan(inputs: &Inputs<'_>, settings: &AnalyzerSettings) -> Plan {
    let window = grouping_window(settings);
    let mut users: HashMap<&str, UserState> = HashMap::new();
    for case in inputs.cases {
        let user = users.entry(case.user_id.as_str()).or_default();
        if case.open {
            user.open.push(OpenCase {
                key: CaseKey::Known(case.id),
                first: case.first_event_at,
                last: case.last_event_at,
                severity: Severity::from_str(&case.severity).unwrap_or(Severity::Low),
                patients: case.patients.iter().map(String::as_str).collect(),
            });
        }
        user.earlier += i64::from(case.standing);
        user.confirmed += i64::from(case.standing && case.confirmed);
    }
    for (index, pending) in inputs.pending.iter().enumerate() {
        let user = users.entry(pending.user_id.as_str()).or_default();
        user.pending.push(Source::Pending(index));
    }
    let mut recorded: HashSet<&str> = inputs.recorded.iter().map(String::as_str).collect();
    let mut plan = Plan::default();
    for (index, finding) in inputs.findings.iter().enumerate() {
        let outcome = if !recorded.insert(&finding.event_id) {
            Recorded::Duplicate
        } else if let Some(suppression) = inputs.suppressions.iter().find(|s| s.covers(finding)) {
            plan.suppressed.push((index, suppression.id));
            Recorded::Suppressed
        } else {
            let user = users.entry(finding.user_id.as_str()).or_default();
            step(inputs, settings, window, &mut plan, user, index)
        };
        plan.outcomes.push(outcome);
    }
    let mut still: Vec<usize> = users
        .values()
        .flat_map(|user| user.pending.iter())
        .filter_map(|source| match source {
            Source::Run(index) => Some(*index),
            Source::Pending(_) => None,
        })
        .collect();
    still.sort_unstable();
    plan.still_pending = still;
    plan
}

/// The open case that `wanted` accepts whose accesses end last (the later opened on a tie).
fn latest_open(open: &[OpenCase<'_>], wanted: impl Fn(&OpenCase<'_>) -> bool) -> Option<usize> {
    (0..open.len())
        .filter(|&i| wanted(&open[i]))
        .max_by_key(|&i| (open[i].last, open[i].key))
}

/// Records one finding that is neither a duplicate nor suppressed.
fn step<'a>(
    inputs: &Inputs<'a>,
    settings: &AnalyzerSettings,
    window: TimeDelta,
    plan: &mut Plan,
    user: &mut UserState<'a>,
    index: usize,
) -> Recorded {
    let finding = &inputs.findings[index];
    let at = finding.occurred_at;
    let patient = finding.patient_id.as_str();
    let close_in_time = latest_open(&user.open, |case| {
        case.last >= at - window && case.first <= at + window
    });
    let chosen = close_in_time
        .or_else(|| {
            if settings.join_open_case_of_patient {
                latest_open(&user.open, |case| case.patients.contains(patient))
            } else {
                None
            }
        })
        .or_else(|| {
            let span = user_join_span(settings);
            latest_open(&user.open, |case| {
                case.last >= at - span
                    && case.first <= at + span
                    && finding.severity <= case.severity
            })
        });
    let open_case = chosen.map(|i| {
        let case = &mut user.open[i];
        case.first = case.first.min(at);
        case.last = case.last.max(at);
        case.severity = case.severity.max(finding.severity);
        case.patients.insert(patient);
        case.key
    });
    if let Some(case) = open_case {
        plan.inserts.push(Insert {
            source: Source::Run(index),
            case,
        });
        plan.timeline.push(Entry::Added(plan.inserts.len() - 1));
        plan.touched.insert(case);
        return Recorded::ExtendedCase;
    }

    user.pending.push(Source::Run(index));
    let mut close: Vec<Source> = user
        .pending
        .iter()
        .copied()
        .filter(|source| {
            let occurred = inputs.occurred_at(*source);
            occurred >= at - window && occurred <= at + window
        })
        .collect();
    close.sort_by_key(|source| (inputs.occurred_at(*source), *source));
    let opening = score_case(
        &ScoreInput {
            findings: close.iter().map(|source| inputs.scored(*source)).collect(),
            earlier_cases: user.earlier,
            earlier_confirmed: user.confirmed,
            outcomes: inputs.outcomes.clone(),
        },
        &settings.cases,
    );
    if opening.total < settings.cases.open_score {
        return Recorded::Pending;
    }
    let (Some(first), Some(last)) = (close.first().copied(), close.last().copied()) else {
        return Recorded::Pending;
    };
    let case = CaseKey::Opened(plan.opened.len());
    plan.opened.push(Opened {
        org_code: finding.user_org.clone().unwrap_or_default(),
        user_id: finding.user_id.clone(),
        first,
        first_event_at: inputs.occurred_at(first),
        last_event_at: close
            .iter()
            .map(|source| inputs.occurred_at(*source))
            .max()
            .unwrap_or(inputs.occurred_at(last)),
        opening_score: opening.total,
    });
    plan.timeline.push(Entry::Opened(plan.opened.len() - 1));
    let mut moved = close;
    moved.sort_unstable();
    for source in &moved {
        plan.inserts.push(Insert {
            source: *source,
            case,
        });
        plan.timeline.push(Entry::Added(plan.inserts.len() - 1));
        if let Source::Pending(pending) = source {
            plan.promoted.push(inputs.pending[*pending].id);
        }
    }
    let moved: HashSet<Source> = moved.into_iter().collect();
    user.pending.retain(|source| !moved.contains(source));
    let (first_event_at, last_event_at) = {
        let opened = &plan.opened[plan.opened.len() - 1];
        (opened.first_event_at, opened.last_event_at)
    };
    let patients = moved.iter().map(|source| inputs.patient(*source)).collect();
    user.open.push(OpenCase {
        key: case,
        first: first_event_at,
        last: last_event_at,
        severity: opening.severity,
        patients,
    });
    user.earlier += 1;
    plan.touched.insert(case);
    Recorded::OpenedCase
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
