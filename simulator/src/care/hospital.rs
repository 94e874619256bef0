//! Hospital care: emergency attendances (some brought by ambulance), admissions through the
//! assessment unit to a ward with a transfer and a discharge (HL7 v2 A04/A01/A02/A03),
//! elective admissions, outpatient referrals and clinics (FHIR ServiceRequest and Appointment),
//! and what follows a discharge: the GP, district nurses, social care and pharmacists.
//!
//! Who looks during a stay: the named consultant on ward rounds (bound as the user), the
//! ward's doctors and nurses (bound by the ward, their team), the hospital pharmacist and the
//! night doctor covering from another ward (bound only by the organisation: the care data
//! partly explains them, as in real hospitals).

mod admission;
mod outpatients;

pub(super) use admission::admission;
use outpatients::outpatients;

use super::staffing::{on_duty, Need};
use super::{explained, view, Alert, Care, CareEvent, EncounterFact, Label, Schedule, Visit};
use crate::config::{Millis, DAY, HOUR, MINUTE};
use crate::region::{OrgKind, TeamKind};
use crate::rng;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Events per patient per 28 days.
const ED_ATTENDANCES: f64 = 0.025;
const ELECTIVE_ADMISSIONS: f64 = 0.006;
const OUTPATIENT_REFERRALS: f64 = 0.035;
const SEE_AND_TREAT: f64 = 0.006;
/// Share of outpatient referrals to a trust of another care system.
const CROSS_SYSTEM_REFERRAL: f64 = 0.1;
/// Share of emergency assessments where the doctor breaks the glass (no history available).
const EMERGENCY_ACCESS: f64 = 0.003;
/// Share of ambulance call-outs whose patient care record reaches careaudit.
const AMBULANCE_RECORD: f64 = 0.75;

pub(super) fn day(care: &mut Care<'_>, day: i32, schedule: &mut Schedule) {
    let region = care.region;
    let per_day = |rate: f64, patients: usize| rate / 28.0 * patients as f64;
    for (system, range) in region.patient_ranges.iter().enumerate() {
        let mut rng = rng::stream(
            care.config.seed,
            "hospital",
            (day as u64) << 8 | system as u64,
        );
        let trusts = region.orgs_of(system as u32, OrgKind::AcuteTrust);
        let population = range.len();
        let patients = |rng: &mut ChaCha8Rng, rate: f64| {
            let count = rng::poisson(rng, per_day(rate, population));
            (0..count)
                .map(|_| range.start + rng.gen_range(0..population as u32))
                .filter(|patient| region.alive(*patient, day))
                .collect::<Vec<_>>()
        };
        for patient in patients(&mut rng, ED_ATTENDANCES) {
            let trust = trusts[rng.gen_range(0..trusts.len())];
            attendance(care, &mut rng, day, patient, trust, system as u32, schedule);
        }
        for patient in patients(&mut rng, ELECTIVE_ADMISSIONS) {
            let trust = trusts[rng.gen_range(0..trusts.len())];
            let at = care.clock.day_start(day) + rng.gen_range(8..12) * HOUR;
            let late = care.late(&mut rng);
            admission(care, &mut rng, patient, trust, at, None, late, schedule);
        }
        if !care.clock.weekend(day) {
            for patient in patients(&mut rng, OUTPATIENT_REFERRALS) {
                // One referral in ten crosses into another system (tertiary and specialist care).
                let trust = if rng.gen_bool(CROSS_SYSTEM_REFERRAL) && region.systems.len() > 1 {
                    let other =
                        (system + rng.gen_range(1..region.systems.len())) % region.systems.len();
                    let elsewhere = region.orgs_of(other as u32, OrgKind::AcuteTrust);
                    elsewhere[rng.gen_range(0..elsewhere.len())]
                } else {
                    trusts[rng.gen_range(0..trusts.len())]
                };
                outpatients(care, &mut rng, day, patient, trust, schedule);
            }
        }
        for patient in patients(&mut rng, SEE_AND_TREAT) {
            let at = care.clock.day_start(day) + rng.gen_range(0..DAY);
            let late = care.late(&mut rng);
            ambulance(care, &mut rng, patient, system as u32, at, late, schedule);
        }
    }
}

/// A crew on scene; the view is explained when the service's patient care record is sent.
fn ambulance(
    care: &mut Care<'_>,
    rng: &mut ChaCha8Rng,
    patient: u32,
    system: u32,
    at: Millis,
    late: bool,
    schedule: &mut Schedule,
) {
    let region = care.region;
    let Some(service) = region
        .orgs
        .iter()
        .position(|org| org.kind == OrgKind::Ambulance)
    else {
        return;
    };
    let crews = &region.orgs[service].teams;
    let crew = crews[system as usize % crews.len()];
    let Some((paramedic, seen)) = on_duty(
        region,
        &care.clock,
        rng,
        crew,
        at - 30 * MINUTE,
        at + 30 * MINUTE,
        Need::Anyone,
    ) else {
        return;
    };
    if rng.gen_bool(AMBULANCE_RECORD) {
        let id = care.next_id("pcr");
        let end = seen + rng.gen_range(30..90) * MINUTE;
        schedule.care(
            end + rng.gen_range(0..3) * HOUR,
            late,
            CareEvent::Encounter(EncounterFact {
                id: id.clone(),
                patient,
                org: service as u32,
                participants: vec![paramedic],
                start: seen - 10 * MINUTE,
                end,
            }),
        );
        schedule.view(view(
            seen,
            paramedic,
            patient,
            explained(
                "ambulance_on_scene",
                "clinician",
                "user",
                format!("fhir:Encounter/{id}"),
                late,
            ),
        ));
    } else {
        schedule.view(view(
            seen,
            paramedic,
            patient,
            Label::Unexplained {
                context: "ambulance_without_record",
            },
        ));
    }
}

#[allow(clippy::too_many_arguments)]
fn attendance(
    care: &mut Care<'_>,
    rng: &mut ChaCha8Rng,
    day: i32,
    patient: u32,
    trust: u32,
    system: u32,
    schedule: &mut Schedule,
) {
    let region = care.region;
    let clock = care.clock;
    // More arrivals by day than by night.
    let hour = if rng.gen_bool(0.75) {
        rng.gen_range(8..22)
    } else {
        (rng.gen_range(22..32)) % 24
    };
    let arrival = clock.day_start(day) + hour * HOUR + rng.gen_range(0..60) * MINUTE;
    let late = care.late(rng);
    if rng.gen_bool(0.35) {
        let on_scene = arrival - rng.gen_range(20..60) * MINUTE;
        ambulance(care, rng, patient, system, on_scene, late, schedule);
    }
    let Some(&ed) = region.teams_of(trust, TeamKind::Emergency).first() else {
        return;
    };
    let Some((doctor, assessed)) = on_duty(
        region,
        &clock,
        rng,
        ed,
        arrival + 15 * MINUTE,
        arrival + 3 * HOUR,
        Need::Doctor,
    )
    .or_else(|| {
        on_duty(
            region,
            &clock,
            rng,
            ed,
            arrival,
            arrival + 4 * HOUR,
            Need::Clinician,
        )
    }) else {
        return;
    };
    let visit = care.next_id("V");
    let org_code = &region.orgs[trust as usize].code;
    let source = format!("hl7:{org_code}:{visit}");
    let departure = arrival + rng.gen_range(2 * 60..6 * 60) * MINUTE;
    let base = Visit {
        trigger: "A04",
        org: trust,
        visit: visit.clone(),
        patient,
        class: 'E',
        ward: ed,
        prior_ward: None,
        attending: doctor,
        admitting: None,
        admitted: arrival,
        discharged: None,
        at: arrival,
    };
    schedule.care(arrival, late, CareEvent::Visit(base.clone()));
    schedule.care(
        departure,
        late,
        CareEvent::Visit(Visit {
            trigger: "A03",
            discharged: Some(departure),
            at: departure,
            ..base
        }),
    );
    if let Some((nurse, at)) = on_duty(
        region,
        &clock,
        rng,
        ed,
        arrival,
        arrival + 30 * MINUTE,
        Need::Nurse,
    ) {
        schedule.view(view(
            at,
            nurse,
            patient,
            explained("ed_triage", "encounter", "team", source.clone(), late),
        ));
    }
    let mut assessment = view(
        assessed,
        doctor,
        patient,
        explained("ed_assessment", "clinician", "user", source.clone(), late),
    );
    if rng.gen_bool(EMERGENCY_ACCESS) {
        assessment.alert = Some(Alert {
            kind: "emergency-access",
            reason: "patient unresponsive on arrival, no history available".to_owned(),
        });
    }
    schedule.view(assessment);
    if rng.gen_bool(0.5) {
        if let Some((other, at)) = on_duty(
            region,
            &clock,
            rng,
            ed,
            assessed,
            departure,
            Need::Clinician,
        ) {
            schedule.view(view(
                at,
                other,
                patient,
                explained("ed_review", "encounter", "team", source.clone(), late),
            ));
        }
    }
    let elderly = region.age(patient) >= 65;
    if rng.gen_bool(if elderly { 0.45 } else { 0.25 }) {
        admission(
            care,
            rng,
            patient,
            trust,
            departure,
            Some(doctor),
            late,
            schedule,
        );
    }
}
