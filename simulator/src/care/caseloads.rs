//! Caseloads that run for months: community mental-health teams (FHIR EpisodeOfCare with a
//! care manager, and a CareTeam naming the psychiatrist), district nursing and adult social
//! care (CareTeams). The caseloads open at the start of the period were started before it; new
//! mental-health referrals open during it. Views recur week by week for as long as the patient
//! stays on the caseload.

use super::staffing::{duty_time, named_member, on_duty, Need};
use super::{explained, view, Care, CareEvent, CareTeamFact, Episode, Label, Referral, Schedule};
use crate::config::{Millis, DAY, HOUR};
use crate::region::{OrgKind, TeamKind};
use crate::rng;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

const WEEK: Millis = 7 * DAY;
/// New mental-health referrals per patient per 28 days.
const MENTAL_HEALTH_REFERRALS: f64 = 0.001;

/// Who makes a recurring view: a named member (bound as the user) or whoever of a team is on
/// duty (bound by the team, or only by the organisation).
enum Who {
    Member(u32),
    Team(u32, Need),
}

pub(super) fn open(care: &mut Care<'_>, schedule: &mut Schedule) {
    let region = care.region;
    let period = (
        care.clock.start,
        care.clock.day_start(care.config.days as i32),
    );
    for (system, range) in region.patient_ranges.iter().enumerate() {
        let mut rng = rng::stream(care.config.seed, "caseloads", system as u64);
        let system = system as u32;
        for patient in range.clone() {
            if !region.alive(patient, 0) {
                continue;
            }
            let age = region.age(patient);
            let started = period.0 - rng.gen_range(30..700) * DAY;
            if (16..80).contains(&age) && rng.gen_bool(0.012) {
                mental_health(care, &mut rng, system, patient, started, period.1, schedule);
            } else if age >= 75 && rng.gen_bool(0.08) {
                care_team(
                    care,
                    &mut rng,
                    system,
                    patient,
                    (OrgKind::CommunityTrust, TeamKind::DistrictNursing),
                    "community_visit",
                    2.0,
                    started,
                    period.1,
                    schedule,
                );
            } else if age >= 75 && rng.gen_bool(0.03) {
                care_team(
                    care,
                    &mut rng,
                    system,
                    patient,
                    (OrgKind::SocialCare, TeamKind::SocialWork),
                    "social_care_review",
                    0.5,
                    started,
                    period.1,
                    schedule,
                );
            }
        }
    }
}

pub(super) fn day(care: &mut Care<'_>, day: i32, schedule: &mut Schedule) {
    if care.clock.weekend(day) {
        return;
    }
    let region = care.region;
    let end = care.clock.day_start(care.config.days as i32);
    for (system, range) in region.patient_ranges.iter().enumerate() {
        let mut rng = rng::stream(
            care.config.seed,
            "mh-referrals",
            (day as u64) << 8 | system as u64,
        );
        let count = rng::poisson(
            &mut rng,
            MENTAL_HEALTH_REFERRALS / 28.0 * range.len() as f64 * 7.0 / 5.0,
        );
        for _ in 0..count {
            let patient = range.start + rng.gen_range(0..range.len() as u32);
            if !region.alive(patient, day) {
                continue;
            }
            let practice_team = region.orgs[region.patients[patient as usize].gp as usize].teams[0];
            let day_start = care.clock.day_start(day);
            let Some((gp, authored)) = on_duty(
                region,
                &care.clock,
                &mut rng,
                practice_team,
                day_start + 8 * HOUR,
                day_start + 18 * HOUR,
                Need::Senior,
            ) else {
                continue;
            };
            let Some(&trust) = region
                .orgs_of(system as u32, OrgKind::MentalHealthTrust)
                .first()
            else {
                continue;
            };
            let Some(&team) = rng::pick(
                &mut rng,
                &region.teams_of(trust, TeamKind::MentalHealthCommunity),
            ) else {
                continue;
            };
            let late = care.late(&mut rng);
            let id = care.next_id("ref");
            schedule.care(
                authored,
                late,
                CareEvent::Referral(Referral {
                    id: id.clone(),
                    patient,
                    requester: gp,
                    performer_org: trust,
                    performer_team: Some(team),
                    authored,
                    end: None,
                }),
            );
            schedule.view(view(
                authored,
                gp,
                patient,
                super::primary::registration(care, patient, "referral_letter"),
            ));
            if let Some((triage, at)) = on_duty(
                region,
                &care.clock,
                &mut rng,
                team,
                authored + HOUR,
                authored + 5 * DAY,
                Need::Clinician,
            ) {
                schedule.view(view(
                    at,
                    triage,
                    patient,
                    explained(
                        "referral_triage",
                        "referral",
                        "team",
                        format!("fhir:ServiceRequest/{id}"),
                        late,
                    ),
                ));
            }
            let started = authored + rng.gen_range(3..14) * DAY;
            mental_health(
                care,
                &mut rng,
                system as u32,
                patient,
                started,
                end,
                schedule,
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn mental_health(
    care: &mut Care<'_>,
    rng: &mut ChaCha8Rng,
    system: u32,
    patient: u32,
    started: Millis,
    end: Millis,
    schedule: &mut Schedule,
) {
    let region = care.region;
    let Some(&trust) = region.orgs_of(system, OrgKind::MentalHealthTrust).first() else {
        return;
    };
    let Some(&team) = rng::pick(
        rng,
        &region.teams_of(trust, TeamKind::MentalHealthCommunity),
    ) else {
        return;
    };
    let day = care.clock.day_of(started).max(0);
    let (Some(manager), Some(psychiatrist)) = (
        named_member(region, rng, team, day, Need::Clinician),
        named_member(region, rng, team, day, Need::Senior),
    ) else {
        return;
    };
    let late = care.late(rng) && started >= care.clock.start;
    let episode = care.next_id("eoc");
    let team_id = care.next_id("ct");
    schedule.care(
        started,
        late,
        CareEvent::Episode(Episode {
            id: episode.clone(),
            patient,
            org: trust,
            manager,
            team,
            start: started,
            end: None,
        }),
    );
    schedule.care(
        started,
        late,
        CareEvent::CareTeam(CareTeamFact {
            id: team_id.clone(),
            patient,
            team,
            members: vec![manager, psychiatrist],
            start: started,
            end: None,
        }),
    );
    let from = started.max(care.clock.start);
    let eoc = format!("fhir:EpisodeOfCare/{episode}");
    recurring(
        care,
        rng,
        patient,
        (from, end),
        1.0,
        Who::Member(manager),
        explained(
            "care_coordination",
            "episode_of_care",
            "user",
            eoc.clone(),
            late,
        ),
        schedule,
    );
    recurring(
        care,
        rng,
        patient,
        (from, end),
        0.25,
        Who::Member(psychiatrist),
        explained(
            "psychiatric_review",
            "care_team",
            "user",
            format!("fhir:CareTeam/{team_id}"),
            late,
        ),
        schedule,
    );
    recurring(
        care,
        rng,
        patient,
        (from, end),
        0.4,
        Who::Team(team, Need::Clinician),
        explained("duty_worker", "episode_of_care", "team", eoc.clone(), late),
        schedule,
    );
    if let Some(&crisis) = region.teams_of(trust, TeamKind::Crisis).first() {
        recurring(
            care,
            rng,
            patient,
            (from, end),
            0.03,
            Who::Team(crisis, Need::Clinician),
            explained("crisis", "episode_of_care", "organisation", eoc, late),
            schedule,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn care_team(
    care: &mut Care<'_>,
    rng: &mut ChaCha8Rng,
    system: u32,
    patient: u32,
    (org_kind, team_kind): (OrgKind, TeamKind),
    context: &'static str,
    per_week: f64,
    started: Millis,
    end: Millis,
    schedule: &mut Schedule,
) {
    let region = care.region;
    let Some(&org) = region.orgs_of(system, org_kind).first() else {
        return;
    };
    let Some(&team) = rng::pick(rng, &region.teams_of(org, team_kind)) else {
        return;
    };
    let members: Vec<u32> = (0..2)
        .filter_map(|_| named_member(region, rng, team, 0, Need::Clinician))
        .collect();
    let Some(&lead) = members.first() else {
        return;
    };
    let id = care.next_id("ct");
    schedule.care(
        started,
        false,
        CareEvent::CareTeam(CareTeamFact {
            id: id.clone(),
            patient,
            team,
            members: members.clone(),
            start: started,
            end: None,
        }),
    );
    let source = format!("fhir:CareTeam/{id}");
    recurring(
        care,
        rng,
        patient,
        (care.clock.start, end),
        per_week * 0.6,
        Who::Member(lead),
        explained(context, "care_team", "user", source.clone(), false),
        schedule,
    );
    recurring(
        care,
        rng,
        patient,
        (care.clock.start, end),
        per_week * 0.4,
        Who::Team(team, Need::Clinician),
        explained(context, "care_team", "team", source, false),
        schedule,
    );
}

/// Views at `per_week` on average over `[from, to)`, each inside the viewer's shift, while the
/// patient is alive.
#[allow(clippy::too_many_arguments)]
fn recurring(
    care: &Care<'_>,
    rng: &mut ChaCha8Rng,
    patient: u32,
    (from, to): (Millis, Millis),
    per_week: f64,
    who: Who,
    label: Label,
    schedule: &mut Schedule,
) {
    let region = care.region;
    let mut week_start = from;
    while week_start < to {
        let week_end = (week_start + WEEK).min(to);
        for _ in 0..rng::poisson(rng, per_week * (week_end - week_start) as f64 / WEEK as f64) {
            let seen = match &who {
                Who::Member(staff) => {
                    duty_time(region, &care.clock, rng, *staff, week_start, week_end)
                        .map(|at| (*staff, at))
                }
                Who::Team(team, need) => {
                    on_duty(region, &care.clock, rng, *team, week_start, week_end, *need)
                }
            };
            if let Some((staff, at)) = seen {
                if region.alive(patient, care.clock.day_of(at)) {
                    schedule.view(view(at, staff, patient, label.clone()));
                }
            }
        }
        week_start = week_end;
    }
}
