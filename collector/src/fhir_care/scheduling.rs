//! `Appointment` and `ServiceRequest` (referrals) → relationships.
//!
//! Appointment (the patient is the first participant actor that is a Patient; none → refused,
//! `missing_patient`):
//! - each `participant[n].actor` that is a Practitioner or PractitionerRole (the user, with their
//!   role's organisation) or a Location or HealthcareService (the team, with its organisation)
//!   → an `Appointment` relationship (`fhir:Appointment/<id>:participant:<n>`);
//! - valid from [`APPOINTMENT_LEAD`] before `start` to `end` (else `start` plus
//!   `minutesDuration`, else `start`); no `start` → refused (`missing_period`), as a proposed
//!   appointment without a time cannot be placed;
//! - status `cancelled`, `noshow` or `entered-in-error` → cancelled; a participant who
//!   `declined` → that participant's relationship is cancelled.
//!
//! ServiceRequest, read as a referral (orders to a lab or a service are the same kind of fact:
//! the performer is asked to look after the patient):
//! - each `performer[n]` (a user, team or organisation) → a `Referral` relationship
//!   (`...:performer:<n>`), and the `requester` (the referring clinician with their role's
//!   organisation, or the referring organisation) → one more (`...:requester`);
//! - valid from `authoredOn`, else the occurrence (`occurrenceDateTime`,
//!   `occurrencePeriod.start`); until `occurrencePeriod.end`, else open-ended: FHIR gives a
//!   referral no other end, so a finished referral should be sent with one;
//! - status `revoked` or `entered-in-error` → cancelled.

use super::wire::{Period, Reference};
use super::{Binding, Candidate, CareKey, Context};
use crate::operation_outcome::{Issue, IssueCode};
use domain::{CareFact, RelationshipKind, Timestamp};
use serde::Deserialize;

/// How long before an appointment it explains accesses: staff prepare for clinics by reading
/// referral letters and notes in the days before. A week is a policy choice, kept here so the
/// analyzer's owners can revisit it in one place.
pub(super) const APPOINTMENT_LEAD: i64 = 7 * 24 * 60 * 60 * 1000;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireAppointment {
    status: Option<String>,
    start: Option<String>,
    end: Option<String>,
    minutes_duration: Option<i64>,
    #[serde(default)]
    participant: Vec<AppointmentParticipant>,
}

#[derive(Debug, Default, Deserialize)]
struct AppointmentParticipant {
    actor: Option<Reference>,
    status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireServiceRequest {
    status: Option<String>,
    subject: Option<Reference>,
    authored_on: Option<String>,
    occurrence_date_time: Option<String>,
    occurrence_period: Option<Period>,
    requester: Option<Reference>,
    #[serde(default)]
    performer: Vec<Reference>,
}

pub(super) fn map_appointment(wire: WireAppointment, cx: &mut Context<'_>) -> Vec<CareFact> {
    let actors: Vec<Option<CareKey>> = wire
        .participant
        .iter()
        .map(|participant| {
            let actor = participant.actor.as_ref()?;
            cx.resolve(actor, "Practitioner")
                .map(|resolved| resolved.key)
        })
        .collect();
    let patient_id = actors.iter().flatten().find_map(|key| match key {
        CareKey::Patient { patient_id } => Some(patient_id.clone()),
        _ => None,
    });
    if patient_id.is_none() {
        cx.problem(
            "missing_patient",
            Issue::error(
                IssueCode::Required,
                "Appointment.participant",
                "no participant actor is a patient",
            ),
        );
    }

    let start = cx.date_time(wire.start.as_deref(), "start");
    let end = cx
        .date_time(wire.end.as_deref(), "end")
        .map(|end| end.end_exclusive())
        .or_else(|| {
            let start = start?.start();
            let minutes = wire.minutes_duration.filter(|minutes| *minutes > 0)?;
            Some(Timestamp::from_millis(
                start
                    .as_millis()
                    .saturating_add(minutes.saturating_mul(60_000)),
            ))
        })
        .or_else(|| start.map(|start| start.start()));
    let from =
        start.map(|start| Timestamp::from_millis(start.start().as_millis() - APPOINTMENT_LEAD));
    let cancelled = matches!(
        wire.status.as_deref(),
        Some("cancelled" | "noshow" | "entered-in-error")
    );

    let mut candidates = Vec::new();
    for (index, (participant, actor)) in wire.participant.iter().zip(actors).enumerate() {
        let Some(binding) = actor.and_then(Binding::of) else {
            continue;
        };
        candidates.push(Candidate {
            role: format!("participant:{index}"),
            kind: RelationshipKind::Appointment,
            binding,
            start: from,
            end,
            cancelled: cancelled || participant.status.as_deref() == Some("declined"),
        });
    }
    cx.relationships(patient_id, candidates, "start")
}

pub(super) fn map_referral(wire: WireServiceRequest, cx: &mut Context<'_>) -> Vec<CareFact> {
    let patient_id = cx.patient(wire.subject.as_ref(), "subject");
    let authored = cx.date_time(wire.authored_on.as_deref(), "authoredOn");
    let occurrence = cx.date_time(wire.occurrence_date_time.as_deref(), "occurrenceDateTime");
    let (period_start, period_end) = cx.period(wire.occurrence_period.as_ref(), "occurrencePeriod");
    let start = authored
        .or(occurrence)
        .map(|date| date.start())
        .or(period_start);
    let cancelled = matches!(wire.status.as_deref(), Some("revoked" | "entered-in-error"));

    let performers = wire
        .performer
        .iter()
        .enumerate()
        .map(|(index, performer)| (format!("performer:{index}"), performer));
    let requester = wire
        .requester
        .iter()
        .map(|requester| ("requester".to_owned(), requester));
    let mut candidates = Vec::new();
    for (role, reference) in performers.chain(requester) {
        let Some(binding) = cx
            .resolve(reference, "Practitioner")
            .and_then(|resolved| Binding::of(resolved.key))
        else {
            continue;
        };
        candidates.push(Candidate {
            role,
            kind: RelationshipKind::Referral,
            binding,
            start,
            end: period_end,
            cancelled,
        });
    }
    cx.relationships(patient_id, candidates, "authoredOn")
}
