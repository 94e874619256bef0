//! A demo simulation sent to a running careaudit over every feed (CSV, FHIR care, HL7 v2 over
//! MLLP, FHIR AuditEvent NDJSON, ATNA syslog), analysed, and scored with `careaudit evaluate`'s
//! own code against its truth file; the figures are recomputed here from the stores.

use super::simulator_feeds::generate;
use domain::Timestamp;
use simulator::feeds;
use std::collections::{BTreeMap, HashSet};

/// A demo run sent to a running careaudit over every feed, analysed, and scored: every event
/// arrives once, and the evaluation's figures agree with ones computed here from the stores
/// and the truth file.
#[tokio::test]
async fn a_demo_run_sent_to_careaudit_is_scored_against_its_truth() {
    use secrecy::SecretString;
    let app = tests::TestApp::spawn("simulator_send", tests::Background::NONE).await;
    let (dir, summary) = generate(21);
    let targets = careaudit::simulate::SendTargets {
        collector_url: app.collector_url.clone(),
        mllp: Some(app.mllp.to_string()),
        syslog: Some(app.syslog_tcp.to_string()),
    };
    careaudit::simulate::send_directory(dir.path(), &targets)
        .await
        .expect("every feed accepted");
    app.wait_until_shipped().await;
    let stored: u64 = app
        .clickhouse
        .query("SELECT count() FROM (SELECT event_id FROM access_events FINAL)")
        .fetch_one()
        .await
        .expect("count events");
    assert_eq!(
        stored, summary.events,
        "every simulated event is stored once"
    );
    let quarantined: u64 = app
        .clickhouse
        .query("SELECT count() FROM quarantine")
        .fetch_one()
        .await
        .expect("count quarantine");
    assert_eq!(quarantined, 0, "nothing was quarantined");
    let relationships: u64 = app
        .clickhouse
        .query("SELECT count() FROM care_relationships")
        .fetch_one()
        .await
        .expect("count relationships");
    assert!(
        relationships as usize > summary.patients,
        "registrations and care relationships are stored"
    );

    let later = Timestamp::from_millis(Timestamp::now().as_millis() + 5_000);
    analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("analyzer run");
    dashboards::create_account(
        &app.pool,
        "sim-auditor",
        "Simulation auditor",
        "correct horse battery",
        &[dashboards::AccountRole {
            role: "auditor",
            org_code: None,
        }],
    )
    .await
    .expect("auditor account");
    app.add_organisation("RA1", "privacy@ra1.example").await;
    dashboards::create_account(
        &app.pool,
        "sim-officer",
        "Officer",
        "correct horse battery",
        &[dashboards::AccountRole {
            role: "privacy_officer",
            org_code: Some("RA1".to_owned()),
        }],
    )
    .await
    .expect("officer account");
    let truth_path = dir.path().join(feeds::TRUTH);
    let password = SecretString::from("correct horse battery".to_owned());
    let refused = careaudit::evaluate::evaluate_against(
        &truth_path,
        &app.dashboards_url,
        "sim-officer",
        &password,
    )
    .await;
    assert!(refused.is_err(), "a privacy officer may not export");
    let report = careaudit::evaluate::evaluate_against(
        &truth_path,
        &app.dashboards_url,
        "sim-auditor",
        &password,
    )
    .await
    .expect("evaluation");

    // The same figures, computed here from PostgreSQL, ClickHouse and the truth file.
    let truth = simulator::truth::read_truth(std::io::BufReader::new(
        std::fs::File::open(&truth_path).expect("truth"),
    ))
    .expect("truth file");
    let incident_of_event: std::collections::HashMap<&str, Option<u32>> = truth
        .views
        .iter()
        .flat_map(|view| {
            view.events
                .iter()
                .map(move |event| (event.as_str(), view.incident))
        })
        .collect();
    let findings: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.reference, f.event_id FROM findings f JOIN cases c ON c.id = f.case_id",
    )
    .fetch_all(&app.pool)
    .await
    .expect("findings");
    let mut cases: BTreeMap<String, Vec<Option<u32>>> = BTreeMap::new();
    for (case, event) in &findings {
        cases
            .entry(case.clone())
            .or_default()
            .push(incident_of_event.get(event.as_str()).copied().flatten());
    }
    let true_cases = cases
        .values()
        .filter(|incidents| incidents.iter().any(Option::is_some))
        .count() as u64;
    let caught: HashSet<u32> = cases.values().flatten().flatten().copied().collect();
    assert!(report.cases > 0, "emergency accesses open cases");
    assert_eq!(report.cases, cases.len() as u64);
    assert_eq!(report.true_cases, true_cases);
    assert_eq!(
        report.case_precision,
        true_cases as f64 / cases.len() as f64
    );
    assert_eq!(report.views, truth.views.len() as u64);
    assert_eq!(
        report.cases_per_1000_views,
        cases.len() as f64 * 1000.0 / truth.views.len() as f64
    );
    assert_eq!(report.incidents.incidents, truth.incidents.len() as u64);
    assert_eq!(report.incidents.caught, caught.len() as u64);
    let misuse = &report.recall_by_type["emergency_misuse"];
    assert_eq!(
        misuse.recall, 1.0,
        "every misuse of emergency access raises an SCR alert, which always opens a case"
    );
    let explained: u64 = app
        .clickhouse
        .query("SELECT count() FROM access_explanations FINAL WHERE explained = 1")
        .fetch_one()
        .await
        .expect("count explanations");
    if explained == 0 {
        assert_eq!(
            report.legitimate_explained.explained, 0,
            "nothing is explained while the analyzer writes no explanations"
        );
    }
    assert!(report.time_to_case_near_real_time.cases > 0);
    let exports: Vec<String> = sqlx::query_scalar(
        "SELECT view FROM audit_data_views WHERE viewer = 'sim-auditor' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .expect("self-audit");
    assert_eq!(
        exports,
        ["export_findings", "export_explanations"],
        "each export is in the self-audit"
    );
}
