//! Primary and urgent care outside hospital: GP consultations (FHIR Appointments) and the
//! practice's own administrative views (explained by the GP registration), home visits covered
//! by a neighbouring practice, NHS 111 calls and out-of-hours GPs, specialist advice by phone
//! from another system's hospital, and deaths with the practice's paperwork after them.

use super::staffing::{named_member, on_duty, Need};
use super::{explained, view, Appointment, Care, CareEvent, Label, Schedule};
use crate::config::{DAY, HOUR, MINUTE};
use crate::region::{OrgKind, TeamKind};
use crate::rng;
use rand::Rng;

/// Events per patient per 28 days.
const GP_CONSULTATIONS: f64 = 0.30;
const GP_ADMIN: f64 = 0.25;
const NHS_111_CALLS: f64 = 0.01;
const SPECIALIST_ADVICE: f64 = 0.0015;
/// Shares of consultations.
const CANCELLED: f64 = 0.04;
const COVERED_BY_NEIGHBOUR: f64 = 0.015;

pub(super) fn day(care: &mut Care<'_>, day: i32, schedule: &mut Schedule) {
    let region = care.region;
    let clock = care.clock;
    let day_start = clock.day_start(day);
    let per_day = |rate: f64, patients: usize| rate / 28.0 * patients as f64;
    for (system, range) in region.patient_ranges.iter().enumerate() {
        let mut rng = rng::stream(
            care.config.seed,
            "primary",
            (day as u64) << 8 | system as u64,
        );
        let population = range.len();
        let random_patient =
            |rng: &mut rand_chacha::ChaCha8Rng| range.start + rng.gen_range(0..population as u32);

        if !clock.weekend(day) {
            for _ in 0..rng::poisson(&mut rng, per_day(GP_CONSULTATIONS, population) * 7.0 / 5.0) {
                let patient = random_patient(&mut rng);
                if region.alive(patient, day) {
                    consultation(care, &mut rng, day, patient, schedule);
                }
            }
            for _ in 0..rng::poisson(&mut rng, per_day(GP_ADMIN, population) * 7.0 / 5.0) {
                let patient = random_patient(&mut rng);
                let practice = region.patients[patient as usize].gp;
                let team = region.orgs[practice as usize].teams[0];
                let window = (day_start + 8 * HOUR, day_start + 18 * HOUR);
                if let Some((staff, at)) = on_duty(
                    region,
                    &clock,
                    &mut rng,
                    team,
                    window.0,
                    window.1,
                    Need::Anyone,
                ) {
                    schedule.view(view(
                        at,
                        staff,
                        patient,
                        registration(care, patient, "gp_admin"),
                    ));
                }
            }
        }
        for _ in 0..rng::poisson(&mut rng, per_day(NHS_111_CALLS, population)) {
            let patient = random_patient(&mut rng);
            if region.alive(patient, day) {
                urgent_call(care, &mut rng, day, patient, system as u32, schedule);
            }
        }
        for _ in 0..rng::poisson(&mut rng, per_day(SPECIALIST_ADVICE, population)) {
            let patient = random_patient(&mut rng);
            let other = (system + 1) % region.systems.len();
            let Some(&trust) =
                rng::pick(&mut rng, &region.orgs_of(other as u32, OrgKind::AcuteTrust))
            else {
                continue;
            };
            let clinics = region.teams_of(trust, TeamKind::Clinic);
            let Some(&clinic) = rng::pick(&mut rng, &clinics) else {
                continue;
            };
            if let Some((staff, at)) = on_duty(
                region,
                &clock,
                &mut rng,
                clinic,
                day_start,
                day_start + DAY,
                Need::Senior,
            ) {
                schedule.view(view(
                    at,
                    staff,
                    patient,
                    Label::Unexplained {
                        context: "specialist_advice",
                    },
                ));
            }
        }
    }
    deaths(care, day, schedule);
}

/// The explanation every practice has for its own registered patients.
pub(super) fn registration(care: &Care<'_>, patient: u32, context: &'static str) -> Label {
    let practice = &care.region.orgs[care.region.patients[patient as usize].gp as usize];
    explained(
        context,
        "registration",
        "organisation",
        format!(
            "csv:registration:{}:{}",
            care.region.nhs_number(patient),
            practice.code
        ),
        false,
    )
}

fn consultation(
    care: &mut Care<'_>,
    rng: &mut rand_chacha::ChaCha8Rng,
    day: i32,
    patient: u32,
    schedule: &mut Schedule,
) {
    let region = care.region;
    let clock = care.clock;
    let day_start = clock.day_start(day);
    let practice = region.patients[patient as usize].gp;
    let team = region.orgs[practice as usize].teams[0];
    let senior = rng.gen_bool(0.8);
    let Some((practitioner, at)) = on_duty(
        region,
        &clock,
        rng,
        team,
        day_start + 8 * HOUR + 30 * MINUTE,
        day_start + 18 * HOUR,
        if senior { Need::Senior } else { Need::Nurse },
    ) else {
        return;
    };
    let start = at - at.rem_euclid(10 * MINUTE);
    let cancelled = rng.gen_bool(CANCELLED);
    let id = care.next_id("appt");
    let booked = start - rng.gen_range(1..14) * DAY;
    let late = care.late(rng);
    schedule.care(
        booked,
        late,
        CareEvent::Appointment(Appointment {
            id: id.clone(),
            patient,
            practitioner,
            team,
            start,
            minutes: 10,
            status: if cancelled { "cancelled" } else { "booked" },
        }),
    );
    if cancelled {
        return;
    }
    let source = format!("fhir:Appointment/{id}");
    if rng.gen_bool(COVERED_BY_NEIGHBOUR) {
        // A home visit done by the duty doctor of a neighbouring practice: the booking names
        // the patient's own GP, nothing names the one who looked.
        let practices = region.orgs_of(region.orgs[practice as usize].system, OrgKind::GpPractice);
        if let Some(&neighbour) = rng::pick(rng, &practices).filter(|other| **other != practice) {
            let neighbour_team = region.orgs[neighbour as usize].teams[0];
            if let Some((staff, at)) = on_duty(
                region,
                &clock,
                rng,
                neighbour_team,
                start,
                start + 4 * HOUR,
                Need::Senior,
            ) {
                schedule.view(view(
                    at,
                    staff,
                    patient,
                    Label::Unexplained {
                        context: "cross_practice_cover",
                    },
                ));
            }
            return;
        }
    }
    schedule.view(view(
        start + rng.gen_range(0..8) * MINUTE,
        practitioner,
        patient,
        explained(
            "gp_consultation",
            "appointment",
            "user",
            source.clone(),
            late,
        ),
    ));
    if rng.gen_bool(0.2) {
        if let Some((staff, at)) = on_duty(
            region,
            &clock,
            rng,
            team,
            start,
            start + 2 * DAY,
            Need::Clinician,
        ) {
            schedule.view(view(
                at,
                staff,
                patient,
                explained("gp_follow_up", "appointment", "team", source, late),
            ));
        }
    }
    if rng.gen_bool(0.35) {
        if let Some((staff, at)) = on_duty(
            region,
            &clock,
            rng,
            team,
            start,
            start + 3 * DAY,
            Need::Anyone,
        ) {
            schedule.view(view(
                at,
                staff,
                patient,
                registration(care, patient, "gp_admin"),
            ));
        }
    }
}

/// An NHS 111 call and, for some, the out-of-hours GP who sees the patient afterwards. Neither
/// service sends care context: these views stay unexplained.
fn urgent_call(
    care: &mut Care<'_>,
    rng: &mut rand_chacha::ChaCha8Rng,
    day: i32,
    patient: u32,
    system: u32,
    schedule: &mut Schedule,
) {
    let region = care.region;
    let clock = care.clock;
    let day_start = clock.day_start(day);
    let Some(&nhs111) = region
        .orgs
        .iter()
        .enumerate()
        .filter(|(_, org)| org.kind == OrgKind::Nhs111)
        .map(|(index, _)| index as u32)
        .collect::<Vec<_>>()
        .first()
    else {
        return;
    };
    let team = region.orgs[nhs111 as usize].teams[0];
    let Some((handler, at)) = on_duty(
        region,
        &clock,
        rng,
        team,
        day_start,
        day_start + DAY,
        Need::Clinician,
    ) else {
        return;
    };
    schedule.view(view(
        at,
        handler,
        patient,
        Label::Unexplained {
            context: "nhs111_call",
        },
    ));
    if rng.gen_bool(0.4) {
        if let Some(&ooh) = region.orgs_of(system, OrgKind::OutOfHours).first() {
            let ooh_team = region.orgs[ooh as usize].teams[0];
            if let Some((gp, seen)) = on_duty(
                region,
                &clock,
                rng,
                ooh_team,
                at + 30 * MINUTE,
                at + 5 * HOUR,
                Need::Clinician,
            ) {
                schedule.view(view(
                    seen,
                    gp,
                    patient,
                    Label::Unexplained {
                        context: "out_of_hours",
                    },
                ));
            }
        }
    }
}

/// Deaths on `day`: the Patient update, then the practice's paperwork.
fn deaths(care: &mut Care<'_>, day: i32, schedule: &mut Schedule) {
    let region = care.region;
    let clock = care.clock;
    let Some(dying) = care.deaths.get(&day).cloned() else {
        return;
    };
    let mut rng = rng::stream(care.config.seed, "deaths", day as u64);
    for patient in dying {
        let at = clock.day_start(day) + rng.gen_range(0..DAY);
        schedule.care(at, false, CareEvent::Death { patient });
        let practice = region.patients[patient as usize].gp;
        let team = region.orgs[practice as usize].teams[0];
        if let Some(staff) = named_member(region, &mut rng, team, day, Need::Anyone) {
            if let Some(when) =
                super::staffing::duty_time(region, &clock, &mut rng, staff, at + HOUR, at + 6 * DAY)
            {
                schedule.view(view(
                    when,
                    staff,
                    patient,
                    registration(care, patient, "death_administration"),
                ));
            }
        }
    }
}
