//! ADT visit events (PV1) to relationships: one `Encounter` binding the patient to the
//! organisation and the ward, and one `Clinician` per doctor named on the visit.
//!
//! - The visit is PV1-19 (visit number), else the patient and the admit time.
//! - The encounter's team is PV1-3's point of care; its id includes the ward
//!   (`hl7:{organisation}:{visit}:encounter:{ward}`), because a transfer moves the patient to
//!   another ward's relationship rather than rewriting where they were.
//! - Clinicians are PV1-7 attending, PV1-8 referring, PV1-9 consulting and PV1-17 admitting
//!   doctors, every repetition with an id (UCLH sends one doctor in three identifier schemes,
//!   one repetition each; all are kept so that whichever the access log uses matches). Their
//!   id is `hl7:{organisation}:{visit}:{role}:{doctor id}`; they bind the user and the
//!   organisation, not the ward.
//! - Valid from PV1-44 (admit time), else the event time (EVN-6, EVN-2, MSH-7); until PV1-45
//!   (discharge time; on A03 the event time when PV1-45 is empty), open otherwise. A13 (cancel
//!   discharge) reopens whatever PV1-45 says; A11 (cancel admit) marks everything `cancelled`.
//! - A02 (transfer) starts the new ward at the transfer time (EVN-6, else EVN-2, else MSH-7)
//!   and, when PV1-6 names a different prior ward, closes that ward's encounter then (from the
//!   admit time: HL7 does not say when the patient arrived on the prior ward). When PV1-6 is
//!   empty the prior ward cannot be found and stays open; when it is the same ward (a bed
//!   move) nothing changes. An A08 after a transfer restates the current ward from the admit
//!   time, for the same reason: the arrival time on a ward travels only in the A02.
//!
//! A message states, and so replaces, only the relationships it names: a doctor dropped from
//! PV1 by an update, or left out of the discharge (UCLH's A03 names only the attending), keeps
//! what the last message naming them said. Every relationship of a visit shares the id prefix
//! `hl7:{organisation}:{visit}:`, so storage can close or cancel the rest of the visit on A03
//! and A11.
//!
//! Deliberate simplifications: without PV1-44, messages other than admissions restate the
//! visit as starting at their own event time (an A03 without it shrinks the stay to the
//! discharge); a visit with neither visit number nor admit time gets a new key per message, so
//! later messages cannot update it. A message without PV1 gives the patient only.

use super::{
    compact_time, event_time, organisation, patient, person_ids, point_of_care, time, value,
    VisitEvent,
};
use crate::hl7v2::{Hl7Error, Hl7Message};
use domain::{CareFact, RelationshipKind, RelationshipRecord, Timestamp};

/// The doctors of a visit: role name, PV1 field.
const CLINICIAN_ROLES: [(&str, usize); 4] = [
    ("attending", 7),
    ("referring", 8),
    ("consulting", 9),
    ("admitting", 17),
];

pub(super) fn visit_facts(
    message: &Hl7Message,
    event: VisitEvent,
) -> Result<Vec<CareFact>, Hl7Error> {
    let pid = message.segment("PID").ok_or_else(super::missing_pid)?;
    let pv1 = message.segment("PV1");
    let patient = patient::patient_record(pid, message.segment("PD1"), pv1)?;
    let Some(pv1) = pv1 else {
        return Ok(vec![CareFact::Patient(patient)]);
    };
    let event_time = event_time(message).ok_or_else(|| {
        Hl7Error::new(
            "missing_event_time",
            "no time for the visit: PV1-44, EVN-6, EVN-2 and MSH-7 are all empty or unreadable",
        )
    })?;

    let location = pv1.field(3);
    let org = organisation(message, Some(location));
    let ward = point_of_care(location);
    let admit = time(pv1.field(44)).unwrap_or(event_time);
    let visit_number = value(pv1.field(19).component(1));
    let visit = match visit_number.is_empty() {
        true => format!("{}@{}", patient.patient_id, compact_time(admit)),
        false => visit_number,
    };
    let discharge = match event {
        VisitEvent::CancelDischarge => None,
        VisitEvent::Discharge => time(pv1.field(45)).or(Some(event_time)),
        _ => time(pv1.field(45)),
    };
    let valid_from = admit.start;
    let valid_to = discharge.map(|discharge| discharge.end.max(valid_from));

    let relationship = |suffix: String,
                        kind: RelationshipKind,
                        user_id: String,
                        team: String,
                        valid_from: Timestamp,
                        valid_to: Option<Timestamp>| {
        CareFact::Relationship(RelationshipRecord {
            relationship_id: format!("hl7:{org}:{visit}:{suffix}"),
            patient_id: patient.patient_id.clone(),
            kind,
            user_id,
            team,
            org_code: org.clone(),
            valid_from,
            valid_to,
            cancelled: event == VisitEvent::CancelAdmit,
        })
    };
    let encounter = |ward: &str, valid_from: Timestamp, valid_to: Option<Timestamp>| {
        relationship(
            format!("encounter:{ward}"),
            RelationshipKind::Encounter,
            String::new(),
            ward.to_owned(),
            valid_from,
            valid_to,
        )
    };

    let mut relationships = Vec::new();
    match event {
        VisitEvent::Transfer => {
            let prior_ward = point_of_care(pv1.field(6));
            let transfer = event_time;
            if prior_ward == ward {
                relationships.push(encounter(&ward, valid_from, valid_to));
            } else {
                if !prior_ward.is_empty() {
                    let closed = Some(transfer.start.max(valid_from));
                    relationships.push(encounter(&prior_ward, valid_from, closed));
                }
                let valid_to = valid_to.map(|valid_to| valid_to.max(transfer.start));
                relationships.push(encounter(&ward, transfer.start, valid_to));
            }
        }
        _ => relationships.push(encounter(&ward, valid_from, valid_to)),
    }
    for (role, index) in CLINICIAN_ROLES {
        for doctor in person_ids(pv1.field(index)) {
            relationships.push(relationship(
                format!("{role}:{doctor}"),
                RelationshipKind::Clinician,
                doctor,
                String::new(),
                valid_from,
                valid_to,
            ));
        }
    }

    let mut facts = vec![CareFact::Patient(patient)];
    facts.extend(relationships);
    Ok(facts)
}
