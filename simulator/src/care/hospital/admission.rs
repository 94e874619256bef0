//! An admission: the assessment unit or a ward (HL7 v2 A01), a transfer (A02), the discharge
//! (A03), the views of the stay (the named consultant on ward rounds, bound as the user; the
//! ward's doctors and nurses, bound by their team; the hospital pharmacist and the night doctor
//! covering from another ward, bound only by the organisation), a planned admission's
//! pre-assessment, and what follows the discharge: the discharge summary, the GP, district
//! nurses and social care (referrals), community pharmacists (with or without a referral).

use super::super::staffing::{duty_time, named_member, on_duty, Need};
use super::super::{
    explained, primary::registration, view, Care, CareEvent, Label, Referral, Schedule, Visit,
};
use crate::config::{Millis, DAY, HOUR};
use crate::region::{OrgKind, TeamKind};
use crate::rng;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

#[allow(clippy::too_many_arguments)]
pub(in crate::care) fn admission(
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
