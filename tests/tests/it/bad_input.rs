//! Bad input on `POST /fhir/AuditEvent`: each gets a specific 4xx OperationOutcome, rejected
//! bodies are quarantined with their reason, and good events sent in between are all stored.

use serde_json::{json, Value};
use tests::{patient_read, Background, TestApp};

struct BadCase {
    name: &'static str,
    body: Vec<u8>,
    content_type: &'static str,
    status: u16,
    issue_code: &'static str,
    expression: Option<&'static str>,
    quarantine_reason: Option<&'static str>,
}

fn without(mut resource: Value, pointer: &str, key: &str) -> Vec<u8> {
    resource
        .pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .expect("object at pointer")
        .remove(key);
    serde_json::to_vec(&resource).expect("serialise")
}

fn bad_cases() -> Vec<BadCase> {
    let good = || {
        patient_read(
            "bad-template",
            "555000000002",
            "RDM01",
            "9990001240",
            "TREAT",
            None,
        )
    };
    let mut no_patient = good();
    no_patient["entity"] = json!([]);
    let mut no_user = good();
    no_user["agent"][0]["requestor"] = json!(false);
    let mut wrong_type = good();
    wrong_type["resourceType"] = json!("Patient");
    vec![
        BadCase {
            name: "invalid JSON",
            body: b"{\"resourceType\": \"AuditEvent\",".to_vec(),
            content_type: "application/fhir+json",
            status: 400,
            issue_code: "structure",
            expression: None,
            quarantine_reason: Some("invalid_json"),
        },
        BadCase {
            name: "wrong resourceType",
            body: serde_json::to_vec(&wrong_type).expect("json"),
            content_type: "application/fhir+json",
            status: 400,
            issue_code: "not-supported",
            expression: Some("resourceType"),
            quarantine_reason: Some("wrong_resource_type"),
        },
        BadCase {
            name: "missing patient",
            body: serde_json::to_vec(&no_patient).expect("json"),
            content_type: "application/fhir+json",
            status: 400,
            issue_code: "required",
            expression: Some("AuditEvent.entity"),
            quarantine_reason: Some("missing_patient"),
        },
        BadCase {
            name: "missing user",
            body: serde_json::to_vec(&no_user).expect("json"),
            content_type: "application/fhir+json",
            status: 400,
            issue_code: "required",
            expression: Some("AuditEvent.agent"),
            quarantine_reason: Some("missing_user"),
        },
        BadCase {
            name: "missing recorded",
            body: without(good(), "", "recorded"),
            content_type: "application/json",
            status: 400,
            issue_code: "required",
            expression: Some("AuditEvent.recorded"),
            quarantine_reason: Some("missing_recorded"),
        },
        BadCase {
            name: "oversized body",
            body: vec![b' '; 200 * 1024],
            content_type: "application/fhir+json",
            status: 413,
            issue_code: "too-long",
            expression: None,
            quarantine_reason: None,
        },
        BadCase {
            name: "XML content type",
            body: b"<AuditEvent/>".to_vec(),
            content_type: "application/fhir+xml",
            status: 415,
            issue_code: "not-supported",
            expression: None,
            quarantine_reason: None,
        },
    ]
}

#[tokio::test]
async fn each_bad_input_gets_a_specific_outcome_and_good_events_are_all_stored() {
    let app = TestApp::spawn("bad_input", Background::NONE).await;
    let mut good_ids = Vec::new();
    for (index, case) in bad_cases().into_iter().enumerate() {
        let (status, outcome) = app.post_audit_event(case.body, case.content_type).await;
        assert_eq!(status.as_u16(), case.status, "{}: {outcome}", case.name);
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{}", case.name);
        let issue = &outcome["issue"][0];
        assert_eq!(issue["severity"], "error", "{}", case.name);
        assert_eq!(issue["code"], case.issue_code, "{}: {outcome}", case.name);
        assert!(
            !issue["diagnostics"].as_str().unwrap_or_default().is_empty(),
            "{}",
            case.name
        );
        if let Some(expression) = case.expression {
            assert_eq!(
                issue["expression"][0], expression,
                "{}: {outcome}",
                case.name
            );
        }
        // A good event between every bad one: none may be lost.
        let id = format!("good-{index}");
        let good = patient_read(&id, "555000000002", "RDM01", "9990001240", "TREAT", None);
        let (status, answer) = app.post_json(&good).await;
        assert_eq!(status, 201, "good event after {}: {answer}", case.name);
        good_ids.push(id);
    }
    for id in &good_ids {
        assert_eq!(app.stored_events(id).await, 1, "{id} stored");
    }
    app.wait_until_shipped().await;
    let stored_total: u64 = app
        .clickhouse
        .query("SELECT count() FROM access_events FINAL")
        .fetch_one()
        .await
        .expect("count");
    assert_eq!(
        stored_total,
        good_ids.len() as u64,
        "only the good events are stored"
    );

    let mut reasons: Vec<String> = app
        .clickhouse
        .query("SELECT reason_code FROM quarantine ORDER BY reason_code")
        .fetch_all()
        .await
        .expect("quarantine rows");
    reasons.sort();
    let mut expected: Vec<String> = bad_cases()
        .iter()
        .filter_map(|case| case.quarantine_reason.map(str::to_owned))
        .collect();
    expected.sort();
    assert_eq!(reasons, expected);
}

#[tokio::test]
async fn a_bundle_of_errors_names_every_problem() {
    let app = TestApp::spawn("bad_input_many", Background::NONE).await;
    let mut event = patient_read("many", "555000000002", "RDM01", "9990001240", "TREAT", None);
    event["entity"] = json!([]);
    event["agent"] = json!([]);
    event["recorded"] = json!("last tuesday");
    let (status, outcome) = app.post_json(&event).await;
    assert_eq!(status, 400);
    let expressions: Vec<&str> = outcome["issue"]
        .as_array()
        .expect("issues")
        .iter()
        .filter_map(|issue| issue["expression"][0].as_str())
        .collect();
    assert_eq!(
        expressions,
        [
            "AuditEvent.recorded",
            "AuditEvent.entity",
            "AuditEvent.agent"
        ]
    );
}
