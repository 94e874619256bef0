//! The analyzer knows a member of staff by every id the feeds carry for them: ATNA nodes write
//! `UserID` as `<user>@<ODS code>` (the collector keeps it as sent), the staff directory and
//! the care context name the bare user id, and a RelatedPerson names a relative by NHS number
//! (the staff directory's `patient_id`). Sent over the real syslog feed and the FHIR endpoints.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use tests::{Background, TestApp};
use tokio::io::AsyncWriteExt;

const NHS: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const SDS: &str = "https://fhir.nhs.uk/Id/sds-user-id";

const CONSULTANT: &str = "555000000301";
const NURSE: &str = "555000000302";
/// The consultant's own record in the patient directory.
const CONSULTANT_RECORD: &str = "9990003009";
const IN_CARE: &str = "9990003017";
const FORMER_SPOUSE: &str = "9990003025";

fn patient(nhs: &str, family: &str, line: &str, postcode: &str) -> Value {
    json!({"resourceType": "Patient", "id": nhs,
        "identifier": [{"system": NHS, "value": nhs}],
        "name": [{"use": "official", "family": family, "given": ["Pat"]}],
        "address": [{"use": "home", "line": [line], "postalCode": postcode}]})
}

/// An ATNA (DICOM PS3.15 A.5) patient record read by `user` (as ATNA writes it), octet-counted
/// for RFC 5424 over TCP.
fn atna_read(user: &str, nhs_number: &str) -> Vec<u8> {
    let at = (chrono::Utc::now() - chrono::Duration::minutes(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let message = format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><AuditMessage>"#,
            r#"<EventIdentification EventActionCode="R" EventDateTime="{at}" EventOutcomeIndicator="0">"#,
            r#"<EventID csd-code="110110" codeSystemName="DCM" originalText="Patient Record"/>"#,
            r#"<PurposeOfUse csd-code="TREAT" codeSystemName="v3-ActReason" originalText="treatment"/></EventIdentification>"#,
            r#"<ActiveParticipant UserID="{user}" UserName="Staff Member" UserIsRequestor="true" NetworkAccessPointID="10.0.0.5" NetworkAccessPointTypeCode="2">"#,
            r#"<RoleIDCode csd-code="R8000" codeSystemName="NHS RBAC" originalText="Clinical Practitioner"/></ActiveParticipant>"#,
            r#"<AuditSourceIdentification AuditSourceID="node-c"/>"#,
            r#"<ParticipantObjectIdentification ParticipantObjectID="{patient}^^^&amp;2.16.840.1.113883.2.1.4.1&amp;ISO" ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1">"#,
            r#"<ParticipantObjectIDTypeCode csd-code="2" codeSystemName="RFC-3881" originalText="Patient Number"/></ParticipantObjectIdentification>"#,
            r#"</AuditMessage>"#
        ),
        at = at,
        user = user,
        patient = nhs_number
    );
    let syslog =
        format!("<85>1 {at} node-c.exchange.example careaudit-test 42 IHE+DICOM - {message}");
    format!("{} {syslog}", syslog.len()).into_bytes()
}

#[tokio::test]
async fn atna_user_ids_and_related_persons_by_nhs_number_reach_the_staff_directory() {
    let app = TestApp::spawn("analyzer_identities", Background::NONE).await;
    app.load_fhir(json!({"resourceType": "Organization", "id": "RDM01",
               "identifier": [{"system": ODS, "value": "RDM01"}], "name": "RDM01"}))
        .await;
    let staff = format!(
        "user_id,family_name,given_names,org_code,role_codes,job_title,team,home_address_line,home_postcode,start_date,leave_date,patient_id\n\
         {CONSULTANT},Okafor,Amira,RDM01,R8000,Consultant,Cardiology,1 Oak Road,N1 1AA,2019-01-07,,{CONSULTANT_RECORD}\n\
         {NURSE},Smith,Ben,RDM01,R8001,Nurse,Cardiology,3 Oak Road,N1 1AB,2020-01-07,,\n"
    );
    app.load("/load/staff", "text/csv", staff).await;
    for (nhs, family, line, postcode) in [
        (CONSULTANT_RECORD, "Okafor", "1 Oak Road", "N1 1AA"),
        (IN_CARE, "Lee", "2 Hill St", "N9 9ZZ"),
        // Moved out years ago: neither the address nor the surname is the consultant's.
        (FORMER_SPOUSE, "Grant", "4 Far Lane", "E9 9XX"),
    ] {
        app.load_fhir(patient(nhs, family, line, postcode)).await;
    }
    let start = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    app.load_fhir(json!({"resourceType": "Encounter", "id": "enc-1", "status": "in-progress",
               "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
               "subject": {"identifier": {"system": NHS, "value": IN_CARE}},
               "participant": [{"individual": {"identifier": {"system": SDS, "value": CONSULTANT}}}],
               "serviceProvider": {"identifier": {"system": ODS, "value": "RDM01"}},
               "period": {"start": start}}),
    )
    .await;
    // The former spouse's ended next-of-kin link names the consultant by NHS number.
    app.load_fhir(json!({"resourceType": "RelatedPerson", "id": "rp-1",
               "identifier": [{"system": NHS, "value": CONSULTANT_RECORD}],
               "patient": {"identifier": {"system": NHS, "value": FORMER_SPOUSE}},
               "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "SPS"}]}],
               "period": {"start": "2012-05-01", "end": "2023-03-01"}}),
    )
    .await;

    let mut bytes = Vec::new();
    for (user, patient) in [
        (CONSULTANT, IN_CARE),
        (NURSE, IN_CARE),
        (CONSULTANT, FORMER_SPOUSE),
    ] {
        bytes.extend(atna_read(&format!("{user}@RDM01"), patient));
    }
    let mut stream = tokio::net::TcpStream::connect(app.syslog_tcp)
        .await
        .expect("syslog reachable");
    stream.write_all(&bytes).await.expect("sent");
    stream.shutdown().await.expect("closed");
    drop(stream);
    tests::wait_for(
        "three stored ATNA reads",
        std::time::Duration::from_secs(20),
        || async {
            let stored: u64 = app
                .clickhouse
                .query("SELECT count() FROM access_events WHERE user_id LIKE '%@RDM01'")
                .fetch_one()
                .await
                .ok()?;
            (stored == 3).then_some(())
        },
    )
    .await;
    app.wait_until_shipped().await;
    tokio::time::sleep(std::time::Duration::from_millis(1_300)).await;
    analyzer::run_once(
        &app.analyzer_settings,
        &app.clickhouse,
        &app.pool,
        domain::Timestamp::now(),
    )
    .await
    .expect("analyzer run");

    // The consultant named on the encounter is bound as the user, the nurse of the same team
    // as a colleague; the former spouse is explained by nothing.
    let rows: Vec<(String, String, u8, String)> = app
        .clickhouse
        .query("SELECT user_id, patient_id, argMax(explained, version), argMax(binding, version) FROM access_explanations GROUP BY event_id, user_id, patient_id")
        .fetch_all()
        .await
        .expect("explanations");
    let explanations: BTreeMap<(String, String), (u8, String)> = rows
        .into_iter()
        .map(|(user, patient, explained, binding)| ((user, patient), (explained, binding)))
        .collect();
    let of = |user: &str, patient: &str| {
        explanations
            .get(&(format!("{user}@RDM01"), patient.to_owned()))
            .cloned()
            .unwrap_or_else(|| panic!("no explanation of {user} / {patient}: {explanations:?}"))
    };
    assert_eq!(of(CONSULTANT, IN_CARE), (1, "user".to_owned()));
    assert_eq!(of(NURSE, IN_CARE), (1, "team".to_owned()));
    assert_eq!(of(CONSULTANT, FORMER_SPOUSE).0, 0);

    let findings: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT rule_id, user_id, patient_id FROM findings
         UNION ALL SELECT rule_id, user_id, patient_id FROM pending_findings",
    )
    .fetch_all(&app.pool)
    .await
    .expect("findings");
    let family: Vec<_> = findings
        .iter()
        .filter(|(rule, _, _)| rule == "family_member")
        .collect();
    assert_eq!(
        family,
        [&(
            "family_member".to_owned(),
            format!("{CONSULTANT}@RDM01"),
            FORMER_SPOUSE.to_owned()
        )],
        "{findings:?}"
    );
    let evidence: Value = sqlx::query_scalar(
        "SELECT evidence FROM findings WHERE rule_id = 'family_member'
         UNION ALL SELECT evidence FROM pending_findings WHERE rule_id = 'family_member'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("evidence");
    assert_eq!(evidence["detail"], "related person: SPS", "{evidence}");
}
