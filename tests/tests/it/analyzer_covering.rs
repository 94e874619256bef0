//! Cover within the integrated care system and late care context, against real ClickHouse and
//! PostgreSQL, fed through the collector's endpoints: the duty doctor of a neighbouring practice
//! who looks at a patient within hours of the patient's appointment at their own practice is
//! explained, weakly (`covering_appointment`, binding `system`), and raises no "unexplained"
//! finding, while a non-clinician of that practice, a practice of another system, a hospital of
//! the same system and a look with no appointment near stay unexplained; and care context that
//! arrives late explains again the accesses no rule flagged, not only those with findings, also
//! when it becomes visible after care context received later (the check is on stored time).

use serde_json::{json, Value};
use std::collections::BTreeMap;
use tests::{patient_read, Background, TestApp};

const NHS: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const SDS: &str = "https://fhir.nhs.uk/Id/sds-user-id";

fn organisation(code: &str, kind: &str, parent: &str) -> Value {
    json!({"resourceType": "Organization", "id": code,
           "identifier": [{"system": ODS, "value": code}], "name": code,
           "type": [{"coding": [{"system": "urn:careaudit:organisation-type", "code": kind}]}],
           "partOf": {"identifier": {"system": ODS, "value": parent}}})
}

fn patient(nhs: &str, family: &str) -> Value {
    json!({"resourceType": "Patient", "id": nhs,
           "identifier": [{"system": NHS, "value": nhs}],
           "name": [{"use": "official", "family": family, "given": ["Pat"]}],
           "address": [{"use": "home", "line": ["1 Any Road"], "postalCode": "N9 9ZZ"}]})
}

/// A 10-minute appointment with `gp`, starting `hours_ago` hours ago.
fn appointment(id: &str, nhs: &str, gp: &str, hours_ago: i64) -> Value {
    let start = chrono::Utc::now() - chrono::Duration::hours(hours_ago);
    appointment_at(id, nhs, gp, start)
}

/// A booked ten-minute appointment of patient `nhs` with `gp` (SDS user id) from `start`.
fn appointment_at(id: &str, nhs: &str, gp: &str, start: chrono::DateTime<chrono::Utc>) -> Value {
    let end = start + chrono::Duration::minutes(10);
    json!({"resourceType": "Appointment", "id": id, "status": "booked",
    "start": start.to_rfc3339(), "end": end.to_rfc3339(), "minutesDuration": 10,
    "participant": [
        {"actor": {"type": "Patient", "identifier": {"system": NHS, "value": nhs}}, "status": "accepted"},
        {"actor": {"type": "Practitioner", "identifier": {"system": SDS, "value": gp}}, "status": "accepted"}
    ]})
}

fn encounter(id: &str, nhs: &str, clinician: &str, org: &str) -> Value {
    tests::in_progress_encounter(id, nhs, clinician, org, 1)
}

async fn view(app: &TestApp, id: &str, user: &str, org: &str, nhs: &str, role: &str) {
    let mut event = patient_read(id, user, org, nhs, "TREAT", None);
    // The access carries the user's national RBAC role, as the exchange records it.
    let text = event
        .to_string()
        .replace("\"R8000\"", &format!("\"{role}\""));
    event = serde_json::from_str(&text).expect("event");
    assert_eq!(app.post_json(&event).await.0, 201, "{id}");
}

async fn run(app: &TestApp, settings: &analyzer::AnalyzerSettings) -> analyzer::RunSummary {
    app.wait_until_shipped().await;
    // Stored times are whole seconds: past the next second boundary plus the settle time,
    // everything stored so far is inside the window.
    tokio::time::sleep(std::time::Duration::from_millis(1_300)).await;
    analyzer::run_once(
        settings,
        &app.clickhouse,
        &app.pool,
        domain::Timestamp::now(),
    )
    .await
    .expect("analyzer run")
}

/// The latest explanation of every access: event id → (kind, binding); unexplained: ("", "").
async fn explanations(app: &TestApp) -> BTreeMap<String, (String, String)> {
    let rows: Vec<(String, u8, String, String)> = app
        .clickhouse
        .query("SELECT event_id, argMax(explained, version), argMax(kind, version), argMax(binding, version) FROM access_explanations GROUP BY event_id")
        .fetch_all()
        .await
        .expect("explanations");
    rows.into_iter()
        .map(|(event, explained, kind, binding)| {
            assert_eq!(explained == 1, !kind.is_empty(), "{event}");
            (event, (kind, binding))
        })
        .collect()
}

async fn findings_of(app: &TestApp, event: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT rule_id FROM (SELECT rule_id, event_id FROM findings UNION ALL SELECT rule_id, event_id FROM pending_findings) f
         WHERE event_id = $1 ORDER BY rule_id",
    )
    .bind(event)
    .fetch_all(&app.pool)
    .await
    .expect("findings")
}

/// Two practices and a trust in ICS-A, a practice in ICS-B; the patients are registered at
/// G00001, whose GP is 555000000301.
async fn load_region(app: &TestApp) {
    for (code, kind, parent) in [
        ("G00001", "gp_practice", "ICSA"),
        ("G00002", "gp_practice", "ICSA"),
        ("RDM01", "acute_trust", "ICSA"),
        ("G00003", "gp_practice", "ICSB"),
    ] {
        app.load_fhir(organisation(code, kind, parent)).await;
    }
    let staff = "user_id,family_name,given_names,org_code,role_codes,job_title,team,home_address_line,home_postcode,start_date,leave_date,patient_id\n\
        555000000301,Own,Gina,G00001,R8000,General Practitioner,G00001-practice,1 Oak Road,N1 1AA,2019-01-07,,\n\
        555000000302,Duty,Hal,G00002,R8000,General Practitioner,G00002-practice,3 Oak Road,N1 1AB,2019-01-07,,\n\
        555000000303,Desk,Ivy,G00002,R8008,Administrator,G00002-practice,5 Elm St,N2 2BB,2019-01-07,,\n\
        555000000304,Far,Jon,G00003,R8000,General Practitioner,G00003-practice,9 Ash Lane,E3 3CC,2019-01-07,,\n\
        555000000305,Ward,Kim,RDM01,R8000,Doctor,Ward 1,4 Birch Way,N4 4DD,2019-01-07,,\n";
    app.load("/load/staff", "text/csv", staff.to_owned()).await;
    for (nhs, family) in [
        ("9990003017", "Visit"),
        ("9990003025", "Quiet"),
        ("9990003033", "Later"),
    ] {
        app.load_fhir(patient(nhs, family)).await;
    }
    app.load(
        "/load/registrations",
        "text/csv",
        "nhs_number,practice_code,registered_from\n9990003017,G00001,2015-04-01\n9990003025,G00001,2015-04-01\n9990003033,G00001,2015-04-01\n"
            .to_owned(),
    )
    .await;
}

#[tokio::test]
async fn a_neighbouring_practice_covering_an_appointment_is_explained_at_the_system_level() {
    let app = TestApp::spawn("analyzer_covering", Background::NONE).await;
    load_region(&app).await;
    // 9990003017 saw their GP two hours ago; 9990003025 has no appointment.
    app.load_fhir(appointment("appt-1", "9990003017", "555000000301", 2))
        .await;
    view(
        &app,
        "e-cover",
        "555000000302",
        "G00002",
        "9990003017",
        "R8000",
    )
    .await;
    view(
        &app,
        "e-admin",
        "555000000303",
        "G00002",
        "9990003017",
        "R8008",
    )
    .await;
    view(
        &app,
        "e-far",
        "555000000304",
        "G00003",
        "9990003017",
        "R8000",
    )
    .await;
    view(
        &app,
        "e-trust",
        "555000000305",
        "RDM01",
        "9990003017",
        "R8000",
    )
    .await;
    view(
        &app,
        "e-no-appt",
        "555000000302",
        "G00002",
        "9990003025",
        "R8000",
    )
    .await;
    view(
        &app,
        "e-own",
        "555000000301",
        "G00001",
        "9990003017",
        "R8000",
    )
    .await;
    run(&app, &app.analyzer_settings).await;

    let known = explanations(&app).await;
    let of = |event: &str| {
        let (kind, binding) = known.get(event).expect(event);
        (kind.as_str(), binding.as_str())
    };
    assert_eq!(of("e-cover"), ("covering_appointment", "system"));
    assert_eq!(of("e-own").1, "user");
    for event in ["e-admin", "e-far", "e-trust", "e-no-appt"] {
        assert_eq!(of(event), ("", ""), "{event} stays unexplained");
    }
    // The cover names the appointment it covers.
    let (relationship, message): (String, String) = app
        .clickhouse
        .query("SELECT argMax(relationship_id, version), argMax(source_message_id, version) FROM access_explanations WHERE event_id = 'e-cover'")
        .fetch_one()
        .await
        .expect("cover");
    assert!(
        relationship.starts_with("fhir:Appointment/appt-1"),
        "{relationship}"
    );
    assert!(!message.is_empty());

    assert!(findings_of(&app, "e-cover").await.is_empty());
    for event in ["e-admin", "e-far", "e-trust", "e-no-appt"] {
        assert!(
            findings_of(&app, event)
                .await
                .contains(&"no_relationship".to_owned()),
            "{event}"
        );
    }

    // Switched off, the same access is unexplained again.
    let mut off = app.analyzer_settings.clone();
    off.explanation.covering.enabled = false;
    view(
        &app,
        "e-cover-2",
        "555000000302",
        "G00002",
        "9990003017",
        "R8000",
    )
    .await;
    run(&app, &off).await;
    assert_eq!(
        explanations(&app).await.get("e-cover-2"),
        Some(&(String::new(), String::new()))
    );
}

#[tokio::test]
async fn late_care_context_explains_again_the_accesses_no_rule_flagged() {
    let app = TestApp::spawn("analyzer_late_accesses", Background::NONE).await;
    load_region(&app).await;
    // Without the rules resting on "unexplained", an unexplained look raises no finding.
    let mut settings = app.analyzer_settings.clone();
    for rule in [
        "no_relationship",
        "search_by_name",
        "rare_org_patient",
        "repeat_browse",
    ] {
        settings.rules.insert(
            rule.to_owned(),
            analyzer::RuleSettings {
                enabled: Some(false),
                ..analyzer::RuleSettings::default()
            },
        );
    }
    let mut only_findings = settings.clone();
    only_findings.explanation.reexplain_accesses = false;
    view(
        &app,
        "e-ward",
        "555000000305",
        "RDM01",
        "9990003033",
        "R8000",
    )
    .await;
    view(
        &app,
        "e-ward-2",
        "555000000305",
        "RDM01",
        "9990003025",
        "R8000",
    )
    .await;
    run(&app, &settings).await;
    assert_eq!(
        explanations(&app).await.get("e-ward"),
        Some(&(String::new(), String::new()))
    );
    assert!(findings_of(&app, "e-ward").await.is_empty());

    // The admissions are recorded later. With the setting off, the first explains nothing
    // again: the access it would explain has no finding.
    app.load_fhir(encounter(
        "enc-late-1",
        "9990003025",
        "555000000305",
        "RDM01",
    ))
    .await;
    run(&app, &only_findings).await;
    assert_eq!(
        explanations(&app).await.get("e-ward-2"),
        Some(&(String::new(), String::new()))
    );
    app.load_fhir(encounter(
        "enc-late-2",
        "9990003033",
        "555000000305",
        "RDM01",
    ))
    .await;
    run(&app, &settings).await;
    let known = explanations(&app).await;
    assert_eq!(
        known.get("e-ward"),
        Some(&("clinician".to_owned(), "user".to_owned()))
    );
    // With it on, the second explains its access; the first patient's care context was seen
    // by the last check, so their access is not looked at again.
    assert_eq!(known.get("e-ward-2"), Some(&(String::new(), String::new())));
}

#[tokio::test]
async fn repeat_browse_counts_the_days_after_the_episode_not_the_episode_day() {
    let app = TestApp::spawn("analyzer_repeat_browse", Background::NONE).await;
    load_region(&app).await;
    // Without continuity of care (prior episodes), the same day's later reads stay unexplained,
    // as the other reads of a view do when late care context explained only the first.
    let mut settings = app.analyzer_settings.clone();
    settings.explanation.prior_episode_days = 0.0;
    let day = {
        let start = chrono::Utc::now() - chrono::Duration::days(9);
        start - chrono::Duration::seconds(start.timestamp().rem_euclid(86_400))
    };
    // An appointment with the ward doctor whose 30-day grace ends at noon of `day`.
    let end = day + chrono::Duration::hours(12) - chrono::Duration::days(30);
    app.load_fhir(appointment_at(
        "appt-old",
        "9990003033",
        "555000000305",
        end - chrono::Duration::minutes(10),
    ))
    .await;
    for (id, hours) in [
        ("rb-episode", 11),       // explained: inside the grace
        ("rb-same-day", 13),      // unexplained, the episode's day
        ("rb-next-day", 24 + 10), // unexplained: the first day of return
        ("rb-third-day", 48 + 10),
    ] {
        let mut event = patient_read(id, "555000000305", "RDM01", "9990003033", "TREAT", None);
        event["recorded"] = json!((day + chrono::Duration::hours(hours))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        assert_eq!(app.post_json(&event).await.0, 201, "{id}");
    }
    run(&app, &settings).await;
    let known = explanations(&app).await;
    assert_eq!(
        known.get("rb-episode").map(|e| e.0.as_str()),
        Some("appointment")
    );
    assert_eq!(known.get("rb-same-day").map(|e| e.0.as_str()), Some(""));
    let flagged: Vec<String> = sqlx::query_scalar(
        "SELECT event_id FROM (SELECT rule_id, event_id FROM findings UNION ALL SELECT rule_id, event_id FROM pending_findings) f
         WHERE rule_id = 'repeat_browse' ORDER BY event_id",
    )
    .fetch_all(&app.pool)
    .await
    .expect("findings");
    // Two days of return after the episode's day: only the third-day access makes the pattern.
    assert_eq!(flagged, ["rb-third-day"]);
}

#[tokio::test]
async fn care_context_stored_after_a_later_received_statement_still_explains_again() {
    let app = TestApp::spawn("analyzer_late_stored", Background::NONE).await;
    load_region(&app).await;
    view(
        &app,
        "e-stored-late",
        "555000000305",
        "RDM01",
        "9990003033",
        "R8000",
    )
    .await;
    run(&app, &app.analyzer_settings).await;
    assert_eq!(
        explanations(&app).await.get("e-stored-late"),
        Some(&(String::new(), String::new()))
    );
    // Other care context arrives and is checked: the late-context watermark passes its time.
    app.load_fhir(encounter(
        "enc-other",
        "9990003025",
        "555000000305",
        "RDM01",
    ))
    .await;
    run(&app, &app.analyzer_settings).await;
    // Now a statement received before that one becomes visible (a collector shipping its
    // write-ahead log late): its version, the receive time, is behind the check, but it was
    // stored after it, and it still explains the access.
    let received_earlier = domain::Timestamp::now().as_millis() - 3_600_000;
    app.clickhouse
        .query(&format!(
            "INSERT INTO care_relationships (relationship_id, patient_id, kind, user_id, team, \
             org_code, valid_from, valid_to, source_channel, source_message_id, version, deleted) \
             VALUES ('hl7:RDM01:V-late:attending', '9990003033', 'clinician', '555000000305', '', \
             'RDM01', now() - 86400, NULL, 'hl7v2_mllp', 'RDM01|MSG-late', {received_earlier}, 0)"
        ))
        .execute()
        .await
        .expect("insert");
    run(&app, &app.analyzer_settings).await;
    assert_eq!(
        explanations(&app).await.get("e-stored-late"),
        Some(&("clinician".to_owned(), "user".to_owned()))
    );
}

#[tokio::test]
async fn a_look_late_care_context_explains_is_the_prior_episode_of_a_later_look_explained_since() {
    let app = TestApp::spawn("analyzer_late_prior", Background::NONE).await;
    load_region(&app).await;
    let settings = app.analyzer_settings.clone();
    let now = chrono::Utc::now();
    let look = |id: &str, at: chrono::DateTime<chrono::Utc>| {
        let mut event = patient_read(id, "555000000305", "RDM01", "9990003033", "TREAT", None);
        event["recorded"] = json!(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        event
    };
    let first = look("lp-first", now - chrono::Duration::days(2));
    assert_eq!(app.post_json(&first).await.0, 201);
    run(&app, &settings).await;
    assert_eq!(
        explanations(&app).await.get("lp-first"),
        Some(&(String::new(), String::new()))
    );

    // An appointment recorded late, whose 30-day grace covers the first look and not today.
    let end = now - chrono::Duration::days(32) + chrono::Duration::hours(1);
    app.load_fhir(appointment_at(
        "appt-late",
        "9990003033",
        "555000000305",
        end - chrono::Duration::minutes(10),
    ))
    .await;
    // Today's look is first explained well after the appointment was stored (past the settle
    // margin), while the first look is still unexplained: nothing explains it then.
    tokio::time::sleep(std::time::Duration::from_millis(4_500)).await;
    let today = look("lp-today", now - chrono::Duration::minutes(5));
    assert_eq!(app.post_json(&today).await.0, 201);
    run(&app, &settings).await;
    let known = explanations(&app).await;
    assert_eq!(
        known.get("lp-first").map(|e| e.0.as_str()),
        Some("appointment")
    );
    // Explained again with the first look it follows: continuity of care.
    assert_eq!(
        known.get("lp-today").map(|e| e.0.as_str()),
        Some("prior_episode")
    );
}
