//! IHE ATNA (ITI-20) for the nodes that speak syslog: each audit event as a DICOM PS3.15 A.5
//! audit message in an RFC 5424 record, written with RFC 6587 octet counting (`LEN SP MSG`),
//! which is what goes over the TCP or TLS connection.
//!
//! ATNA messages carry no event id, so the collector derives one from the message bytes
//! ([`derived_event_id`]); the truth file records that id. The syslog PROCID carries the
//! simulator's own id (`sim-<seed>-<view>-<n>`), which also keeps two otherwise identical
//! messages (same user, patient and millisecond) distinct.

use crate::events::{instant, AuditSpec, EventKind};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use quick_xml::escape::escape;

/// The namespace of the collector's derived event ids (`collector::derived_event_id`, a
/// UUIDv5 of the message bytes); the integration tests check the two agree.
const DERIVED_ID_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6c1b_9a52_3f0e_4d8b_9d3c_2a7e_5b10_c4e1);

/// The event id the collector gives an ATNA message it received as `message` (the syslog
/// record without its octet count).
pub fn derived_event_id(message: &[u8]) -> String {
    format!(
        "urn:uuid:{}",
        uuid::Uuid::new_v5(&DERIVED_ID_NAMESPACE, message)
    )
}

/// The RFC 5424 record of one event (without framing).
pub fn message(spec: &AuditSpec<'_>, job: &str) -> Vec<u8> {
    let (action, event_id, event_name) = match spec.kind {
        EventKind::Search => ("E", "110112", "Query"),
        EventKind::Read | EventKind::Data(_) => ("R", "110110", "Patient Record"),
    };
    // An emergency access is the ETREAT purpose of use; the other SCR-style alerts are coded
    // in careaudit's alert system, as the FHIR feed codes them in purposeOfEvent.
    let (purpose, purpose_system, purpose_text) = match spec.alert {
        Some(alert) if alert.kind == "emergency-access" => {
            ("ETREAT", "v3-ActReason", alert.reason.clone())
        }
        Some(alert) => (
            alert.kind,
            "urn:careaudit:scr-alert-type",
            alert.reason.clone(),
        ),
        None => ("TREAT", "v3-ActReason", "Treatment".to_owned()),
    };
    let time = instant(spec.at);
    let mut xml = format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><AuditMessage>"#,
            r#"<EventIdentification EventActionCode="{action}" EventDateTime="{time}" EventOutcomeIndicator="0">"#,
            r#"<EventID csd-code="{event_id}" codeSystemName="DCM" originalText="{event_name}"/>"#,
            r#"<PurposeOfUse csd-code="{purpose}" codeSystemName="{purpose_system}" originalText="{purpose_text}"/>"#,
            r#"</EventIdentification>"#,
            r#"<ActiveParticipant UserID="{user}@{org}" UserName="{name}" UserIsRequestor="true" NetworkAccessPointID="{node}" NetworkAccessPointTypeCode="1">"#,
            r#"<RoleIDCode csd-code="{role}" codeSystemName="NHSRBACRole" originalText="{job}"/></ActiveParticipant>"#,
            r#"<AuditSourceIdentification AuditSourceID="{node}"/>"#,
            r#"<ParticipantObjectIdentification ParticipantObjectID="{nhs}^^^&amp;2.16.840.1.113883.2.1.4.1&amp;ISO^NH" ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1">"#,
            r#"<ParticipantObjectIDTypeCode csd-code="2" codeSystemName="RFC-3881" originalText="Patient Number"/></ParticipantObjectIdentification>"#,
        ),
        action = action,
        time = time,
        event_id = event_id,
        event_name = event_name,
        purpose = purpose,
        purpose_system = purpose_system,
        purpose_text = escape(&purpose_text),
        user = escape(&spec.user_id),
        org = escape(spec.org_code),
        name = escape(&spec.user_name),
        node = escape(spec.node),
        role = spec.role_code,
        job = escape(job),
        nhs = spec.nhs_number,
    );
    match spec.kind {
        EventKind::Search => {
            let query = BASE64.encode(format!("Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{}", spec.nhs_number));
            xml.push_str(&format!(
                r#"<ParticipantObjectIdentification ParticipantObjectID="Patient" ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="24"><ParticipantObjectIDTypeCode csd-code="ITI-78" codeSystemName="IHE Transactions" originalText="Mobile Patient Demographics Query"/><ParticipantObjectQuery>{query}</ParticipantObjectQuery></ParticipantObjectIdentification>"#
            ));
        }
        EventKind::Data(resource_type) => xml.push_str(&format!(
            r#"<ParticipantObjectIdentification ParticipantObjectID="{resource_type}/{}" ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="4"><ParticipantObjectIDTypeCode csd-code="{resource_type}" codeSystemName="http://hl7.org/fhir/resource-types" originalText="{resource_type}"/></ParticipantObjectIdentification>"#,
            escape(&spec.event_id)
        )),
        EventKind::Read => {}
    }
    xml.push_str("</AuditMessage>");
    // PRI 85: facility authpriv (10), severity notice (5), as ATNA senders use.
    format!(
        "<85>1 {time} {} careaudit-sim {} IHE+RFC-3881 - {xml}",
        spec.node, spec.event_id
    )
    .into_bytes()
}

/// `message` with RFC 6587 octet counting.
pub fn frame(message: &[u8]) -> Vec<u8> {
    let mut framed = format!("{} ", message.len()).into_bytes();
    framed.extend_from_slice(message);
    framed
}
