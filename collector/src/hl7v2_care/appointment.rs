//! SIU scheduling messages to `Appointment` relationships: one per person booked on the
//! appointment (AIP-3; when no AIP names anyone, PV1-7's attending doctors), or one binding
//! only the organisation and clinic when nobody is named.
//!
//! - The appointment is SCH-2 (filler appointment id, the scheduling system's own), else SCH-1
//!   (placer id), else PV1-19, else the patient and the start time.
//! - It starts at TQ1-7, else SCH-11's start (TQ-4), else the first AIS-4, AIG-8, AIL-6 or
//!   AIP-6; a person's own slot starts at their AIP-6 (else the appointment's start plus
//!   AIP-7/AIP-8's offset) and lasts AIP-9 in AIP-10's units, else until the appointment's end:
//!   TQ1-8, else SCH-11's end (TQ-5), else its start plus AIS-7/AIS-8, else its start. Units: `s`, `min`/`m`, `h`, `d`, `wk`; absent
//!   units are minutes (HL7's default for durations).
//! - The relationship is valid from [`APPOINTMENT_LEAD`] before the slot until
//!   [`APPOINTMENT_FOLLOW_UP`] after it: records are read to prepare for a clinic and to
//!   write its letters and act on its results. This is a policy choice, kept in these two
//!   constants.
//! - The clinic (team) is AIL-3's point of care, else PV1-3's; the organisation MSH-4, else the
//!   facility of AIL-3 or PV1-3.
//! - The id is `hl7:{organisation}:appointment:{appointment}:{person id}` (no person: without
//!   the last part), so a reschedule (S13), a modification (S14) and a cancellation (S15,
//!   S17 deletion, S26 no-show, all `cancelled`) replace what the booking (S12) stated.

use super::{compact_time, organisation, patient, person_ids, point_of_care, time, value};
use crate::hl7v2::{Field, Hl7Error, Hl7Message, Hl7Time, Segment};
use domain::{CareFact, RelationshipKind, RelationshipRecord, Timestamp};

/// How long before an appointment its relationship starts (7 days).
pub const APPOINTMENT_LEAD: i64 = 7 * DAY_MILLIS;
/// How long after an appointment its relationship lasts (7 days).
pub const APPOINTMENT_FOLLOW_UP: i64 = 7 * DAY_MILLIS;

const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;
/// A duration longer than this (a year) is taken for a data error and ignored.
const MAX_DURATION_MILLIS: i64 = 366 * DAY_MILLIS;

pub(super) fn appointment_facts(
    message: &Hl7Message,
    cancelled: bool,
) -> Result<Vec<CareFact>, Hl7Error> {
    let pid = message.segment("PID").ok_or_else(super::missing_pid)?;
    let pv1 = message.segment("PV1");
    let patient = patient::patient_record(pid, message.segment("PD1"), pv1)?;

    let start = appointment_start(message).ok_or_else(|| {
        Hl7Error::new(
            "missing_appointment_time",
            "no start time for the appointment in TQ1-7, SCH-11, AIS, AIG, AIL or AIP",
        )
    })?;
    let end = time(message.field("TQ1", 8))
        .or_else(|| time(message.field("SCH", 11).component(5)))
        .map(|end| end.start)
        .or_else(|| {
            let ais = message.segment("AIS")?;
            Some(shifted(
                start.start,
                duration_millis(ais.field(7), ais.field(8))?,
            ))
        });
    let location = message
        .segment("AIL")
        .map(|ail| ail.field(3))
        .filter(|location| !location.is_empty())
        .or_else(|| pv1.map(|pv1| pv1.field(3)));
    let org = organisation(message, location);
    let clinic = location.map(point_of_care).unwrap_or_default();
    let appointment = [
        value(message.field("SCH", 2).component(1)),
        value(message.field("SCH", 1).component(1)),
        pv1.map(|pv1| value(pv1.field(19).component(1)))
            .unwrap_or_default(),
    ]
    .into_iter()
    .find(|id| !id.is_empty())
    .unwrap_or_else(|| format!("{}@{}", patient.patient_id, compact_time(start)));

    // Each person with their own slot: (id, slot start, slot end).
    let mut people: Vec<(String, Timestamp, Option<Timestamp>)> = Vec::new();
    for aip in message.segments().filter(|segment| segment.id() == "AIP") {
        let (slot_start, slot_end) = slot(aip, start.start, end);
        for person in person_ids(aip.field(3)) {
            if !people.iter().any(|(known, ..)| *known == person) {
                people.push((person, slot_start, slot_end));
            }
        }
    }
    if people.is_empty() {
        for person in pv1.map(|pv1| person_ids(pv1.field(7))).unwrap_or_default() {
            people.push((person, start.start, end));
        }
    }

    let relationship = |suffix: &str, user_id: &str, slot_start: Timestamp, slot_end| {
        let slot_end: Option<Timestamp> = slot_end;
        let last = slot_end.unwrap_or(slot_start).max(slot_start);
        CareFact::Relationship(RelationshipRecord {
            relationship_id: format!("hl7:{org}:appointment:{appointment}{suffix}"),
            patient_id: patient.patient_id.clone(),
            kind: RelationshipKind::Appointment,
            user_id: user_id.to_owned(),
            team: clinic.clone(),
            org_code: org.clone(),
            valid_from: shifted(slot_start, -APPOINTMENT_LEAD),
            valid_to: Some(shifted(last, APPOINTMENT_FOLLOW_UP)),
            cancelled,
        })
    };
    let mut relationships = Vec::new();
    if people.is_empty() {
        relationships.push(relationship("", "", start.start, end));
    }
    for (person, slot_start, slot_end) in &people {
        relationships.push(relationship(
            &format!(":{person}"),
            person,
            *slot_start,
            *slot_end,
        ));
    }
    let mut facts = vec![CareFact::Patient(patient)];
    facts.extend(relationships);
    Ok(facts)
}

fn appointment_start(message: &Hl7Message) -> Option<Hl7Time> {
    let from_resources = [("AIS", 4), ("AIG", 8), ("AIL", 6), ("AIP", 6)]
        .into_iter()
        .flat_map(|(id, index)| {
            message
                .segments()
                .filter(move |segment| segment.id() == id)
                .map(move |segment| segment.field(index))
        });
    time(message.field("TQ1", 7))
        .or_else(|| time(message.field("SCH", 11).component(4)))
        .or_else(|| from_resources.into_iter().find_map(time))
}

/// A person's slot: AIP-6 (else the appointment start shifted by AIP-7/AIP-8) for AIP-9/AIP-10.
fn slot(
    aip: Segment<'_>,
    appointment_start: Timestamp,
    appointment_end: Option<Timestamp>,
) -> (Timestamp, Option<Timestamp>) {
    let start = time(aip.field(6))
        .map(|start| start.start)
        .unwrap_or_else(|| {
            let offset = duration_millis(aip.field(7), aip.field(8)).unwrap_or(0);
            shifted(appointment_start, offset)
        });
    let end = match duration_millis(aip.field(9), aip.field(10)) {
        Some(duration) => Some(shifted(start, duration)),
        None => appointment_end,
    };
    (start, end)
}

/// A duration (`50`, `3600.000`) in its units (CNE, first component), in milliseconds; `None`
/// when absent, negative, unreadable or beyond a year.
fn duration_millis(amount: Field<'_>, units: Field<'_>) -> Option<i64> {
    let amount: f64 = value(amount.component(1)).parse().ok()?;
    let unit_millis: f64 = match value(units.component(1)).to_ascii_lowercase().as_str() {
        "s" | "sec" => 1_000.0,
        "" | "m" | "min" => 60_000.0,
        "h" | "hr" => 3_600_000.0,
        "d" => 86_400_000.0,
        "wk" => 7.0 * 86_400_000.0,
        _ => return None,
    };
    let millis = (amount * unit_millis).round();
    if !millis.is_finite() || millis < 0.0 || millis > MAX_DURATION_MILLIS as f64 {
        return None;
    }
    Some(millis as i64)
}

fn shifted(timestamp: Timestamp, millis: i64) -> Timestamp {
    Timestamp::from_millis(timestamp.as_millis().saturating_add(millis))
}

#[cfg(test)]
#[path = "appointment_tests.rs"]
mod tests;
