//! The analyzer against real ClickHouse and PostgreSQL, fed through the collector's own HTTP
//! endpoints (FHIR care resources, CSV extracts, AuditEvents): every access gets a stored
//! explanation, every rule of the catalogue fires on its fixture and nowhere else, explained
//! accesses stay quiet, suppressions hold findings back, and care context that arrives after
//! the accesses explains their case away.

use serde_json::{json, Value};
use std::collections::BTreeSet;
use tests::{patient_read, Background, TestApp};

const NHS: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

fn organisation(code: &str, parent: &str) -> Value {
    json!({"resourceType": "Organization", "id": code,
           "identifier": [{"system": ODS, "value": code}], "name": code,
           "partOf": {"identifier": {"system": ODS, "value": parent}}})
}

fn patient(nhs: &str, family: &str, line: &str, postcode: &str, died: Option<&str>) -> Value {
    let mut resource = json!({"resourceType": "Patient", "id": nhs,
        "identifier": [{"system": NHS, "value": nhs}],
        "name": [{"use": "official", "family": family, "given": ["Pat"]}],
        "address": [{"use": "home", "line": [line], "postalCode": postcode}]});
    if let Some(date) = died {
        resource["deceasedDateTime"] = json!(date);
    }
    resource
}

fn encounter(id: &str, nhs: &str, clinician: &str, org: &str) -> Value {
    tests::in_progress_encounter(id, nhs, clinician, org, 2)
}

async fn view(app: &TestApp, id: &str, user: &str, org: &str, nhs: &str, purpose: &str) {
    let event = patient_read(id, user, org, nhs, purpose, None);
    assert_eq!(app.post_json(&event).await.0, 201, "{id}");
}

async fn run(app: &TestApp) -> analyzer::RunSummary {
    run_with(app, &app.analyzer_settings).await
}

async fn run_with(app: &TestApp, settings: &analyzer::AnalyzerSettings) -> analyzer::RunSummary {
    app.wait_until_shipped().await;
    // Stored times are whole seconds: past the next second boundary plus the settle time,
    // everything stored so far is inside the window.
    tokio::time::sleep(std::time::Duration::from_millis(1_300)).await;
    let now = domain::Timestamp::now();
    analyzer::run_once(settings, &app.clickhouse, &app.pool, now)
        .await
        .expect("analyzer run")
}

/// A run that explains what is stored and evaluates no rule (an upgrade arriving between the
/// explanation and the rules).
async fn explain_only(app: &TestApp) {
    let mut settings = app.analyzer_settings.clone();
    tests::only_rules(&mut settings, &[]);
    run_with(app, &settings).await;
}

async fn findings(app: &TestApp) -> BTreeSet<(String, String)> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT rule_id, event_id FROM findings UNION ALL SELECT rule_id, event_id FROM pending_findings",
    )
    .fetch_all(&app.pool)
    .await
    .expect("findings");
    rows.into_iter().collect()
}

/// The events one rule flagged.
async fn findings_of(app: &TestApp, rule_id: &str) -> BTreeSet<String> {
    findings(app)
        .await
        .into_iter()
        .filter(|(rule, _)| rule == rule_id)
        .map(|(_, event)| event)
        .collect()
}

/// The region of the fixtures: two integrated care systems; staff of RDM01 (ICS-A) and RDM02
/// (ICS-B); patients with the demographics, flags and care each rule looks for.
async fn load_region(app: &TestApp) {
    for (code, parent) in [("RDM01", "ICSA"), ("G00001", "ICSA"), ("RDM02", "ICSB")] {
        app.load_fhir(organisation(code, parent)).await;
    }
    let staff = "user_id,family_name,given_names,org_code,role_codes,job_title,team,home_address_line,home_postcode,start_date,leave_date,patient_id\n\
        555000000201,Okafor,Amira,RDM01,R8000,Consultant,Cardiology,1 Oak Road,N1 1AA,2019-01-07,,\n\
        555000000202,Smith,Ben,RDM01,R8000,Nurse,Cardiology,3 Oak Road,N1 1AB,2020-01-07,,\n\
        555000000203,Brown,Cara,RDM01,R8000,Clerk,Ward 9,5 Elm St,N2 2BB,2020-01-07,,9990002053\n\
        555000000204,Jones,Dev,RDM01,R8000,Porter,Ward 9,9 Ash Lane,N3 3CC,2018-01-07,2025-01-01,\n\
        555000000205,Patel,Eve,RDM02,R8000,Doctor,A&E,4 Birch Way,E1 1EE,2018-01-07,,\n\
        555000000206,Gray,Finn,RDM01,R8000,Nurse,Ward 2,8 Pine Rd,N5 5EE,2018-01-07,,9990002061\n\
        555000000207,King,Gus,RDM02,R8000,Doctor,A&E,6 Fir Rd,E2 2FF,2018-01-07,,\n";
    app.load("/load/staff", "text/csv", staff.to_owned()).await;
    for (nhs, family, line, postcode, died) in [
        ("9990002010", "Lee", "2 Hill St", "N9 9ZZ", None), // in care at RDM01
        ("9990002029", "Brown", "5 Elm St", "N2 2BB", None), // the clerk's family
        ("9990002037", "White", "5 Elm St", "N2 2BB", None), // lives at the clerk's address
        ("9990002045", "Green", "7 Elm St", "N2 2BB", None), // the clerk's neighbour
        ("9990002053", "Brown", "5 Elm St", "N2 2BB", None), // the clerk herself
        ("9990002061", "Gray", "8 Pine Rd", "N5 5EE", None), // a nurse of RDM01
        ("9990002088", "Star", "1 Fame Rd", "W1 1AA", None), // VIP
        (
            "9990002096",
            "Past",
            "1 Old Rd",
            "W2 2BB",
            Some("2020-01-01"),
        ),
        ("9990002118", "Quiet", "1 Still Rd", "W3 3CC", None), // objected to sharing
        ("9990002126", "Far", "1 Away Rd", "N7 7GG", None),    // registered in ICS-A
    ] {
        app.load_fhir(patient(nhs, family, line, postcode, died))
            .await;
    }
    app.load(
        "/load/registrations",
        "text/csv",
        "nhs_number,practice_code,registered_from\n9990002126,G00001,2015-04-01\n".to_owned(),
    )
    .await;
    app.load("/load/vip", "text/csv",
         "nhs_number,flag,reason\n9990002088,vip,public figure\n9990002118,sharing_objection,opted out\n".to_owned()).await;
    app.load_fhir(encounter("enc-1", "9990002010", "555000000201", "RDM01"))
        .await;
}

#[tokio::test]
async fn every_rule_fires_on_its_fixture_and_explained_accesses_stay_quiet() {
    let app = TestApp::spawn("analyzer_rules", Background::NONE).await;
    load_region(&app).await;
    let (clinician, nurse, clerk, leaver, doctor) = (
        "555000000201",
        "555000000202",
        "555000000203",
        "555000000204",
        "555000000205",
    );
    view(
        &app,
        "e-clinician",
        clinician,
        "RDM01",
        "9990002010",
        "TREAT",
    )
    .await;
    view(&app, "e-nurse", nurse, "RDM01", "9990002010", "TREAT").await;
    view(&app, "e-family", clerk, "RDM01", "9990002029", "TREAT").await;
    view(&app, "e-lodger", clerk, "RDM01", "9990002037", "TREAT").await;
    view(&app, "e-neighbour", clerk, "RDM01", "9990002045", "TREAT").await;
    view(&app, "e-self", clerk, "RDM01", "9990002053", "TREAT").await;
    view(&app, "e-coworker", clerk, "RDM01", "9990002061", "TREAT").await;
    view(&app, "e-leaver", leaver, "RDM01", "9990002010", "TREAT").await;
    view(&app, "e-vip", doctor, "RDM02", "9990002088", "TREAT").await;
    view(&app, "e-deceased", doctor, "RDM02", "9990002096", "TREAT").await;
    view(&app, "e-objection", doctor, "RDM02", "9990002118", "TREAT").await;
    view(&app, "e-rare", doctor, "RDM02", "9990002126", "TREAT").await;
    view(
        &app,
        "e-emergency",
        "555000000207",
        "RDM02",
        "9990002010",
        "BTG",
    )
    .await;
    let mut search = patient_read(
        "e-search",
        "555000000207",
        "RDM02",
        "9990002045",
        "TREAT",
        None,
    );
    search["subtype"] =
        json!([{"system": "http://hl7.org/fhir/restful-interaction", "code": "search-type"}]);
    assert_eq!(app.post_json(&search).await.0, 201);
    let mut sensitive = patient_read(
        "e-sensitive",
        "555000000207",
        "RDM02",
        "9990002037",
        "TREAT",
        None,
    );
    sensitive["entity"].as_array_mut().expect("entities").push(json!({
        "what": {"reference": "Observation/hiv-1"},
        "securityLabel": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "HIV"}]}));
    assert_eq!(app.post_json(&sensitive).await.0, 201);

    let summary = run(&app).await;
    assert!(summary.opened_cases >= 3, "{summary:?}");

    // Every access has a stored explanation, and the two in care are explained.
    #[derive(Debug, clickhouse::Row, serde::Deserialize)]
    struct Explanation {
        event_id: String,
        explained: u8,
        kind: String,
        binding: String,
        source_message_id: String,
    }
    let explanations: Vec<Explanation> = app
        .clickhouse
        .query("SELECT event_id, argMax(explained, version), argMax(kind, version), argMax(binding, version), argMax(source_message_id, version) FROM access_explanations GROUP BY event_id ORDER BY event_id")
        .fetch_all()
        .await
        .expect("explanations");
    assert_eq!(explanations.len(), 15, "{explanations:?}");
    let of = |id: &str| explanations.iter().find(|e| e.event_id == id).expect(id);
    assert_eq!(
        (
            of("e-clinician").kind.as_str(),
            of("e-clinician").binding.as_str()
        ),
        ("clinician", "user")
    );
    assert!(!of("e-clinician").source_message_id.is_empty());
    assert_eq!(
        (of("e-nurse").kind.as_str(), of("e-nurse").binding.as_str()),
        ("same_team", "team")
    );
    assert_eq!(of("e-leaver").binding, "organisation");
    assert_eq!(of("e-family").explained, 0);

    let expected: BTreeSet<(String, String)> = [
        ("family_member", "e-family"),
        ("same_address", "e-lodger"),
        ("neighbour", "e-neighbour"),
        ("self_access", "e-self"),
        ("coworker", "e-coworker"),
        ("leaver_access", "e-leaver"),
        ("vip_patient", "e-vip"),
        ("deceased_patient", "e-deceased"),
        ("objection_override", "e-objection"),
        ("rare_org_patient", "e-rare"),
        ("emergency_access", "e-emergency"),
        // A break-glass from another region without a relationship is all three.
        ("no_relationship", "e-emergency"),
        ("rare_org_patient", "e-emergency"),
        ("search_by_name", "e-search"),
        ("sensitive_category", "e-sensitive"),
    ]
    .into_iter()
    .chain(
        [
            "e-family",
            "e-lodger",
            "e-neighbour",
            "e-self",
            "e-coworker",
            "e-vip",
            "e-deceased",
            "e-objection",
            "e-rare",
            "e-search",
            "e-sensitive",
        ]
        .into_iter()
        .map(|event| ("no_relationship", event)),
    )
    .map(|(rule, event)| (rule.to_owned(), event.to_owned()))
    .collect();
    assert_eq!(findings(&app).await, expected);

    // One case per user: the clerk's five patients are one case, ranked with its reasons.
    let (patients, components): (i64, Value) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM case_patients p WHERE p.case_id = c.id), c.score_components
         FROM cases c WHERE c.user_id = $1",
    )
    .bind(clerk)
    .fetch_one(&app.pool)
    .await
    .expect("the clerk's case");
    assert_eq!(patients, 5);
    assert_eq!(components["patients"], 5);
    assert!(
        components["rules"]["self_access"]["points"]
            .as_f64()
            .is_some(),
        "{components}"
    );

    // Re-running everything adds nothing.
    sqlx::query("DELETE FROM analyzer_watermarks")
        .execute(&app.pool)
        .await
        .expect("reset");
    let again = run(&app).await;
    assert_eq!(
        (again.new_findings, again.pending, again.opened_cases),
        (0, 0, 0),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_colleague_treated_by_the_users_team_is_explained_and_by_the_organisation_is_not() {
    let app = TestApp::spawn("analyzer_coworker_team", Background::NONE).await;
    load_region(&app).await;
    // Nurse Gray (Ward 2) is admitted under the cardiology consultant of her own trust.
    app.load_fhir(encounter("enc-gray", "9990002061", "555000000201", "RDM01"))
        .await;
    // A cardiology nurse (the consultant's team) and the Ward 9 clerk look at her record.
    view(
        &app,
        "e-team",
        "555000000202",
        "RDM01",
        "9990002061",
        "TREAT",
    )
    .await;
    view(
        &app,
        "e-corridor",
        "555000000203",
        "RDM01",
        "9990002061",
        "TREAT",
    )
    .await;
    run(&app).await;
    let coworker = findings_of(&app, "coworker").await;
    assert_eq!(
        coworker,
        BTreeSet::from(["e-corridor".to_owned()]),
        "the treating team's view is explained at team level; the organisation's explanation does not clear the clerk's"
    );
}

/// The VIP of `load_region` registered with practice G00001 (whose receptionist is in the staff
/// directory) and admitted to RDM01 under its cardiology consultant, looked at by the
/// practice's receptionist (`e-practice`), the treating team (`e-team`) and a clerk of the
/// admitting hospital (`e-corridor`).
async fn vip_looks(app: &TestApp) {
    app.load(
        "/load/staff",
        "text/csv",
        "user_id,family_name,given_names,org_code,role_codes,job_title,team,home_address_line,home_postcode,start_date,leave_date,patient_id\n\
         555000000208,Hill,Hana,G00001,R8000,Receptionist,Reception,2 Lane End,N8 8HH,2019-01-07,,\n"
            .to_owned(),
    )
    .await;
    app.load(
        "/load/registrations",
        "text/csv",
        "nhs_number,practice_code,registered_from
9990002088,G00001,2016-04-01
"
        .to_owned(),
    )
    .await;
    app.load_fhir(encounter("enc-star", "9990002088", "555000000201", "RDM01"))
        .await;
    for (event, user, org) in [
        ("e-practice", "555000000208", "G00001"),
        ("e-team", "555000000202", "RDM01"),
        ("e-corridor", "555000000203", "RDM01"),
    ] {
        view(app, event, user, org, "9990002088", "TREAT").await;
    }
}

#[tokio::test]
async fn a_vip_look_by_their_own_practice_is_explained_and_by_the_admitting_hospital_is_not() {
    let app = TestApp::spawn("analyzer_vip_practice", Background::NONE).await;
    load_region(&app).await;
    vip_looks(&app).await;
    run(&app).await;
    let vip = findings_of(&app, "vip_patient").await;
    assert_eq!(
        vip,
        BTreeSet::from(["e-corridor".to_owned()]),
        "the practice's registration and the treating team explain their looks; the admission to the clerk's hospital does not"
    );
    let practice: (String, String) = app
        .clickhouse
        .query("SELECT argMax(kind, version), argMax(binding, version) FROM access_explanations WHERE event_id = 'e-practice'")
        .fetch_one()
        .await
        .expect("the practice's explanation");
    assert_eq!(
        practice,
        ("registration".to_owned(), "organisation".to_owned())
    );
}

#[tokio::test]
async fn explanations_stored_without_their_evidence_by_arrival_still_explain_findings_away() {
    let app = TestApp::spawn("analyzer_bindings_upgrade", Background::NONE).await;
    load_region(&app).await;
    vip_looks(&app).await;
    // Explained, but no rule has evaluated them yet when the upgrade comes.
    explain_only(&app).await;
    // A database migrated before 0025: explanations_by_arrival without the evidence, and the
    // view that copies explanations into it without it either.
    tests::unapply_clickhouse_migration(&app.clickhouse, 25, &["explanations_by_arrival_mv"]).await;
    for statement in [
        "ALTER TABLE explanations_by_arrival DROP COLUMN binding",
        "ALTER TABLE explanations_by_arrival DROP COLUMN relationship_id",
        "ALTER TABLE explanations_by_arrival DROP COLUMN source_channel",
        "ALTER TABLE explanations_by_arrival DROP COLUMN source_message_id",
        "CREATE MATERIALIZED VIEW explanations_by_arrival_mv TO explanations_by_arrival AS
         SELECT stored_at, event_id, occurred_at, received_at, patient_id, user_id, user_org,
                explained, kind, evaluated_at, version
         FROM access_explanations",
    ] {
        app.clickhouse
            .query(statement)
            .execute()
            .await
            .expect(statement);
    }
    migrations::migrate_all(&app.stores)
        .await
        .expect("migrate applies 0025");
    let (without, explained): (u64, u64) = app
        .clickhouse
        .query(
            "SELECT countIf(explained = 1 AND binding = ''), countIf(explained = 1)
             FROM explanations_by_arrival",
        )
        .fetch_one()
        .await
        .expect("explanations by arrival");
    assert!(
        explained >= 2 && without == explained,
        "every explanation stored before 0025 is without its evidence: {without} of {explained}"
    );
    // The rule finds the same as on a database that always had the evidence by arrival: the
    // two explanations without it are read by patient.
    run(&app).await;
    assert_eq!(
        findings_of(&app, "vip_patient").await,
        BTreeSet::from(["e-corridor".to_owned()])
    );
    // Explanations written since carry their evidence by arrival.
    view(
        &app,
        "e-team-again",
        "555000000202",
        "RDM01",
        "9990002088",
        "TREAT",
    )
    .await;
    run(&app).await;
    let written: (u64, u64) = app
        .clickhouse
        .query(
            "SELECT count(), countIf(binding != '' AND relationship_id != '' AND source_message_id != '')
             FROM explanations_by_arrival WHERE event_id = 'e-team-again' AND explained = 1",
        )
        .fetch_one()
        .await
        .expect("the later look's explanations");
    assert!(written.0 > 0 && written.0 == written.1, "{written:?}");
}

#[tokio::test]
async fn care_context_stored_before_the_by_patient_table_still_explains_accesses() {
    let app = TestApp::spawn("analyzer_care_backfill", Background::NONE).await;
    load_region(&app).await;
    app.wait_until_shipped().await;
    // A database migrated before 0023: the care context is only in care_relationships until
    // migrating again backfills care_by_patient, which the explanation passes read.
    tests::unapply_clickhouse_migration(
        &app.clickhouse,
        23,
        &["care_by_patient_mv", "care_by_patient"],
    )
    .await;
    migrations::migrate_all(&app.stores)
        .await
        .expect("migrate applies 0023");
    // Statements, not rows: a merge may already have collapsed repeats in either table.
    let count = |table: &'static str| {
        let clickhouse = app.clickhouse.clone();
        async move {
            clickhouse
                .query(&format!(
                    "SELECT uniqExact(relationship_id, patient_id, version) FROM {table}"
                ))
                .fetch_one::<u64>()
                .await
                .expect(table)
        }
    };
    let stored = count("care_relationships").await;
    assert!(stored > 0);
    assert_eq!(count("care_by_patient").await, stored);
    view(
        &app,
        "e-after",
        "555000000201",
        "RDM01",
        "9990002010",
        "TREAT",
    )
    .await;
    run(&app).await;
    let (kind, binding): (String, String) = app
        .clickhouse
        .query("SELECT argMax(kind, version), argMax(binding, version) FROM access_explanations WHERE event_id = 'e-after'")
        .fetch_one()
        .await
        .expect("explanation");
    assert_eq!((kind.as_str(), binding.as_str()), ("clinician", "user"));
}

#[tokio::test]
async fn explanations_stored_before_the_by_arrival_table_are_found_by_their_window() {
    let app = TestApp::spawn("analyzer_arrival_backfill", Background::NONE).await;
    load_region(&app).await;
    // Explained, but no rule has evaluated it yet when the upgrade comes.
    view(
        &app,
        "before",
        "555000000205",
        "RDM02",
        "9990002010",
        "TREAT",
    )
    .await;
    explain_only(&app).await;
    assert!(findings(&app).await.is_empty());
    // A database migrated before 0024: no stored arrival on the explanations, no table by it.
    let by_arrival = ["explanations_by_arrival_mv", "explanations_by_arrival"];
    tests::unapply_clickhouse_migration(&app.clickhouse, 24, &by_arrival).await;
    tests::unapply_clickhouse_migration(&app.clickhouse, 25, &[]).await;
    app.clickhouse
        .query("ALTER TABLE access_explanations DROP COLUMN stored_at")
        .execute()
        .await
        .expect("drop stored_at");
    migrations::migrate_all(&app.stores)
        .await
        .expect("migrate applies 0024");
    // A re-run of the file after a stop between its statements: the column is there already.
    tests::unapply_clickhouse_migration(&app.clickhouse, 24, &by_arrival).await;
    tests::unapply_clickhouse_migration(&app.clickhouse, 25, &[]).await;
    migrations::migrate_all(&app.stores)
        .await
        .expect("migrate applies 0024 again over the added column");
    // Every explanation is copied with its access's arrival, not an approximation of it.
    let backfilled = || async {
        app.clickhouse
            .query(
                "SELECT uniqExact(event_id, version),
                        countIf((event_id, stored_at) NOT IN
                            (SELECT event_id, stored_at FROM access_arrivals))
                 FROM explanations_by_arrival",
            )
            .fetch_one::<(u64, u64)>()
            .await
            .expect("by arrival")
    };
    let explained: u64 = app
        .clickhouse
        .query("SELECT uniqExact(event_id, version) FROM access_explanations")
        .fetch_one()
        .await
        .expect("explanations");
    assert!(explained > 0);
    assert_eq!(backfilled().await, (explained, 0));
    // The rules then evaluate the window from the start: the access explained before the
    // upgrade is found unexplained by its stored time, and so is one explained after it.
    view(
        &app,
        "after",
        "555000000205",
        "RDM02",
        "9990002029",
        "TREAT",
    )
    .await;
    run(&app).await;
    let flagged = findings_of(&app, "no_relationship").await;
    assert!(flagged.contains("before"), "{flagged:?}");
    assert!(flagged.contains("after"), "{flagged:?}");
    let (rows, off) = backfilled().await;
    assert!(rows > explained, "the passes write through the view");
    assert_eq!(off, 0, "the passes write the arrival they explained");
}

#[tokio::test]
async fn late_care_context_explains_a_case_away_and_suppressions_hold_findings_back() {
    let app = TestApp::spawn("analyzer_late_care", Background::NONE).await;
    load_region(&app).await;
    let doctor = "555000000205";
    for (index, nhs) in ["9990002010", "9990002029", "9990002037", "9990002045"]
        .iter()
        .enumerate()
    {
        view(
            &app,
            &format!("late-{index}"),
            doctor,
            "RDM02",
            nhs,
            "TREAT",
        )
        .await;
    }
    run(&app).await;
    let (case_id, state): (i64, String) =
        sqlx::query_as("SELECT id, state FROM cases WHERE user_id = $1")
            .bind(doctor)
            .fetch_one(&app.pool)
            .await
            .expect("four unexplained patients make a case");
    assert_eq!(state, "new");

    // The admissions are recorded hours later; they name the doctor.
    for (index, nhs) in ["9990002010", "9990002029", "9990002037", "9990002045"]
        .iter()
        .enumerate()
    {
        app.load_fhir(encounter(
            &format!("late-enc-{index}"),
            nhs,
            doctor,
            "RDM02",
        ))
        .await;
    }
    let summary = run(&app).await;
    // Four unexplained views, and the one from another region is also rare_org_patient.
    assert_eq!(summary.explained_away, 5, "{summary:?}");
    let (state, explained): (String, bool) =
        sqlx::query_as("SELECT state, explained_away_at IS NOT NULL FROM cases WHERE id = $1")
            .bind(case_id)
            .fetch_one(&app.pool)
            .await
            .expect("case");
    assert_eq!((state.as_str(), explained), ("closed", true));
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM case_timeline WHERE case_id = $1 ORDER BY id")
            .bind(case_id)
            .fetch_all(&app.pool)
            .await
            .expect("timeline");
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "finding_explained_away")
            .count(),
        5
    );
    assert_eq!(
        actions.last().map(String::as_str),
        Some("case_explained_away")
    );

    // A suppression of emergency access for one user: the finding is kept aside, no case.
    sqlx::query(
        "INSERT INTO suppressions (rule_id, user_id, reason, created_by, expires_at)
         VALUES ('emergency_access', '555000000207', 'A&E consultant: every access is break-glass', 'test', now() + interval '1 day')",
    )
    .execute(&app.pool)
    .await
    .expect("suppression");
    view(&app, "supp-1", "555000000207", "RDM02", "9990002010", "BTG").await;
    let summary = run(&app).await;
    assert_eq!(summary.suppressed, 1, "{summary:?}");
    let cases: i64 =
        sqlx::query_scalar("SELECT count(*) FROM cases WHERE user_id = '555000000207'")
            .fetch_one(&app.pool)
            .await
            .expect("cases");
    assert_eq!(cases, 0);
}

/// How many explanation rows ClickHouse holds for each of `events`, in order.
async fn explanation_counts(app: &TestApp, events: &[&str]) -> Vec<u64> {
    let mut counts = Vec::new();
    for event in events {
        counts.push(app.explanation_rows(event).await.0);
    }
    counts
}

#[tokio::test]
async fn late_care_context_is_read_for_the_patients_it_concerns_and_their_merged_ids_only() {
    let app = TestApp::spawn("analyzer_late_scope", Background::NONE).await;
    load_region(&app).await;
    // 9990003009 was merged into 9990003017 before anyone looked.
    app.load_fhir(json!({"resourceType": "Patient", "id": "merged",
        "identifier": [{"system": NHS, "value": "9990003009"}],
        "link": [{"other": {"identifier": {"system": NHS, "value": "9990003017"}}, "type": "replaced-by"}]}))
        .await;
    let doctor = "555000000205";
    let patients = ["9990003009", "9990003025", "9990003033", "9990003041"];
    let events = ["scope-0", "scope-1", "scope-2", "scope-3"];
    for (event, nhs) in events.iter().zip(patients) {
        view(&app, event, doctor, "RDM02", nhs, "TREAT").await;
    }
    run(&app).await;
    let flagged = findings_of(&app, "no_relationship").await;
    assert!(events.iter().all(|e| flagged.contains(*e)), "{flagged:?}");
    let before = explanation_counts(&app, &events).await;

    // Care context of somebody else: the doctor's findings have nothing to learn from it and
    // are not explained again.
    app.load_fhir(encounter(
        "scope-enc-other",
        "9990003068",
        "555000000207",
        "RDM02",
    ))
    .await;
    let summary = run(&app).await;
    assert_eq!(summary.explained_away, 0, "{summary:?}");
    assert_eq!(explanation_counts(&app, &events).await, before);

    // The doctor's admission of the merged patient, recorded under the surviving id, explains
    // the look under the old id; the other three patients' findings stand, not explained again.
    app.load_fhir(encounter("scope-enc", "9990003017", doctor, "RDM02"))
        .await;
    let summary = run(&app).await;
    assert!(summary.explained_away >= 1, "{summary:?}");
    let after = explanation_counts(&app, &events).await;
    assert!(after[0] > before[0], "{after:?} against {before:?}");
    assert_eq!(after[1..], before[1..]);
    let explained: Vec<String> = sqlx::query_scalar(
        "SELECT event_id FROM findings WHERE explained_away_at IS NOT NULL ORDER BY event_id",
    )
    .fetch_all(&app.pool)
    .await
    .expect("findings");
    assert!(
        !explained.is_empty() && explained.iter().all(|e| e == "scope-0"),
        "{explained:?}"
    );
}
