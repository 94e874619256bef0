//! Outpatients: the GP's referral (FHIR ServiceRequest to a clinic), its triage, the booked
//! clinic (FHIR Appointment with the consultant), the clinic nurse, the letter typed by the
//! secretaries and read by the GP.

use super::super::staffing::{duty_time, named_member, on_duty, Need};
use super::super::{explained, primary::registration, view, Care, CareEvent, Referral, Schedule};
use crate::config::{DAY, HOUR, MINUTE};
use crate::region::TeamKind;
use crate::rng;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub(super) fn outpatients(
    care: &mut Care<'_>,
    rng: &mut ChaCha8Rng,
    day: i32,
    patient: u32,
    trust: u32,
    schedule: &mut Schedule,
) {
    let region = care.region;
    let clock = care.clock;
    let practice_team = region.orgs[region.patients[patient as usize].gp as usize].teams[0];
    let day_start = clock.day_start(day);
    let Some((gp, authored)) = on_duty(
        region,
        &clock,
        rng,
        practice_team,
        day_start + 8 * HOUR,
        day_start + 18 * HOUR,
        Need::Senior,
    ) else {
        return;
    };
    let Some(&clinic) = rng::pick(rng, &region.teams_of(trust, TeamKind::Clinic)) else {
        return;
    };
    let late = care.late(rng);
    let id = care.next_id("ref");
    let source = format!("fhir:ServiceRequest/{id}");
    let start_day = day + rng.gen_range(7..36);
    let Some(consultant) = named_member(region, rng, clinic, start_day, Need::Senior) else {
        return;
    };
    let clinic_day = clock.day_start(start_day);
    let Some(start) = duty_time(
        region,
        &clock,
        rng,
        consultant,
        clinic_day,
        clinic_day + DAY,
    ) else {
        return;
    };
    schedule.care(
        authored,
        late,
        CareEvent::Referral(Referral {
            id,
            patient,
            requester: gp,
            performer_org: trust,
            performer_team: Some(clinic),
            authored,
            end: Some(start + 90 * DAY),
        }),
    );
    schedule.view(view(
        authored,
        gp,
        patient,
        registration(care, patient, "referral_letter"),
    ));
    if let Some((triage, at)) = on_duty(
        region,
        &clock,
        rng,
        clinic,
        authored + HOUR,
        authored + 6 * DAY,
        Need::Clinician,
    ) {
        schedule.view(view(
            at,
            triage,
            patient,
            explained("referral_triage", "referral", "team", source.clone(), late),
        ));
    }
    let appointment = care.next_id("appt");
    let start = start - start.rem_euclid(15 * MINUTE);
    schedule.care(
        authored + rng.gen_range(1..5) * DAY,
        late,
        CareEvent::Appointment(super::super::Appointment {
            id: appointment.clone(),
            patient,
            practitioner: consultant,
            team: clinic,
            start,
            minutes: 20,
            status: "booked",
        }),
    );
    let booked = format!("fhir:Appointment/{appointment}");
    schedule.view(view(
        start + rng.gen_range(0..15) * MINUTE,
        consultant,
        patient,
        explained(
            "outpatient_clinic",
            "appointment",
            "user",
            booked.clone(),
            late,
        ),
    ));
    if rng.gen_bool(0.4) {
        if let Some((nurse, at)) = on_duty(
            region,
            &clock,
            rng,
            clinic,
            start - HOUR,
            start + HOUR,
            Need::Nurse,
        ) {
            schedule.view(view(
                at,
                nurse,
                patient,
                explained(
                    "outpatient_clinic",
                    "appointment",
                    "team",
                    booked.clone(),
                    late,
                ),
            ));
        }
    }
    if let Some(&secretaries) = region.teams_of(trust, TeamKind::Secretaries).first() {
        if let Some((secretary, at)) = on_duty(
            region,
            &clock,
            rng,
            secretaries,
            start,
            start + 4 * DAY,
            Need::Anyone,
        ) {
            schedule.view(view(
                at,
                secretary,
                patient,
                explained("clinic_letter", "referral", "organisation", source, late),
            ));
        }
    }
    if let Some((reader, at)) = on_duty(
        region,
        &clock,
        rng,
        practice_team,
        start + 3 * DAY,
        start + 10 * DAY,
        Need::Clinician,
    ) {
        schedule.view(view(
            at,
            reader,
            patient,
            registration(care, patient, "clinic_letter"),
        ));
    }
}
