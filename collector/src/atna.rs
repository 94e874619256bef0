//! IHE ATNA audit messages (the MSG of an ITI-20 syslog record) to the normalised
//! [`AccessEvent`]. Both dialects are accepted: DICOM PS3.15 A.5 (`csd-code`, `originalText`)
//! and its RFC 3881 ancestor (`code`, `displayName`).
//!
//! Mapping:
//! - event: `EventActionCode` → action (absent: `E` for a DICOM Query, else `R`),
//!   `EventDateTime` → occurred_at (no zone: UTC), `EventOutcomeIndicator` → outcome (absent:
//!   success), `EventID` → event_type and `EventTypeCode` → event_subtypes as `system|code`,
//!   `PurposeOfUse` → purpose_of_use; an `ETREAT`/`BTG`/`ERTREAT` purpose is emergency access,
//!   and so is an SCR-style alert coded as a `PurposeOfUse` of `codeSystemName`
//!   [`SCR_ALERT_SYSTEM`](crate::fhir_audit_event::SCR_ALERT_SYSTEM) (`emergency-access`,
//!   `self-claimed-relationship`, `permission-override`; the reason in `originalText`), as the
//!   FHIR mapping reads it from `purposeOfEvent`;
//! - patient: a `ParticipantObjectIdentification` with `ParticipantObjectTypeCodeRole` 1
//!   (patient) and `ParticipantObjectTypeCode` 1 (person; an absent type code is tolerated).
//!   `ParticipantObjectID` is usually an HL7 CX (`123^^^&1.2.3&ISO`): the ID is taken and the
//!   assigning authority becomes the system (`urn:oid:` for ISO OIDs, the NHS number system for
//!   the NHS number OID); a FHIR reference `Patient/x` or a token `system|value` is also read.
//!   A message may name several patients (a PDQ response, a merge, a repeating CX listing the
//!   patient in several domains); the first is the event's patient and the others are returned
//!   beside it;
//! - user: among the `ActiveParticipant`s with `UserIsRequestor` true (absent means true, RFC
//!   3881's default; DICOM requires the attribute), the one that looks most like a person: one
//!   with a `UserName`, `UserTypeCode` 1 or a role other than DICOM's transfer roles (110150
//!   Application, 110152/110153 Destination/Source, 110154/110155 media) beats one whose
//!   `UserID` looks like a process (a URL, a path, an HL7 `facility|application`, a network
//!   address, a machine account `NAME$`, `UserTypeCode` 2, an AE title or a pid as
//!   `AlternativeUserID`). When only processes requested, the first of them is the user: the
//!   access still happened and the node is who did it;
//! - organisation: the user's `UserID` of the form `user@ODS`, else an `ActiveParticipant`
//!   with role `PROV` (as BALP's `agent[userorg]`), else a `ParticipantObjectTypeCode` 3
//!   (organisation) object; otherwise none;
//! - data_entities: the other participant objects' `ParticipantObjectIDTypeCode`s.
//!
//! Reasons never quote attribute values or text, so they can be logged; XML syntax errors may
//! name the element or entity at fault. What was tolerated is named in
//! [`MappedAtnaMessage::deviations`].

use crate::fhir_audit_event::NHS_NUMBER_SYSTEM;
use crate::syslog_message::parse_timestamp;
use domain::{
    AccessEvent, Action, EventId, OrgCode, Outcome, PatientId, Provenance, RoleCode, UserId,
};
use std::borrow::Cow;
use std::collections::HashSet;

mod xml;

pub use xml::MAX_AUDIT_MESSAGE_BYTES;
use xml::{CodedValue, WireObject, WireParticipant};

/// The HL7 assigning-authority OID of NHS numbers.
pub const NHS_NUMBER_OID: &str = "2.16.840.1.113883.2.1.4.1";

/// DICOM CID 402 roles of the systems in a transfer; 110151 Application Launcher is a person.
const TRANSFER_ROLE_CODES: [&str; 5] = ["110150", "110152", "110153", "110154", "110155"];
/// DICOM EventID 110112 Query.
const QUERY_EVENT_ID: &str = "110112";

/// Why an audit message could not be mapped. `Display` is the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct AtnaError {
    /// A short machine-readable reason for the quarantine table and metrics. `no_patient` means
    /// the message is not a record access (application start/stop, login, a query naming no
    /// patient); `no_user` that nobody who requested it can be identified.
    pub reason_code: &'static str,
    pub reason: String,
}

impl AtnaError {
    fn new(reason_code: &'static str, reason: impl Into<String>) -> Self {
        Self {
            reason_code,
            reason: reason.into(),
        }
    }
}

/// A patient named by the message: an identifier and its system.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AtnaPatient {
    pub id: PatientId,
    pub system: String,
}

/// One mapped audit message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedAtnaMessage {
    /// The access, to the first patient the message names.
    pub event: AccessEvent,
    /// Further patients the message names (query results, merges), in document order.
    pub additional_patients: Vec<AtnaPatient>,
    /// What was tolerated: `timestamp_without_zone`, `missing_action`, `missing_outcome`,
    /// `missing_user_is_requestor`, `patient_without_type_code`, `double_escaped_identifier`,
    /// `multiple_patients`, `trailing_content`.
    pub deviations: Vec<&'static str>,
}

/// Maps one ATNA `AuditMessage` (XML bytes) to an access event. ATNA messages carry no id, so
/// `fallback_id` gives the event id (the caller derives it from the payload so that a retry of
/// the same bytes gets the same id).
pub fn map_atna_message(
    xml: &[u8],
    provenance: Provenance,
    fallback_id: impl FnOnce() -> String,
) -> Result<MappedAtnaMessage, AtnaError> {
    let mut deviations = Vec::new();
    let wire = xml::read_audit_message(xml, &mut deviations)?;
    let Some(event) = wire.event.as_ref() else {
        return Err(AtnaError::new(
            "missing_event_identification",
            "AuditMessage has no EventIdentification",
        ));
    };

    // Without a patient this is not a record access, whatever else is wrong with it.
    let mut patients = find_patients(&wire.objects, &mut deviations)?.into_iter();
    let Some(patient) = patients.next() else {
        return Err(AtnaError::new(
            "no_patient",
            "the patient participant objects carry no usable ParticipantObjectID",
        ));
    };
    let additional_patients: Vec<AtnaPatient> = patients.collect();
    if !additional_patients.is_empty() {
        deviations.push("multiple_patients");
    }

    let (user, user_id) = choose_user(&wire.participants, &mut deviations)?;

    let occurred_at = match event.date_time.as_deref() {
        None => {
            return Err(AtnaError::new(
                "missing_event_time",
                "EventIdentification has no EventDateTime",
            ))
        }
        Some(raw) => parse_timestamp(raw).ok_or_else(|| {
            AtnaError::new("invalid_event_time", "EventDateTime is not an xsd:dateTime")
        })?,
    };
    if !occurred_at.has_zone {
        deviations.push("timestamp_without_zone");
    }

    let action = match event.action_code.as_deref() {
        Some(code) => Action::from_code(code).ok_or_else(|| {
            AtnaError::new(
                "invalid_action",
                "EventActionCode is not one of C, R, U, D, E",
            )
        })?,
        None => {
            deviations.push("missing_action");
            let is_query = event
                .event_id
                .as_ref()
                .is_some_and(|event_id| event_id.code_is(QUERY_EVENT_ID));
            if is_query {
                Action::Execute
            } else {
                Action::Read
            }
        }
    };

    let outcome = match event.outcome.as_deref() {
        Some(code) => Outcome::from_code(code).ok_or_else(|| {
            AtnaError::new(
                "invalid_outcome",
                "EventOutcomeIndicator is not one of 0, 4, 8, 12",
            )
        })?,
        None => {
            deviations.push("missing_outcome");
            Outcome::Success
        }
    };

    let event_id = EventId::parse(&fallback_id())
        .map_err(|error| AtnaError::new("invalid_id", error.to_string()))?;

    let mut purpose_of_use: Vec<String> = event
        .purposes_of_use
        .iter()
        .filter_map(CodedValue::token)
        .collect();
    purpose_of_use.dedup();
    let emergency_purpose = event.purposes_of_use.iter().find(|purpose| {
        purpose
            .token()
            .is_some_and(|token| AccessEvent::is_emergency_purpose(&token))
    });
    let scr_alert = event.purposes_of_use.iter().find(|purpose| {
        purpose.system.as_deref().map(str::trim) == Some(crate::fhir_audit_event::SCR_ALERT_SYSTEM)
    });
    let reason_text = |purpose: &CodedValue| {
        purpose
            .text
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    };
    let emergency_reason = match (scr_alert, emergency_purpose) {
        (Some(alert), _) => {
            let code = alert.code.as_deref().map(str::trim).unwrap_or_default();
            match reason_text(alert) {
                Some(reason) => format!("{code}: {reason}"),
                None => code.to_owned(),
            }
        }
        (None, Some(purpose)) => {
            reason_text(purpose).unwrap_or_else(|| "emergency purpose of use".to_owned())
        }
        (None, None) => String::new(),
    };

    let access = AccessEvent {
        event_id,
        occurred_at: occurred_at.timestamp,
        action,
        outcome,
        event_type: event
            .event_id
            .as_ref()
            .and_then(CodedValue::token)
            .unwrap_or_default(),
        event_subtypes: event
            .event_types
            .iter()
            .filter_map(CodedValue::token)
            .collect(),
        patient_id: patient.id,
        patient_id_system: patient.system,
        user_org: find_user_org(user, user_id.as_str(), &wire.participants, &wire.objects),
        user_id,
        // ATNA has no identifier system for UserID.
        user_id_system: String::new(),
        user_name: user.user_name.clone().unwrap_or_default(),
        user_roles: user
            .roles
            .iter()
            .filter_map(|role| RoleCode::parse(role.code.as_deref()?).ok())
            .collect(),
        purpose_of_use,
        emergency_access: emergency_purpose.is_some() || scr_alert.is_some(),
        emergency_reason,
        data_entities: data_entities(&wire.objects),
        client_address: user
            .network_access_point_id
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_owned(),
        provenance,
    };
    Ok(MappedAtnaMessage {
        event: access,
        additional_patients,
        deviations,
    })
}

fn is_patient_object(object: &WireObject) -> bool {
    let role = object.type_code_role.as_deref().map(str::trim);
    let type_code = object.type_code.as_deref().map(str::trim);
    role == Some("1") && matches!(type_code, Some("1") | None)
}

/// The patients the message names, in document order and without repeats. No patient object at
/// all is an error here, so that "not a record access" has its own reason.
fn find_patients(
    objects: &[WireObject],
    deviations: &mut Vec<&'static str>,
) -> Result<Vec<AtnaPatient>, AtnaError> {
    let patient_objects: Vec<&WireObject> = objects
        .iter()
        .filter(|object| is_patient_object(object))
        .collect();
    if patient_objects.is_empty() {
        return Err(AtnaError::new(
            "no_patient",
            "no ParticipantObjectIdentification is a patient (type code 1, role 1): not a record access",
        ));
    }
    if patient_objects
        .iter()
        .any(|object| object.type_code.is_none())
    {
        deviations.push("patient_without_type_code");
    }
    // A message of up to a megabyte can name a hundred thousand identifiers: looking each up
    // in the list made that quadratic, minutes of CPU for one message.
    let mut seen: HashSet<AtnaPatient> = HashSet::new();
    let mut patients: Vec<AtnaPatient> = Vec::new();
    for object in patient_objects {
        let Some(raw) = object.id.as_deref() else {
            continue;
        };
        for patient in parse_patient_identifiers(raw, deviations) {
            if seen.insert(patient.clone()) {
                patients.push(patient);
            }
        }
    }
    Ok(patients)
}

/// Reads a `ParticipantObjectID`: an HL7 CX (each repetition of a repeating CX, `~`), a FHIR
/// `Patient/` reference, a FHIR token `system|value`, or a bare identifier. Unusable
/// identifiers (empty, too long) are left out.
fn parse_patient_identifiers(raw: &str, deviations: &mut Vec<&'static str>) -> Vec<AtnaPatient> {
    let mut raw = Cow::Borrowed(raw.trim());
    // `&amp;amp;` in the XML: the sender escaped the CX twice.
    if raw.contains("&amp;") {
        raw = Cow::Owned(raw.replace("&amp;", "&"));
        if !deviations.contains(&"double_escaped_identifier") {
            deviations.push("double_escaped_identifier");
        }
    }
    raw.split('~')
        .filter_map(|repetition| parse_patient_identifier(repetition.trim()))
        .collect()
}

fn parse_patient_identifier(raw: &str) -> Option<AtnaPatient> {
    let (id, system) = if raw.contains('^') {
        let mut components = raw.split('^');
        let id = components.next().unwrap_or_default();
        let assigning_authority = components.nth(2).unwrap_or_default();
        (id, assigning_authority_system(assigning_authority))
    } else if let Some(id) = raw.strip_prefix("Patient/") {
        (id, "reference".to_owned())
    } else if let Some((system, value)) = raw
        .split_once('|')
        .filter(|(system, _)| system.contains(':'))
    {
        (value, normalised_system(system))
    } else {
        (raw, String::new())
    };
    let id = PatientId::parse(id).ok()?;
    Some(AtnaPatient { id, system })
}

/// CX.4 (`namespace&universal id&type`) as an identifier system.
fn assigning_authority_system(assigning_authority: &str) -> String {
    let mut parts = assigning_authority.split('&').map(str::trim);
    let namespace = parts.next().unwrap_or_default();
    let universal_id = parts.next().unwrap_or_default();
    let universal_id_type = parts.next().unwrap_or_default();
    if universal_id.is_empty() {
        return namespace.to_owned();
    }
    if universal_id_type.eq_ignore_ascii_case("ISO") {
        return normalised_system(&format!("urn:oid:{universal_id}"));
    }
    normalised_system(universal_id)
}

/// The NHS number is known by its FHIR system everywhere else in careaudit.
fn normalised_system(system: &str) -> String {
    let oid = system.strip_prefix("urn:oid:").unwrap_or(system);
    if oid == NHS_NUMBER_OID {
        return NHS_NUMBER_SYSTEM.to_owned();
    }
    system.to_owned()
}

/// The requesting participant that looks most like a person, and its user id.
fn choose_user<'a>(
    participants: &'a [WireParticipant],
    deviations: &mut Vec<&'static str>,
) -> Result<(&'a WireParticipant, UserId), AtnaError> {
    let mut best: Option<(u8, &WireParticipant, UserId)> = None;
    for participant in participants {
        let is_requestor = participant
            .user_is_requestor
            .as_deref()
            .is_none_or(is_xsd_true);
        let Some(user_id) = participant
            .user_id
            .as_deref()
            .and_then(|user_id| UserId::parse(user_id).ok())
        else {
            continue;
        };
        if !is_requestor {
            continue;
        }
        let score = u8::from(looks_like_person(participant)) * 2
            + u8::from(!looks_like_process(participant, user_id.as_str()));
        if best
            .as_ref()
            .is_none_or(|(best_score, _, _)| score > *best_score)
        {
            best = Some((score, participant, user_id));
        }
    }
    let Some((_, participant, user_id)) = best else {
        return Err(AtnaError::new(
            "no_user",
            "no ActiveParticipant with UserIsRequestor true has a UserID",
        ));
    };
    if participant.user_is_requestor.is_none() {
        deviations.push("missing_user_is_requestor");
    }
    Ok((participant, user_id))
}

fn is_xsd_true(flag: &str) -> bool {
    let flag = flag.trim();
    flag == "1" || flag.eq_ignore_ascii_case("true")
}

fn looks_like_person(participant: &WireParticipant) -> bool {
    let named = participant
        .user_name
        .as_deref()
        .is_some_and(|name| !name.trim().is_empty());
    let human_role = participant.roles.iter().any(|role| {
        role.code
            .as_deref()
            .map(str::trim)
            .is_some_and(|code| !code.is_empty() && !TRANSFER_ROLE_CODES.contains(&code))
    });
    participant.user_type_code.as_deref().map(str::trim) == Some("1") || named || human_role
}

fn looks_like_process(participant: &WireParticipant, user_id: &str) -> bool {
    let alternative = participant
        .alternative_user_id
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    // DICOM puts `AETITLES=...` or the process id in AlternativeUserID for processes.
    let alternative_is_process = alternative.starts_with("AETITLE")
        || (!alternative.is_empty() && alternative.bytes().all(|byte| byte.is_ascii_digit()));
    let host = user_id.split('%').next().unwrap_or(user_id);
    participant.user_type_code.as_deref().map(str::trim) == Some("2")
        || alternative_is_process
        || user_id.contains("://")
        || user_id.starts_with('/')
        || user_id.contains('|')
        || user_id.ends_with('$')
        || host.parse::<std::net::IpAddr>().is_ok()
}

fn find_user_org(
    user: &WireParticipant,
    user_id: &str,
    participants: &[WireParticipant],
    objects: &[WireObject],
) -> Option<OrgCode> {
    if let Some((_, org)) = user_id.rsplit_once('@') {
        if looks_like_ods_code(org) {
            return OrgCode::parse(org).ok();
        }
    }
    let provider_participant = participants
        .iter()
        .filter(|participant| !std::ptr::eq(*participant, user))
        .filter(|participant| participant.roles.iter().any(|role| role.code_is("PROV")))
        .find_map(|participant| OrgCode::parse(participant.user_id.as_deref()?).ok());
    provider_participant.or_else(|| {
        objects
            .iter()
            .filter(|object| object.type_code.as_deref().map(str::trim) == Some("3"))
            .find_map(|object| {
                let id = object.id.as_deref()?;
                OrgCode::parse(id.split('^').next().unwrap_or(id)).ok()
            })
    })
}

/// ODS codes are 3 to 6 upper-case letters and digits (`RRV`, `RRV01`, `A81001`); anything else
/// after an `@` is a mail domain or a realm.
fn looks_like_ods_code(candidate: &str) -> bool {
    (3..=6).contains(&candidate.len())
        && candidate
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
}

/// What was looked at beyond the patient: the other objects' ID type codes, `system|code`.
fn data_entities(objects: &[WireObject]) -> Vec<String> {
    let mut entities: Vec<String> = objects
        .iter()
        .filter(|object| !is_patient_object(object))
        .filter_map(|object| object.id_type.as_ref()?.token())
        .collect();
    entities.sort();
    entities.dedup();
    entities
}

#[cfg(test)]
#[path = "atna_tests.rs"]
mod tests;
