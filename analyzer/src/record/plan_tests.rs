//! The plan's decisions, one scenario each: the same as recording the findings one at a time.

use super::*;
use chrono::TimeZone;

fn at(hours: f64) -> DateTime<Utc> {
    let start = Utc.timestamp_opt(1_764_547_200, 0).single().expect("time");
    start + TimeDelta::seconds((hours * 3_600.0) as i64)
}

fn finding(event: &str, user: &str, patient: &str, severity: Severity, hours: f64) -> NewFinding {
    NewFinding {
        rule_id: "no_relationship",
        severity,
        event_id: event.to_owned(),
        occurred_at: at(hours),
        user_id: user.to_owned(),
        user_org: Some("RRV".to_owned()),
        patient_id: patient.to_owned(),
        explanation: "no care relationship".to_owned(),
        evidence: serde_json::json!({}),
    }
}

fn pending(id: i64, user: &str, patient: &str, hours: f64) -> KnownPending {
    KnownPending {
        id,
        rule_id: "after_hours".to_owned(),
        event_id: format!("old-{id}"),
        severity: "low".to_owned(),
        occurred_at: at(hours),
        user_id: user.to_owned(),
        user_org: None,
        patient_id: patient.to_owned(),
        explanation: "after hours".to_owned(),
        evidence: serde_json::json!({}),
    }
}

fn case(id: i64, user: &str, open: bool, confirmed: bool, first: f64, last: f64) -> KnownCase {
    KnownCase {
        id,
        user_id: user.to_owned(),
        open,
        first_event_at: at(first),
        last_event_at: at(last),
        severity: "high".to_owned(),
        standing: true,
        confirmed,
        patients: Vec::new(),
    }
}

struct World {
    findings: Vec<NewFinding>,
    recorded: HashSet<String>,
    suppressions: Vec<ActiveSuppression>,
    cases: Vec<KnownCase>,
    pending: Vec<KnownPending>,
}

impl World {
    fn new(findings: Vec<NewFinding>) -> Self {
        Self {
            findings,
            recorded: HashSet::new(),
            suppressions: Vec::new(),
            cases: Vec::new(),
            pending: Vec::new(),
        }
    }

    fn plan(&self) -> Plan {
        self.plan_with(&AnalyzerSettings::default())
    }

    fn plan_with(&self, settings: &AnalyzerSettings) -> Plan {
        let outcomes = Outcomes::new();
        let inputs = Inputs {
            findings: &self.findings,
            recorded: &self.recorded,
            suppressions: &self.suppressions,
            cases: &self.cases,
            pending: &self.pending,
            outcomes: &outcomes,
        };
        plan(&inputs, settings)
    }
}

#[test]
fn low_findings_wait_until_two_patients_open_a_case_that_later_ones_join() {
    let world = World::new(vec![
        finding("e0", "u", "p1", Severity::Low, 0.0),
        finding("e1", "u", "p1", Severity::Low, 1.0),
        finding("e2", "u", "p2", Severity::Low, 2.0),
        finding("e3", "u", "p3", Severity::Low, 3.0),
        finding("e4", "v", "p1", Severity::Low, 3.0),
    ]);
    // An opening score of 3, at which low findings about two patients open a case (the default
    // of 4 wants a third; the scenario is about waiting, opening and joining, not the threshold).
    let mut settings = AnalyzerSettings::default();
    settings.cases.open_score = 3.0;
    let plan = world.plan_with(&settings);
    use Recorded::*;
    assert_eq!(
        plan.outcomes,
        [Pending, Pending, OpenedCase, ExtendedCase, Pending]
    );
    let opened = CaseKey::Opened(0);
    let sources: Vec<(Source, CaseKey)> = plan.inserts.iter().map(|i| (i.source, i.case)).collect();
    assert_eq!(
        sources,
        [
            (Source::Run(0), opened),
            (Source::Run(1), opened),
            (Source::Run(2), opened),
            (Source::Run(3), opened),
        ]
    );
    assert_eq!(
        plan.timeline,
        [
            Entry::Opened(0),
            Entry::Added(0),
            Entry::Added(1),
            Entry::Added(2),
            Entry::Added(3)
        ]
    );
    let case = &plan.opened[0];
    assert_eq!(case.first, Source::Run(0));
    assert_eq!(
        (case.first_event_at, case.last_event_at),
        (at(0.0), at(2.0))
    );
    assert_eq!(case.opening_score, 3.0);
    assert_eq!(
        plan.still_pending,
        [4],
        "the other user's one finding waits"
    );
    assert!(plan.promoted.is_empty());
}

#[test]
fn an_open_case_groups_by_its_latest_access_this_run_included() {
    let mut world = World::new(vec![
        finding("e0", "u", "p1", Severity::Low, 72.0),
        // Within 72 h of e0 but not of the case as read: e0 widened it, so it joins too, as it
        // would had a run recorded e0 before it.
        finding("e1", "u", "p2", Severity::Low, 72.5),
        // Beyond 72 h of everything in the case: it waits.
        finding("e2", "u", "p3", Severity::Low, 145.0),
    ]);
    world.cases = vec![
        case(6, "u", true, false, -10.0, -1.0),
        case(7, "u", true, false, 0.0, 0.0),
        case(8, "u", false, false, 0.0, 10.0),
    ];
    // Explained away (while open, they still take findings): no earlier case in the score, so
    // one low finding waits.
    for case in &mut world.cases {
        case.standing = false;
    }
    // The grouping window alone (an open case takes later findings of the user too by default).
    let plan = world.plan_with(&within_the_window_only());
    assert_eq!(
        plan.outcomes,
        [
            Recorded::ExtendedCase,
            Recorded::ExtendedCase,
            Recorded::Pending
        ]
    );
    assert_eq!(
        plan.inserts[0].case,
        CaseKey::Known(7),
        "closed cases take none"
    );
    assert_eq!(plan.inserts[1].case, CaseKey::Known(7));
    assert_eq!(plan.still_pending, [2]);
    assert_eq!(
        plan.touched.iter().copied().collect::<Vec<_>>(),
        [CaseKey::Known(7)]
    );
}

#[test]
fn pending_findings_of_earlier_runs_open_the_case_for_the_earliest_patient() {
    let mut world = World::new(vec![finding("e0", "u", "p1", Severity::Low, 10.0)]);
    world.pending = vec![
        pending(3, "u", "p7", -100.0),
        pending(40, "u", "p9", 9.0),
        pending(41, "u", "p8", 8.0),
    ];
    let plan = world.plan();
    assert_eq!(plan.outcomes, [Recorded::OpenedCase]);
    let case = &plan.opened[0];
    assert_eq!(
        case.first,
        Source::Pending(2),
        "the earliest access, p8 at 8 h"
    );
    assert_eq!(
        (case.first_event_at, case.last_event_at),
        (at(8.0), at(10.0))
    );
    let sources: Vec<Source> = plan.inserts.iter().map(|i| i.source).collect();
    assert_eq!(
        sources,
        [Source::Pending(1), Source::Pending(2), Source::Run(0)],
        "moved in the order they were recorded"
    );
    assert_eq!(plan.promoted, [40, 41], "the one outside the window stays");
    assert!(plan.still_pending.is_empty());
    // Two rules at low, three patients: 1 + 1 + 2·log2(3).
    assert!((case.opening_score - (2.0 + 2.0 * 3f64.log2())).abs() < 1e-9);
}

#[test]
fn duplicates_and_suppressed_findings_take_no_part() {
    let mut world = World::new(vec![
        finding("seen", "u", "p1", Severity::High, 0.0),
        finding("e1", "u", "p1", Severity::High, 0.0),
        finding("e1", "u", "p1", Severity::High, 0.0),
        finding("e2", "quiet", "p1", Severity::High, 0.0),
    ]);
    world.recorded.insert("seen".to_owned());
    world.suppressions = vec![ActiveSuppression {
        id: 5,
        user_id: Some("quiet".to_owned()),
        patient_id: None,
        org_code: Some("RRV".to_owned()),
    }];
    let plan = world.plan();
    use Recorded::*;
    assert_eq!(
        plan.outcomes,
        [Duplicate, OpenedCase, Duplicate, Suppressed]
    );
    assert_eq!(plan.suppressed, [(3, 5)]);
    assert_eq!(plan.inserts.len(), 1);
}

#[test]
fn an_earlier_confirmed_case_lets_one_low_finding_open_a_case() {
    let mut world = World::new(vec![
        finding("e0", "u", "p1", Severity::Low, 100.0),
        finding("e1", "u", "p2", Severity::Low, 300.0),
    ]);
    world.cases = vec![case(2, "u", false, true, 0.0, 1.0)];
    let plan = world.plan_with(&within_the_window_only());
    assert_eq!(plan.outcomes, [Recorded::OpenedCase, Recorded::OpenedCase]);
    // 1 + repeat 3·(1 + 2·1); the second case also counts the first as an earlier one.
    assert_eq!(plan.opened[0].opening_score, 10.0);
    assert_eq!(plan.opened[1].opening_score, 13.0);
}

#[test]
fn a_patient_an_open_case_covers_joins_it_weeks_later_and_another_patient_does_not() {
    let three_weeks = 21.0 * 24.0;
    let mut world = World::new(vec![
        // The user is back in the relative's record three weeks on: the case being worked.
        finding("e0", "u", "p1", Severity::Low, three_weeks),
        // Another patient as long after: nothing close in time, so it waits.
        finding("e1", "u", "p9", Severity::Low, three_weeks + 200.0),
        // A patient of a closed case only: closed cases take none.
        finding("e2", "u", "p5", Severity::Low, three_weeks + 400.0),
        // Within 72 h of e0, which widened case 3: joins it, although p2 is new to it.
        finding("e3", "u", "p2", Severity::Low, three_weeks + 10.0),
    ]);
    let mut open = case(3, "u", true, false, 0.0, 2.0);
    open.patients = vec!["p1".to_owned()];
    let mut older = case(1, "u", true, false, -400.0, -390.0);
    older.patients = vec!["p1".to_owned()];
    let closed = case(2, "u", false, false, 10.0, 12.0);
    world.cases = vec![older, open, closed];
    for case in &mut world.cases {
        case.standing = false;
    }
    let plan = world.plan_with(&within_the_window_only());
    assert_eq!(
        plan.outcomes,
        [
            Recorded::ExtendedCase,
            Recorded::Pending,
            Recorded::Pending,
            Recorded::ExtendedCase
        ]
    );
    assert_eq!(
        plan.inserts[0].case,
        CaseKey::Known(3),
        "the open case of the patient whose accesses end last"
    );
    assert_eq!(plan.inserts[1].case, CaseKey::Known(3));

    // Turned off: the look weeks later waits for a case of its own.
    let settings = AnalyzerSettings {
        join_open_case_of_patient: false,
        ..within_the_window_only()
    };
    let plan = world.plan_with(&settings);
    assert_eq!(plan.outcomes[0], Recorded::Pending);
}

/// Settings under which an open case takes a finding of another patient only within the
/// grouping window.
fn within_the_window_only() -> AnalyzerSettings {
    AnalyzerSettings {
        join_open_case_of_user_days: 0.0,
        ..AnalyzerSettings::default()
    }
}

#[test]
fn an_open_case_takes_the_users_later_findings_of_no_higher_severity_for_weeks() {
    let day = 24.0;
    let mut world = World::new(vec![
        // A week after the case's last access, another patient: it joins, not a case of its own
        // that the open one would push over the opening score as "repeat behaviour".
        finding("e0", "u", "p2", Severity::Low, 7.0 * day),
        // Five days on, more severe than the medium case: a case (and a notification) of its own.
        finding("e1", "u", "p3", Severity::High, 12.0 * day),
        // Low, 20 days after e1: joins the open case whose accesses end last (e1's).
        finding("e2", "u", "p4", Severity::Low, 32.0 * day),
        // 38 days after every open case's last access: a case of its own, the earlier one its
        // history (1 + 3).
        finding("e3", "u", "p5", Severity::Low, 70.0 * day),
    ]);
    let mut open = case(4, "u", true, false, 0.0, 1.0);
    open.severity = "medium".to_owned();
    open.patients = vec!["p1".to_owned()];
    open.standing = false;
    world.cases = vec![open];
    let plan = world.plan();
    use Recorded::*;
    assert_eq!(
        plan.outcomes,
        [ExtendedCase, OpenedCase, ExtendedCase, OpenedCase]
    );
    let cases: Vec<CaseKey> = plan.inserts.iter().map(|i| i.case).collect();
    assert_eq!(
        cases,
        [
            CaseKey::Known(4),
            CaseKey::Opened(0),
            CaseKey::Opened(0),
            CaseKey::Opened(1)
        ]
    );

    // Only within the grouping window, each case makes the next weak finding a case: e2 and e3
    // open cases on the repeat points of the cases before them.
    let plan = world.plan_with(&within_the_window_only());
    assert_eq!(plan.outcomes, [Pending, OpenedCase, OpenedCase, OpenedCase]);
    assert_eq!(plan.opened[2].opening_score, 7.0);
}
