//! Hospital care: emergency attendances (some brought by ambulance), admissions through the
//! assessment unit to a ward with a transfer and a discharge (HL7 v2 A04/A01/A02/A03),
//! elective admissions, outpatient referrals and clinics (FHIR ServiceRequest and Appointment),
//! and what follows a discharge: the GP, district nurses, social care and pharmacists.
//!
//! Who looks during a stay: the named consultant on ward rounds (bound as the user), the
//! ward's doctors and nurses (bound by the ward, their team), the hospital pharmacist and the
//! night doctor covering from another ward (bound only by the organisation: the care data
//! partly explains them, as in real hospitals).

use super::staffing::{duty_time, named_member, on_duty, Need};
use super::{
    explained, primary::registration, view, Alert, Care, CareEvent, EncounterFact, Label, Referral,
    Schedule, Visit,
};
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
const EMERGENCY_ACCESS: f64 = 0.008;
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

#[allow(clippy::too_many_arguments)]
pub(super) fn admission(
    care: &mut Care<'_>,
    rng: &mut ChaCha8Rng,
    patient: u32,
    trust: u32,
    admitted: Millis,
    admitting: Option<u32>,
    late: bool,
    schedule: &mut Schedule,
) {
    let region = care.region;
    let clock = care.clock;
    let day = clock.day_of(admitted);
    let wards = region.teams_of(trust, TeamKind::Ward);
    let Some(&ward) = rng::pick(rng, &wards) else {
        return;
    };
    let first_ward = match admitting {
        Some(_) => region
            .teams_of(trust, TeamKind::AssessmentUnit)
            .first()
            .copied()
            .unwrap_or(ward),
        None => ward,
    };
    let Some(consultant) = named_member(region, rng, first_ward, day, Need::Senior) else {
        return;
    };
    let stay_days = 1 + rng.gen_range(0..3) + i64::from(rng::poisson(rng, 2.5)).min(18);
    let discharged =
        clock.day_start(clock.day_of(admitted + stay_days * DAY)) + rng.gen_range(10..17) * HOUR;
    let visit = care.next_id("V");
    let source = format!("hl7:{}:{visit}", region.orgs[trust as usize].code);
    if admitting.is_none() {
        // Pre-assessment of a planned admission, days before it: only the window before the
        // encounter explains it.
        let before = admitted - rng.gen_range(1..7) * DAY;
        if let Some((nurse, at)) = on_duty(
            region,
            &clock,
            rng,
            first_ward,
            before,
            before + DAY,
            Need::Nurse,
        ) {
            schedule.view(view(
                at,
                nurse,
                patient,
                explained("pre_admission", "encounter", "team", source.clone(), late),
            ));
        }
    }
    let admit = Visit {
        trigger: "A01",
        org: trust,
        visit: visit.clone(),
        patient,
        class: 'I',
        ward: first_ward,
        prior_ward: None,
        attending: consultant,
        admitting,
        admitted,
        discharged: None,
        at: admitted,
    };
    schedule.care(admitted, late, CareEvent::Visit(admit.clone()));
    // Segments of the stay: (ward, consultant, from, to).
    let mut segments = vec![(first_ward, consultant, admitted, discharged)];
    let mut last = admit.clone();
    if first_ward != ward {
        let moved = admitted + rng.gen_range(12..36) * HOUR;
        if moved < discharged {
            let ward_consultant =
                named_member(region, rng, ward, day, Need::Senior).unwrap_or(consultant);
            let transfer = Visit {
                trigger: "A02",
                ward,
                prior_ward: Some(first_ward),
                attending: ward_consultant,
                at: moved,
                ..admit.clone()
            };
            schedule.care(moved, late, CareEvent::Visit(transfer.clone()));
            segments = vec![
                (first_ward, consultant, admitted, moved),
                (ward, ward_consultant, moved, discharged),
            ];
            last = transfer;
        }
    }
    schedule.care(
        discharged,
        late,
        CareEvent::Visit(Visit {
            trigger: "A03",
            prior_ward: None,
            discharged: Some(discharged),
            at: discharged,
            ..last
        }),
    );
    for (team, attending, from, to) in segments {
        stay_views(
            care,
            rng,
            patient,
            trust,
            team,
            attending,
            (from, to),
            &source,
            late,
            schedule,
        );
    }
    let pharmacy = region.teams_of(trust, TeamKind::HospitalPharmacy);
    if let Some((pharmacist, at)) = pharmacy.first().and_then(|team| {
        on_duty(
            region,
            &clock,
            rng,
            *team,
            admitted,
            (admitted + 2 * DAY).min(discharged),
            Need::Anyone,
        )
    }) {
        schedule.view(view(
            at,
            pharmacist,
            patient,
            explained(
                "pharmacist",
                "encounter",
                "organisation",
                source.clone(),
                late,
            ),
        ));
    }
    after_discharge(
        care, rng, patient, trust, consultant, discharged, &source, late, schedule,
    );
}

#[allow(clippy::too_many_arguments)]
fn stay_views(
    care: &mut Care<'_>,
    rng: &mut ChaCha8Rng,
    patient: u32,
    trust: u32,
    team: u32,
    attending: u32,
    (from, to): (Millis, Millis),
    source: &str,
    late: bool,
    schedule: &mut Schedule,
) {
    let region = care.region;
    let clock = care.clock;
    let wards = region.teams_of(trust, TeamKind::Ward);
    for day in clock.day_of(from)..=clock.day_of(to) {
        let start = clock.day_start(day).max(from);
        let end = (clock.day_start(day) + DAY).min(to);
        if rng.gen_bool(0.8) {
            if let Some(at) = duty_time(region, &clock, rng, attending, start, end) {
                schedule.view(view(
                    at,
                    attending,
                    patient,
                    explained("ward_round", "clinician", "user", source.to_owned(), late),
                ));
            }
        }
        for (need, context, mean) in [
            (Need::Doctor, "ward_care", 1.2),
            (Need::Nurse, "nursing", 1.0),
        ] {
            for _ in 0..rng::poisson(rng, mean) {
                if let Some((staff, at)) = on_duty(region, &clock, rng, team, start, end, need) {
                    schedule.view(view(
                        at,
                        staff,
                        patient,
                        explained(context, "encounter", "team", source.to_owned(), late),
                    ));
                }
            }
        }
        if rng.gen_bool(0.15) {
            if let Some(&other) = rng::pick(rng, &wards).filter(|other| **other != team) {
                let night = clock.day_start(day) + 20 * HOUR;
                if let Some((doctor, at)) = on_duty(
                    region,
                    &clock,
                    rng,
                    other,
                    night.max(from),
                    (night + 11 * HOUR).min(to),
                    Need::Doctor,
                ) {
                    schedule.view(view(
                        at,
                        doctor,
                        patient,
                        explained(
                            "handover",
                            "encounter",
                            "organisation",
                            source.to_owned(),
                            late,
                        ),
                    ));
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn after_discharge(
    care: &mut Care<'_>,
    rng: &mut ChaCha8Rng,
    patient: u32,
    trust: u32,
    consultant: u32,
    discharged: Millis,
    source: &str,
    late: bool,
    schedule: &mut Schedule,
) {
    let region = care.region;
    let clock = care.clock;
    let system = region.orgs[trust as usize].system;
    if let Some(&secretaries) = region.teams_of(trust, TeamKind::Secretaries).first() {
        if let Some((secretary, at)) = on_duty(
            region,
            &clock,
            rng,
            secretaries,
            discharged,
            discharged + 4 * DAY,
            Need::Anyone,
        ) {
            schedule.view(view(
                at,
                secretary,
                patient,
                explained(
                    "discharge_summary",
                    "encounter",
                    "organisation",
                    source.to_owned(),
                    late,
                ),
            ));
        }
    }
    let practice_team = region.orgs[region.patients[patient as usize].gp as usize].teams[0];
    if let Some((gp, at)) = on_duty(
        region,
        &clock,
        rng,
        practice_team,
        discharged + DAY,
        discharged + 8 * DAY,
        Need::Clinician,
    ) {
        schedule.view(view(
            at,
            gp,
            patient,
            registration(care, patient, "discharge_follow_up"),
        ));
    }
    let elderly = region.age(patient) >= 75;
    let referrals: [(OrgKind, TeamKind, f64, &'static str, u32); 2] = [
        (
            OrgKind::CommunityTrust,
            TeamKind::DistrictNursing,
            if elderly { 0.25 } else { 0.04 },
            "community_visit",
            4,
        ),
        (
            OrgKind::SocialCare,
            TeamKind::SocialWork,
            if elderly { 0.1 } else { 0.01 },
            "social_care_assessment",
            2,
        ),
    ];
    for (org_kind, team_kind, chance, context, visits) in referrals {
        if !rng.gen_bool(chance) {
            continue;
        }
        let Some(&org) = region.orgs_of(system, org_kind).first() else {
            continue;
        };
        let Some(&team) = rng::pick(rng, &region.teams_of(org, team_kind)) else {
            continue;
        };
        let id = care.next_id("ref");
        let authored = discharged - rng.gen_range(1..6) * HOUR;
        schedule.care(
            authored,
            late,
            CareEvent::Referral(Referral {
                id: id.clone(),
                patient,
                requester: consultant,
                performer_org: org,
                performer_team: Some(team),
                authored,
                end: Some(discharged + 42 * DAY),
            }),
        );
        for visit in 0..rng.gen_range(1..=visits) {
            let from = discharged + i64::from(visit) * 3 * DAY;
            if let Some((staff, at)) = on_duty(
                region,
                &clock,
                rng,
                team,
                from,
                from + 4 * DAY,
                Need::Clinician,
            ) {
                schedule.view(view(
                    at,
                    staff,
                    patient,
                    explained(
                        context,
                        "referral",
                        "team",
                        format!("fhir:ServiceRequest/{id}"),
                        late,
                    ),
                ));
            }
        }
    }
    if rng.gen_bool(0.15) {
        let pharmacies = region.orgs_of(system, OrgKind::Pharmacy);
        let Some(&pharmacy) = rng::pick(rng, &pharmacies) else {
            return;
        };
        let team = region.orgs[pharmacy as usize].teams[0];
        let Some((pharmacist, at)) = on_duty(
            region,
            &clock,
            rng,
            team,
            discharged + DAY,
            discharged + 5 * DAY,
            Need::Anyone,
        ) else {
            return;
        };
        if rng.gen_bool(0.6) {
            // The Discharge Medicines Service referral names the pharmacy.
            let id = care.next_id("ref");
            schedule.care(
                discharged,
                late,
                CareEvent::Referral(Referral {
                    id: id.clone(),
                    patient,
                    requester: consultant,
                    performer_org: pharmacy,
                    performer_team: None,
                    authored: discharged,
                    end: Some(discharged + 28 * DAY),
                }),
            );
            schedule.view(view(
                at,
                pharmacist,
                patient,
                explained(
                    "medicines_review",
                    "referral",
                    "organisation",
                    format!("fhir:ServiceRequest/{id}"),
                    late,
                ),
            ));
        } else {
            schedule.view(view(
                at,
                pharmacist,
                patient,
                Label::Unexplained {
                    context: "community_pharmacy",
                },
            ));
        }
    }
}

fn outpatients(
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
        CareEvent::Appointment(super::Appointment {
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
