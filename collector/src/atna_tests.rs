//! Mapping tests: one DICOM fixture changed per case, checked through `check`/`reject`; tables for
//! the user choice and patient identifiers; property tests that no input panics.

use super::*;
use domain::{Channel, Timestamp};
use proptest::collection::vec;
use proptest::prelude::*;

/// A DICOM ITI-43 retrieve by an NHS user, with a process as a second requestor (as XDS
/// actors report it), and the parts each test changes.
const PATIENT_READ: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<AuditMessage>
  <EventIdentification EventActionCode="R" EventDateTime="2026-11-20T09:15:30.250Z" EventOutcomeIndicator="0">
    <EventID csd-code="110110" codeSystemName="DCM" originalText="Patient Record"/>
    <EventTypeCode csd-code="ITI-43" codeSystemName="IHE Transactions" originalText="Retrieve Document Set"/>
    <PurposeOfUse csd-code="TREAT" codeSystemName="v3-ActReason" originalText="Treatment"/>
  </EventIdentification>
  <ActiveParticipant UserID="http://ehr.example/xds" AlternativeUserID="4711" UserIsRequestor="true" NetworkAccessPointID="10.9.9.9" NetworkAccessPointTypeCode="2">
    <RoleIDCode csd-code="110153" codeSystemName="DCM" originalText="Source Role ID"/>
  </ActiveParticipant>
  <ActiveParticipant UserID="555021935107@RRV" UserName="Dr A Example" UserIsRequestor="true" NetworkAccessPointID="10.1.2.3" NetworkAccessPointTypeCode="2">
    <RoleIDCode csd-code="R8000" codeSystemName="NHSRBACRole" originalText="Clinical Practitioner"/>
  </ActiveParticipant>
  <ActiveParticipant UserID="http://repo.example/xds" UserIsRequestor="false">
    <RoleIDCode csd-code="110152" codeSystemName="DCM" originalText="Destination Role ID"/>
  </ActiveParticipant>
  <AuditSourceIdentification AuditSourceID="ehr"/>
  <ParticipantObjectIdentification ParticipantObjectID="9000000009^^^&amp;2.16.840.1.113883.2.1.4.1&amp;ISO^NH" ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1">
    <ParticipantObjectIDTypeCode csd-code="2" codeSystemName="RFC-3881" originalText="Patient Number"/>
  </ParticipantObjectIdentification>
  <ParticipantObjectIdentification ParticipantObjectID="1.2.3.4" ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="3">
    <ParticipantObjectIDTypeCode csd-code="urn:uuid:8a8db347" codeSystemName="IHE XDS Metadata" originalText="XDSDocumentEntry"/>
  </ParticipantObjectIdentification>
</AuditMessage>"#;

fn provenance() -> Provenance {
    Provenance {
        source_node: "test-node".to_owned(),
        channel: Channel::SyslogTls,
        authenticated_as: String::new(),
        received_at: Timestamp::from_millis(1_700_000_000_000),
    }
}

fn map(xml: &str) -> Result<MappedAtnaMessage, AtnaError> {
    map_atna_message(xml.as_bytes(), provenance(), || "derived-id".to_owned())
}

/// The fixture with each `(from, to)` replacement applied (each `from` must occur).
fn changed(replacements: &[(&str, &str)]) -> String {
    replacements
        .iter()
        .fold(PATIENT_READ.to_owned(), |xml, (from, to)| {
            assert!(xml.contains(from), "fixture has no {from:?}");
            xml.replace(from, to)
        })
}

fn check(xml: &str, expect: impl FnOnce(&MappedAtnaMessage)) {
    match map(xml) {
        Ok(mapped) => expect(&mapped),
        Err(error) => panic!(
            "expected a mapped event, got {}: {error}",
            error.reason_code
        ),
    }
}

fn reject(xml: &[u8], reason_code: &str) {
    match map_atna_message(xml, provenance(), || "derived-id".to_owned()) {
        Ok(mapped) => panic!("expected {reason_code}, mapped {:?}", mapped.event),
        Err(error) => assert_eq!(error.reason_code, reason_code, "{error}"),
    }
}

fn roles(event: &AccessEvent) -> Vec<&str> {
    event.user_roles.iter().map(RoleCode::as_str).collect()
}

#[test]
fn maps_a_dicom_patient_read() {
    check(PATIENT_READ, |mapped| {
        let event = &mapped.event;
        assert_eq!(event.event_id.as_str(), "derived-id");
        assert_eq!(event.occurred_at.to_string(), "2026-11-20T09:15:30.250Z");
        assert_eq!(event.action, Action::Read);
        assert_eq!(event.outcome, Outcome::Success);
        assert_eq!(event.event_type, "DCM|110110");
        assert_eq!(event.event_subtypes, ["IHE Transactions|ITI-43"]);
        assert_eq!(event.patient_id.as_str(), "9000000009");
        assert_eq!(event.patient_id_system, NHS_NUMBER_SYSTEM);
        assert_eq!(event.user_id.as_str(), "555021935107@RRV");
        assert_eq!(event.user_name, "Dr A Example");
        assert_eq!(event.user_org.as_ref().map(OrgCode::as_str), Some("RRV"));
        assert_eq!(roles(event), ["R8000"]);
        assert_eq!(event.purpose_of_use, ["v3-ActReason|TREAT"]);
        assert!(!event.emergency_access);
        assert_eq!(event.client_address, "10.1.2.3");
        assert_eq!(event.data_entities, ["IHE XDS Metadata|urn:uuid:8a8db347"]);
        assert_eq!(event.provenance, provenance());
        assert!(mapped.additional_patients.is_empty());
        assert!(mapped.deviations.is_empty(), "{:?}", mapped.deviations);
    });
}

#[test]
fn maps_the_rfc_3881_dialect_the_same_way() {
    let rfc3881 = PATIENT_READ
        .replace("csd-code=", "code=")
        .replace("originalText=", "displayName=");
    let dicom = map(PATIENT_READ).expect("the DICOM fixture maps");
    check(&rfc3881, |mapped| assert_eq!(mapped, &dicom));
}

#[test]
fn emergency_purpose_of_use_marks_emergency_access() {
    for (purpose, reason) in [
        (
            r#"csd-code="BTG" originalText="unconscious in ED""#,
            "unconscious in ED",
        ),
        (r#"csd-code="ETREAT""#, "emergency purpose of use"),
    ] {
        let xml = changed(&[
            (r#"csd-code="TREAT""#, purpose),
            (r#" originalText="Treatment""#, ""),
        ]);
        check(&xml, |mapped| {
            assert!(mapped.event.emergency_access);
            assert_eq!(mapped.event.emergency_reason, reason);
        });
    }
}

#[test]
fn scr_style_alerts_in_purpose_of_use_mark_emergency_access() {
    let alert = |code: &str, text: &str| {
        format!(
            r#"csd-code="{code}" codeSystemName="urn:careaudit:scr-alert-type" originalText="{text}""#
        )
    };
    for (purpose, reason) in [
        (
            alert("self-claimed-relationship", "covering for a colleague"),
            "self-claimed-relationship: covering for a colleague",
        ),
        (alert("permission-override", " "), "permission-override"),
    ] {
        let xml = changed(&[(
            r#"csd-code="TREAT" codeSystemName="v3-ActReason" originalText="Treatment""#,
            &purpose,
        )]);
        check(&xml, |mapped| {
            assert!(mapped.event.emergency_access);
            assert_eq!(mapped.event.emergency_reason, reason);
        });
    }
    // The same code in another system is an ordinary purpose of use.
    let other = changed(&[(
        r#"codeSystemName="v3-ActReason""#,
        r#"codeSystemName="local""#,
    )]);
    check(&other, |mapped| assert!(!mapped.event.emergency_access));
}

#[test]
fn chooses_the_requestor_that_looks_like_a_person() {
    let cases = [
        // (participants, expected user id)
        (
            r#"<ActiveParticipant UserID="me" UserIsRequestor="true"><RoleIDCode csd-code="110153"/></ActiveParticipant>
            <ActiveParticipant UserID="asaip" UserIsRequestor="true"><RoleIDCode csd-code="Physician"/></ActiveParticipant>"#,
            "asaip",
        ),
        (
            r#"<ActiveParticipant UserID="SYS" UserIsRequestor="true"><RoleIDCode csd-code="110150"/></ActiveParticipant>
            <ActiveParticipant UserID="scmabh" UserIsRequestor="true"><RoleIDCode csd-code="110151"/></ActiveParticipant>"#,
            "scmabh",
        ),
        (
            r#"<ActiveParticipant UserID="fe80::1%11" UserIsRequestor="true"/>
            <ActiveParticipant UserID="farley@wb.com" UserIsRequestor="true"/>"#,
            "farley@wb.com",
        ),
        (
            r#"<ActiveParticipant UserID="PACS" AlternativeUserID="AETITLES=PACS" UserIsRequestor="true"/>
            <ActiveParticipant UserID="jdoe" UserIsRequestor="1"/>"#,
            "jdoe",
        ),
        (
            r#"<ActiveParticipant UserID="WS12$" UserIsRequestor="true"/>
            <ActiveParticipant UserID="nurse" UserTypeCode="1" UserIsRequestor="true"/>"#,
            "nurse",
        ),
        // Only processes requested: the first is the user.
        (
            r#"<ActiveParticipant UserID="A|B" UserIsRequestor="true"/>
            <ActiveParticipant UserID="C|D" UserIsRequestor="true"/>"#,
            "A|B",
        ),
        // A person who is not the requestor is never the user; an empty UserID is no user.
        (
            r#"<ActiveParticipant UserID="dr" UserName="Dr" UserIsRequestor="false"/>
            <ActiveParticipant UserID="" UserIsRequestor="true"/>
            <ActiveParticipant UserID="/gateway" UserIsRequestor="TRUE"/>"#,
            "/gateway",
        ),
    ];
    for (participants, expected) in cases {
        let xml = format!(
            r#"<AuditMessage><EventIdentification EventActionCode="R" EventDateTime="2026-01-01T00:00:00Z" EventOutcomeIndicator="0"/>{participants}
            <ParticipantObjectIdentification ParticipantObjectID="p1" ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1"/></AuditMessage>"#
        );
        check(&xml, |mapped| {
            assert_eq!(mapped.event.user_id.as_str(), expected, "{participants}")
        });
    }
}

#[test]
fn reads_patient_identifiers() {
    let cases = [
        ("123^^^&1.2.3&ISO", Some(("123", "urn:oid:1.2.3"))),
        (
            "24^^^MPI&2.16.840.1.113883.3.37&ISO^PI",
            Some(("24", "urn:oid:2.16.840.1.113883.3.37")),
        ),
        (
            "9000000009^^^&2.16.840.1.113883.2.1.4.1&ISO",
            Some(("9000000009", NHS_NUMBER_SYSTEM)),
        ),
        ("178^^^MPI", Some(("178", "MPI"))),
        ("Patient/IHERED-2340", Some(("IHERED-2340", "reference"))),
        (
            "urn:oid:1.3.6|IHEBLUE-2340",
            Some(("IHEBLUE-2340", "urn:oid:1.3.6")),
        ),
        (
            "urn:oid:2.16.840.1.113883.2.1.4.1|9000000009",
            Some(("9000000009", NHS_NUMBER_SYSTEM)),
        ),
        (
            "SELF-5^^^&amp;1.3.6&amp;ISO",
            Some(("SELF-5", "urn:oid:1.3.6")),
        ),
        (" ptid12345 ", Some(("ptid12345", ""))),
        ("^^^&1.2.3&ISO", None),
        ("", None),
    ];
    for (raw, expected) in cases {
        let parsed = parse_patient_identifiers(raw, &mut Vec::new());
        let parsed: Vec<(&str, &str)> = parsed
            .iter()
            .map(|patient| (patient.id.as_str(), patient.system.as_str()))
            .collect();
        assert_eq!(parsed, Vec::from_iter(expected), "{raw}");
    }
    // Each repetition of a repeating CX; unusable ones (here too long) are left out.
    let repeating = format!("a^^^&x&UUID~{}~b^^^&1.2&ISO", "x".repeat(129));
    let parsed: Vec<(String, String)> = parse_patient_identifiers(&repeating, &mut Vec::new())
        .into_iter()
        .map(|patient| (patient.id.to_string(), patient.system))
        .collect();
    assert_eq!(
        parsed,
        [("a".into(), "x".into()), ("b".into(), "urn:oid:1.2".into())]
    );
}

#[test]
fn finds_the_users_organisation() {
    let cases = [
        (vec![("555021935107@RRV", "jdoe@mail.example.org")], None),
        (vec![("555021935107@RRV", "jdoe@RX1")], Some("RX1")),
        (vec![("555021935107@RRV", "jdoe@realm")], None),
        (
            vec![
                (
                    r#"<AuditSourceIdentification"#,
                    r#"<ActiveParticipant UserID="RRV01" UserIsRequestor="false"><RoleIDCode csd-code="PROV"/></ActiveParticipant><AuditSourceIdentification"#,
                ),
                ("555021935107@RRV", "jdoe"),
            ],
            Some("RRV01"),
        ),
        (
            vec![
                (
                    r#"ParticipantObjectTypeCode="2""#,
                    r#"ParticipantObjectTypeCode="3""#,
                ),
                (
                    r#"ParticipantObjectID="1.2.3.4""#,
                    r#"ParticipantObjectID="A81001^^^ODS""#,
                ),
                ("555021935107@RRV", "jdoe"),
            ],
            Some("A81001"),
        ),
    ];
    for (replacements, expected) in cases {
        check(&changed(&replacements), |mapped| {
            assert_eq!(
                mapped.event.user_org.as_ref().map(OrgCode::as_str),
                expected,
                "{replacements:?}"
            );
        });
    }
}

#[test]
fn records_what_it_tolerates() {
    type Replacements = &'static [(&'static str, &'static str)];
    let cases: [(Replacements, &[&str]); 7] = [
        (
            &[("09:15:30.250Z", "09:15:30.2500001")],
            &["timestamp_without_zone"],
        ),
        (&[(r#"EventActionCode="R" "#, "")], &["missing_action"]),
        (
            &[(r#" EventOutcomeIndicator="0""#, "")],
            &["missing_outcome"],
        ),
        (
            &[(
                r#"UserName="Dr A Example" UserIsRequestor="true""#,
                r#"UserName="Dr A Example""#,
            )],
            &["missing_user_is_requestor"],
        ),
        (
            &[(r#"ParticipantObjectTypeCode="1" "#, "")],
            &["patient_without_type_code"],
        ),
        (
            &[(
                "&amp;2.16.840.1.113883.2.1.4.1&amp;",
                "&amp;amp;2.16.840.1.113883.2.1.4.1&amp;amp;",
            )],
            &["double_escaped_identifier"],
        ),
        (
            &[("</AuditMessage>", "</AuditMessage>?>")],
            &["trailing_content"],
        ),
    ];
    for (replacements, deviations) in cases {
        check(&changed(replacements), |mapped| {
            assert_eq!(mapped.deviations, deviations, "{replacements:?}");
            assert_eq!(mapped.event.patient_id.as_str(), "9000000009");
        });
    }
    let query = changed(&[
        (r#"EventActionCode="R" "#, ""),
        (r#"csd-code="110110""#, r#"csd-code="110112""#),
    ]);
    check(&query, |mapped| {
        assert_eq!(mapped.event.action, Action::Execute)
    });
}

#[test]
fn returns_further_patients_beside_the_event() {
    let second = r#"<ParticipantObjectIdentification ParticipantObjectID="78106^^^PKLN&amp;1.2&amp;ISO" ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1"/></AuditMessage>"#;
    check(&changed(&[("</AuditMessage>", second)]), |mapped| {
        assert_eq!(mapped.event.patient_id.as_str(), "9000000009");
        let additional: Vec<(&str, &str)> = mapped
            .additional_patients
            .iter()
            .map(|patient| (patient.id.as_str(), patient.system.as_str()))
            .collect();
        assert_eq!(additional, [("78106", "urn:oid:1.2")]);
        assert_eq!(mapped.deviations, ["multiple_patients"]);
    });
}

/// A repeating CX near the size limit: each patient is kept once, in document order, without
/// comparing every pair of identifiers (which took 38 s here in a debug build; found while
/// writing the `atna_xml` fuzz target, whose inputs are too small to reach it).
#[test]
fn names_many_patients_once_each_in_document_order() {
    let count = 60_000;
    let ids: Vec<String> = (0..count).map(|id| id.to_string()).collect();
    let repeated = format!("{}~{}", ids.join("~"), ids.join("~"));
    let xml = changed(&[(
        "9000000009^^^&amp;2.16.840.1.113883.2.1.4.1&amp;ISO^NH",
        repeated.as_str(),
    )]);
    assert!(xml.len() <= MAX_AUDIT_MESSAGE_BYTES);
    check(&xml, |mapped| {
        assert_eq!(mapped.event.patient_id.as_str(), "0");
        assert_eq!(mapped.additional_patients.len(), count - 1);
        let last = mapped
            .additional_patients
            .last()
            .map(|patient| patient.id.as_str());
        assert_eq!(last, Some("59999"));
    });
}

#[test]
fn rejects_with_a_specific_reason() {
    reject(b"", "invalid_xml");
    reject(b"this is a message?>", "invalid_xml");
    reject(b"\xFF<AuditMessage/>", "invalid_xml");
    reject(b"<AuditMessage><EventIdentification>", "invalid_xml");
    reject(b"<AuditMessage></EventIdentification>", "invalid_xml");
    reject(
        b"<!DOCTYPE AuditMessage [<!ENTITY x \"y\">]><AuditMessage/>",
        "invalid_xml",
    );
    reject(PATIENT_READ.replace("DCM", "&x;").as_bytes(), "invalid_xml");
    reject(
        PATIENT_READ
            .replace("AuditSourceID=", "AuditSourceID=\"a\" AuditSourceID=")
            .as_bytes(),
        "invalid_xml",
    );
    reject(
        format!("<AuditMessage>{}</AuditMessage>", "<a>".repeat(40)).as_bytes(),
        "invalid_xml",
    );
    reject(b"<data>data</data>?>", "not_audit_message");
    reject(
        format!(
            "<AuditMessage>{}</AuditMessage>",
            " ".repeat(MAX_AUDIT_MESSAGE_BYTES)
        )
        .as_bytes(),
        "too_large",
    );
    reject(b"<AuditMessage/>", "missing_event_identification");
    reject(
        changed(&[(
            r#"ParticipantObjectTypeCodeRole="1""#,
            r#"ParticipantObjectTypeCodeRole="24""#,
        )])
        .as_bytes(),
        "no_patient",
    );
    reject(
        changed(&[(
            r#"ParticipantObjectID="9000000009"#,
            r#"ParticipantObjectID=""#,
        )])
        .as_bytes(),
        "no_patient",
    );
    reject(
        changed(&[(r#"UserIsRequestor="true""#, r#"UserIsRequestor="false""#)]).as_bytes(),
        "no_user",
    );
    reject(
        changed(&[(r#"EventActionCode="R""#, r#"EventActionCode="X""#)]).as_bytes(),
        "invalid_action",
    );
    reject(
        changed(&[(
            r#"EventOutcomeIndicator="0""#,
            r#"EventOutcomeIndicator="1""#,
        )])
        .as_bytes(),
        "invalid_outcome",
    );
    reject(
        changed(&[(r#" EventDateTime="2026-11-20T09:15:30.250Z""#, "")]).as_bytes(),
        "missing_event_time",
    );
    reject(
        changed(&[("2026-11-20T09:15:30.250Z", "yesterday")]).as_bytes(),
        "invalid_event_time",
    );
    let no_id = map_atna_message(PATIENT_READ.as_bytes(), provenance(), String::new);
    assert_eq!(no_id.map_err(|error| error.reason_code), Err("invalid_id"));
}

/// An edit of the fixture: at a position (taken modulo its length), delete, insert or replace.
fn mutation() -> impl Strategy<Value = (usize, u8, Vec<u8>)> {
    (
        any::<usize>(),
        0_u8..3,
        vec(
            proptest::sample::select(b"<>/=\"&;'!?[]-^ \x00\xC3ax".to_vec()),
            0..4,
        ),
    )
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(xml in vec(any::<u8>(), 0..600)) {
        let _ = map_atna_message(&xml, provenance(), || "id".to_owned());
    }

    #[test]
    fn never_panics_on_mangled_audit_messages(mutations in vec(mutation(), 1..8)) {
        let mut xml = PATIENT_READ.as_bytes().to_vec();
        for (position, kind, bytes) in mutations {
            let position = position % (xml.len() + 1);
            match kind {
                0 => { xml.drain(position..(position + bytes.len()).min(xml.len())); }
                1 => { xml.splice(position..position, bytes); }
                _ => { xml.truncate(position); }
            }
        }
        let _ = map_atna_message(&xml, provenance(), || "id".to_owned());
    }
}
