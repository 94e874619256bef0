//! FHIR care-context resources over HTTP: a Synthea patient transaction Bundle (urn:uuid
//! references), Synthea bulk NDJSON (conditional references across files), and a Consent
//! objection that sets the patient's flag without touching their demographics.

use serde_json::{json, Value};
use tests::{testdata, Background, TestApp};

async fn post(app: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}{path}", app.collector_url))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("reachable");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn count(app: &TestApp, sql: &str) -> u64 {
    app.clickhouse.query(sql).fetch_one().await.expect("count")
}

#[tokio::test]
async fn synthea_bundles_and_bulk_files_become_care_context() {
    let app = TestApp::spawn("care_fhir", Background::NONE).await;
    let directory = testdata("synthea/r4-transaction-bundles");
    let mut files: Vec<_> = std::fs::read_dir(&directory)
        .expect("folder")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    files.sort();
    let (status, answer) = post(
        &app,
        "/fhir",
        "application/fhir+json",
        std::fs::read(&files[0]).expect("read"),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["type"], "transaction-response");
    let statuses: Vec<&str> = answer["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["response"]["status"].as_str())
        .collect();
    assert!(
        statuses.iter().all(|status| *status == "200 OK"),
        "{statuses:?}"
    );

    let bulk = testdata("synthea/bulk-ndjson-10-patients");
    for (resource_type, file) in [
        ("Organization", "Organization.000.ndjson"),
        ("Practitioner", "Practitioner.000.ndjson"),
        ("Patient", "Patient.000.ndjson"),
        ("Encounter", "Encounter.000.ndjson"),
    ] {
        let (status, answer) = post(
            &app,
            &format!("/fhir/{resource_type}"),
            "application/fhir+ndjson",
            std::fs::read(bulk.join(file)).expect("read"),
        )
        .await;
        assert_eq!(status, 200, "{resource_type}: {answer}");
    }
    app.wait_until_shipped().await;
    assert_eq!(
        count(&app, "SELECT count() FROM patients FINAL").await,
        14,
        "one Synthea bundle patient and 13 bulk patients"
    );
    let encounters = count(
        &app,
        "SELECT count() FROM care_relationships FINAL WHERE kind = 'encounter'",
    )
    .await;
    assert!(
        encounters >= 1_215,
        "every bulk encounter binds its service provider: {encounters}"
    );
    let clinicians = count(
        &app,
        "SELECT count() FROM care_relationships FINAL WHERE kind = 'clinician' AND user_id != ''",
    )
    .await;
    assert!(clinicians >= 1_215, "and its practitioner: {clinicians}");

    // A Consent objection is a flag of its own: the patient's name stays.
    let patient_id: String = app.clickhouse.query("SELECT patient_id FROM patients FINAL WHERE family_name != '' ORDER BY patient_id LIMIT 1").fetch_one().await.expect("a patient");
    let (system, value) = patient_id.split_once('|').map_or(
        (
            "https://fhir.nhs.uk/Id/nhs-number".to_owned(),
            patient_id.clone(),
        ),
        |(s, v)| (s.to_owned(), v.to_owned()),
    );
    let consent = json!({"resourceType": "Consent", "id": "objection-1", "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "patient": {"identifier": {"system": system, "value": value}},
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny"}});
    let (status, answer) = post(
        &app,
        "/fhir/Consent",
        "application/fhir+json",
        serde_json::to_vec(&consent).expect("json"),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    app.wait_until_shipped().await;
    let flags: Vec<(String, u8)> = app
        .clickhouse
        .query("SELECT flag, value FROM patient_flags FINAL")
        .fetch_all()
        .await
        .expect("flags");
    assert_eq!(flags, [("sharing_objection".to_owned(), 1)]);
    let named: u64 = app
        .clickhouse
        .query("SELECT count() FROM patients FINAL WHERE family_name != ''")
        .fetch_one()
        .await
        .expect("count");
    assert_eq!(named, 14);

    // A resource of another type posted to the wrong route is refused.
    let (status, answer) = post(
        &app,
        "/fhir/Patient",
        "application/fhir+json",
        serde_json::to_vec(&consent).expect("json"),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
}
