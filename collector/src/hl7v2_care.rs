//! HL7 v2 ADT and SIU messages to the care context ([`CareFact`]s): who the patient is, and
//! which visits, clinicians and appointments make an access to their record legitimate.
//!
//! Which messages, and what each gives (anything else is `unsupported_message_type`, which the
//! server answers with AR):
//!
//! | trigger | facts |
//! |---|---|
//! | ADT A01 admit, A04 register, A05 pre-admit | patient; the visit's relationships, open unless PV1-45 gives a discharge |
//! | ADT A02 transfer | patient; the new ward from the transfer time, the prior ward (PV1-6) closed then |
//! | ADT A03 discharge | patient; the visit's relationships ending at PV1-45 (else the event time) |
//! | ADT A08 update | patient; the visit's relationships restated |
//! | ADT A11 cancel admit | patient; the visit's relationships, `cancelled` |
//! | ADT A13 cancel discharge | patient; the visit's relationships, open again |
//! | ADT A28, A31 person add/update | patient |
//! | ADT A40 merge | the surviving patient (PID) and a merge from each MRG |
//! | SIU S12–S14 book/reschedule/modify | patient; the appointment, one relationship per person booked |
//! | SIU S15 cancel, S17 delete, S26 no-show | the same, `cancelled` |
//!
//! The patient (PID, PD1) and its key are described in `hl7v2_care/patient.rs`, visits (PV1)
//! in `hl7v2_care/visit.rs`, appointments (SCH, TQ1, AIS/AIG/AIL/AIP) in
//! `hl7v2_care/appointment.rs`. Common to all:
//! - a relationship's organisation is MSH-4 (the sending facility's namespace id, else its
//!   universal id), else the facility of the location; its team is the location's point of
//!   care (the ward or clinic);
//! - a relationship id is `hl7:{organisation}:{visit or appointment}:{role}...`, the same for
//!   the same fact in every message about it, so that an update, a discharge or a
//!   cancellation replaces it;
//! - times are HL7 TS, taken as UTC when they carry no offset (a known simplification: English
//!   senders mean Europe/London); an interval's end is the end of the precision it was given in;
//! - values of `""` (HL7's explicit null) count as empty;
//! - every message restates what it says in full: a Patient fact carries only what this
//!   message's PID says (an A28 without PV1 says nothing about a VIP flag).
//!
//! A message without PID, or whose PID has no identifier, is `missing_patient` (AE); one
//! without a control id (MSH-10) is `missing_control_id`, as nothing could then trace a fact
//! back to it. Reasons never quote the message.

use crate::hl7v2::{hierarchic_designator, parse_hl7_time, Field, Hl7Error, Hl7Message, Hl7Time};
use domain::CareFact;

mod appointment;
mod patient;
mod visit;

/// What a trigger event means for the care context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    Visit(VisitEvent),
    Person,
    Merge,
    Appointment { cancelled: bool },
}

/// What happened to a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VisitEvent {
    Admit,
    Transfer,
    Discharge,
    Update,
    CancelAdmit,
    CancelDischarge,
}

/// Every message careaudit takes: message code, trigger event, meaning.
const MESSAGES: [(&str, &str, Meaning); 17] = [
    ("ADT", "A01", Meaning::Visit(VisitEvent::Admit)),
    ("ADT", "A02", Meaning::Visit(VisitEvent::Transfer)),
    ("ADT", "A03", Meaning::Visit(VisitEvent::Discharge)),
    ("ADT", "A04", Meaning::Visit(VisitEvent::Admit)),
    ("ADT", "A05", Meaning::Visit(VisitEvent::Admit)),
    ("ADT", "A08", Meaning::Visit(VisitEvent::Update)),
    ("ADT", "A11", Meaning::Visit(VisitEvent::CancelAdmit)),
    ("ADT", "A13", Meaning::Visit(VisitEvent::CancelDischarge)),
    ("ADT", "A28", Meaning::Person),
    ("ADT", "A31", Meaning::Person),
    ("ADT", "A40", Meaning::Merge),
    ("SIU", "S12", Meaning::Appointment { cancelled: false }),
    ("SIU", "S13", Meaning::Appointment { cancelled: false }),
    ("SIU", "S14", Meaning::Appointment { cancelled: false }),
    ("SIU", "S15", Meaning::Appointment { cancelled: true }),
    ("SIU", "S26", Meaning::Appointment { cancelled: true }),
    ("SIU", "S17", Meaning::Appointment { cancelled: true }),
];

/// The care facts one message states: the patient first, then relationships, then merges.
pub fn care_facts(message: &Hl7Message) -> Result<Vec<CareFact>, Hl7Error> {
    let message_type = message.message_type();
    if message_type.code.is_empty() {
        return Err(Hl7Error::new(
            "missing_message_type",
            "MSH-9 (message type) is empty",
        ));
    }
    let meaning = MESSAGES
        .iter()
        .find(|(code, trigger, _)| *code == message_type.code && *trigger == message_type.trigger)
        .map(|(_, _, meaning)| *meaning)
        .ok_or_else(|| {
            let shown: String = message_type.to_string().chars().take(20).collect();
            Hl7Error::new(
                "unsupported_message_type",
                format!("{shown} is not a message careaudit takes (ADT and SIU only)"),
            )
        })?;
    if message.control_id().is_empty() {
        return Err(Hl7Error::new(
            "missing_control_id",
            "MSH-10 (message control id) is empty",
        ));
    }
    match meaning {
        Meaning::Person => {
            let pid = message.segment("PID").ok_or_else(missing_pid)?;
            let patient =
                patient::patient_record(pid, message.segment("PD1"), message.segment("PV1"))?;
            Ok(vec![CareFact::Patient(patient)])
        }
        Meaning::Merge => patient::merge_facts(message),
        Meaning::Visit(event) => visit::visit_facts(message, event),
        Meaning::Appointment { cancelled } => appointment::appointment_facts(message, cancelled),
    }
}

fn missing_pid() -> Hl7Error {
    Hl7Error::new("missing_patient", "the message has no PID segment")
}

/// A field's text, trimmed, with HL7's explicit null `""` as empty.
fn value(field: Field<'_>) -> String {
    let text = field.text();
    let trimmed = text.trim();
    if trimmed == "\"\"" {
        return String::new();
    }
    trimmed.to_owned()
}

/// A TS field (its first component), `None` when empty or unreadable.
fn time(field: Field<'_>) -> Option<Hl7Time> {
    parse_hl7_time(&value(field.component(1)))
}

/// When the event happened: EVN-6 (event occurred), else EVN-2 (recorded), else MSH-7.
fn event_time(message: &Hl7Message) -> Option<Hl7Time> {
    time(message.field("EVN", 6))
        .or_else(|| time(message.field("EVN", 2)))
        .or_else(|| time(message.field("MSH", 7)))
}

/// The organisation: MSH-4, else the facility (PL-4) of `location`.
fn organisation(message: &Hl7Message, location: Option<Field<'_>>) -> String {
    let sending_facility = message.sending_facility();
    if !sending_facility.is_empty() && sending_facility != "\"\"" {
        return sending_facility;
    }
    location
        .map(|location| hierarchic_designator(location.component(4)))
        .unwrap_or_default()
}

/// A PL's point of care (PL-1, an HD whose namespace id is the ward or clinic).
fn point_of_care(location: Field<'_>) -> String {
    value(location.component(1).subcomponent(1))
}

/// The ids (XCN-1) of the people in an XCN field, each once, in order. A repetition without
/// an id (a name only) names nobody careaudit can match to a user and is left out.
fn person_ids(field: Field<'_>) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for person in field.repetitions() {
        let id = value(person.component(1));
        if !id.is_empty() && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// A time as it appears inside relationship ids: `20130211100052`.
fn compact_time(time: Hl7Time) -> String {
    time.start.to_datetime().format("%Y%m%d%H%M%S").to_string()
}

#[cfg(test)]
#[path = "hl7v2_care_tests.rs"]
mod tests;
