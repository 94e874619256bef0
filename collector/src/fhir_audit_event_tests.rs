//! Mapping tests: one fixture per BALP pattern or failure, checked through `check`/`reject`.

use super::*;
use domain::Channel;
use serde_json::{json, Value};

fn provenance() -> Provenance {
    Provenance {
        source_node: "test-node".to_owned(),
        channel: Channel::FhirHttp,
        authenticated_as: String::new(),
        received_at: Timestamp::from_millis(1_700_000_000_000),
    }
}

/// A BALP PatientRead event by an NHS user, with the parts each test changes.
fn patient_read() -> Value {
    json!({
        "resourceType": "AuditEvent",
        "id": "evt-1",
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest"},
        "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": "read"}],
        "action": "R",
        "recorded": "2026-11-20T09:15:30.250Z",
        "outcome": "0",
        "agent": [
            {
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
                "who": {"identifier": {"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "555021935107"}, "display": "Dr A Example"},
                "role": [{"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/NHSRBACRole", "code": "R8000"}]}],
                "requestor": true,
                "purposeOfUse": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}]}],
                "network": {"address": "10.1.2.3", "type": "2"}
            },
            {
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleClass", "code": "PROV"}]},
                "who": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RRV"}},
                "requestor": false
            }
        ],
        "entity": [
            {
                "what": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}},
                "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1"},
                "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1"}
            },
            {"what": {"reference": "DocumentReference/discharge-1"}, "securityLabel": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "SEX"}]}
        ]
    })
}

fn map(resource: &Value) -> Result<AccessEvent, MappingError> {
    let body = serde_json::to_vec(resource).expect("fixture serialises");
    map_audit_event(&body, provenance(), || "derived-id".to_owned())
}

fn check(resource: Value, expect: impl FnOnce(&AccessEvent)) {
    match map(&resource) {
        Ok(event) => expect(&event),
        Err(error) => panic!("expected a mapped event, got {:?}", error.issues),
    }
}

fn reject(body: &[u8], reason_code: &str, expressions: &[&str]) {
    let error = map_audit_event(body, provenance(), || "derived-id".to_owned())
        .expect_err("expected a rejection");
    assert_eq!(error.reason_code, reason_code, "{:?}", error.issues);
    let found: Vec<&str> = error
        .issues
        .iter()
        .flat_map(|issue| issue.expression.iter().map(String::as_str))
        .collect();
    assert_eq!(found, expressions, "{:?}", error.issues);
}

#[test]
fn maps_a_balp_patient_read_with_nhs_identifiers() {
    check(patient_read(), |event| {
        assert_eq!(event.event_id.as_str(), "evt-1");
        assert_eq!(event.occurred_at.to_string(), "2026-11-20T09:15:30.250Z");
        assert_eq!(event.action, Action::Read);
        assert_eq!(event.outcome, Outcome::Success);
        assert_eq!(event.patient_id.as_str(), "9000000009");
        assert_eq!(event.patient_id_system, NHS_NUMBER_SYSTEM);
        assert_eq!(event.user_id.as_str(), "555021935107");
        assert_eq!(event.user_name, "Dr A Example");
        assert_eq!(event.user_org.as_ref().map(OrgCode::as_str), Some("RRV"));
        assert_eq!(
            event
                .user_roles
                .iter()
                .map(RoleCode::as_str)
                .collect::<Vec<_>>(),
            ["R8000"]
        );
        assert_eq!(
            event.purpose_of_use,
            ["http://terminology.hl7.org/CodeSystem/v3-ActReason|TREAT"]
        );
        assert!(!event.emergency_access);
        assert_eq!(event.client_address, "10.1.2.3");
        assert_eq!(
            event.data_entities,
            [
                "resource|DocumentReference",
                "security|http://terminology.hl7.org/CodeSystem/v3-ActCode|SEX"
            ]
        );
    });
}

#[test]
fn emergency_purpose_of_use_marks_emergency_access() {
    for code in ["ETREAT", "BTG"] {
        let mut resource = patient_read();
        resource["agent"][0]["purposeOfUse"] = json!([{
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": code}],
            "text": "patient unconscious in ED"
        }]);
        check(resource, |event| {
            assert!(event.emergency_access, "{code}");
            assert_eq!(event.emergency_reason, "patient unconscious in ED");
        });
    }
}

#[test]
fn scr_alert_marks_emergency_access_with_its_reason() {
    let mut resource = patient_read();
    resource["purposeOfEvent"] = json!([{
        "coding": [{"system": SCR_ALERT_SYSTEM, "code": "self-claimed-relationship"}],
        "text": "covering for colleague"
    }]);
    check(resource, |event| {
        assert!(event.emergency_access);
        assert_eq!(
            event.emergency_reason,
            "self-claimed-relationship: covering for colleague"
        );
    });
}

#[test]
fn falls_back_to_references_and_derived_ids() {
    let mut resource = patient_read();
    resource.as_object_mut().expect("object").remove("id");
    resource["entity"][0]["what"] = json!({"reference": "Patient/ex-patient"});
    resource["agent"][0]["who"] = json!({"reference": "Practitioner/ex-practitioner"});
    resource["agent"][1]["who"] = json!({"reference": "Organization/ex-organization"});
    resource.as_object_mut().expect("object").remove("action");
    check(resource, |event| {
        assert_eq!(event.event_id.as_str(), "derived-id");
        assert_eq!(event.patient_id.as_str(), "ex-patient");
        assert_eq!(event.patient_id_system, "reference");
        assert_eq!(event.user_id.as_str(), "Practitioner/ex-practitioner");
        assert_eq!(
            event.user_org.as_ref().map(OrgCode::as_str),
            Some("ex-organization")
        );
        assert_eq!(
            event.action,
            Action::Read,
            "action derived from the read subtype"
        );
    });
}

#[test]
fn rejects_what_is_not_an_audit_event() {
    reject(b"{not json", "invalid_json", &[]);
    reject(b"[1, 2]", "invalid_json", &[]);
    reject(
        br#"{"resourceType": "Patient"}"#,
        "wrong_resource_type",
        &["resourceType"],
    );
    reject(br#"{"id": "x"}"#, "wrong_resource_type", &["resourceType"]);
    reject(
        br#"{"resourceType": "AuditEvent", "agent": {"who": 1}}"#,
        "invalid_structure",
        &["AuditEvent.agent"],
    );
}

#[test]
fn names_every_missing_element() {
    let mut resource = patient_read();
    resource["entity"] = json!([]);
    resource["agent"][0]["requestor"] = json!(false);
    let body = serde_json::to_vec(&resource).expect("serialises");
    reject(
        &body,
        "missing_patient",
        &["AuditEvent.entity", "AuditEvent.agent"],
    );

    let mut resource = patient_read();
    resource["recorded"] = json!("2026-11-20T09:15:30");
    resource["action"] = json!("X");
    resource["outcome"] = json!("1");
    let body = serde_json::to_vec(&resource).expect("serialises");
    reject(
        &body,
        "invalid_recorded",
        &[
            "AuditEvent.recorded",
            "AuditEvent.action",
            "AuditEvent.outcome",
        ],
    );
}
