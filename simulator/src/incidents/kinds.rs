//! When each kind of incident happens: snooping on people one knows happens at work, a few
//! looks over days or weeks; VIP curiosity follows the admission; a leaver keeps their old
//! working hours; mass browsing fills one working day; after-hours snooping happens at night,
//! outside the user's office hours.

use super::{incident_view, Plan};
use crate::care::{Alert, Care, Schedule};
use crate::config::{IncidentKind, Millis, DAY, HOUR, MINUTE};
use crate::rng;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

const MISUSE_REASONS: [(&str, &str); 4] = [
    ("emergency-access", "urgent clinical need"),
    ("emergency-access", "patient deteriorating, records needed"),
    ("self-claimed-relationship", "covering for a colleague"),
    (
        "self-claimed-relationship",
        "patient asked me to check their results",
    ),
];

pub(super) fn schedule_all(plan: &Plan, care: &mut Care<'_>, schedule: &mut Schedule) {
    let days = care.config.days as i32;
    let mut admitted = vec![false; plan.vip_stays.len()];
    for incident in &plan.incidents {
        let mut rng = rng::stream(care.config.seed, "incident", u64::from(incident.id));
        let staff = incident.staff;
        let id = incident.id;
        let search = |rng: &mut ChaCha8Rng| rng.gen_bool(0.75);
        match incident.kind {
            IncidentKind::FamilyMember
            | IncidentKind::ExPartner
            | IncidentKind::Neighbour
            | IncidentKind::Coworker
            | IncidentKind::SelfAccess => {
                let (looks, span) = match incident.kind {
                    IncidentKind::ExPartner => (rng.gen_range(2..=6), 20),
                    IncidentKind::FamilyMember => (rng.gen_range(1..=4), 10),
                    _ => (rng.gen_range(1..=3), 7),
                };
                let first = rng.gen_range(0..(days - 1).max(1));
                for _ in 0..looks {
                    let day = (first + rng.gen_range(0..span)).min(days - 1);
                    if let Some(at) = working_time(care, &mut rng, staff, day) {
                        let searched = search(&mut rng);
                        schedule.view(incident_view(
                            id,
                            staff,
                            incident.patients[0],
                            at,
                            searched,
                            None,
                        ));
                    }
                }
            }
            IncidentKind::VipCuriosity => {
                let Some(stay_index) = plan.stay_of.get(id as usize).copied().flatten() else {
                    continue;
                };
                let stay = &plan.vip_stays[stay_index];
                let admitted_at = care.clock.day_start(stay.day) + rng.gen_range(9..16) * HOUR;
                if !admitted[stay_index] {
                    admitted[stay_index] = true;
                    let mut stay_rng = rng::stream(care.config.seed, "vip-stay", stay_index as u64);
                    care.admit(
                        &mut stay_rng,
                        stay.patient,
                        stay.trust,
                        admitted_at,
                        schedule,
                    );
                }
                for _ in 0..rng.gen_range(1..=2) {
                    // News of a VIP's admission travels within hours; the curious look on their
                    // next shifts.
                    let seen = crate::care::staffing_time(
                        care,
                        &mut rng,
                        staff,
                        admitted_at + HOUR,
                        admitted_at + 4 * DAY,
                    )
                    .or_else(|| {
                        crate::care::staffing_time(
                            care,
                            &mut rng,
                            staff,
                            admitted_at + HOUR,
                            care.clock.day_start(days),
                        )
                    });
                    if let Some(at) = seen {
                        let searched = search(&mut rng);
                        schedule.view(incident_view(id, staff, stay.patient, at, searched, None));
                    }
                }
            }
            IncidentKind::DeceasedCelebrity | IncidentKind::EmergencyMisuse => {
                let day = rng.gen_range(0..days);
                for _ in 0..rng.gen_range(1..=2) {
                    let when = (day + rng.gen_range(0..3)).min(days - 1);
                    let Some(at) = working_time(care, &mut rng, staff, when) else {
                        continue;
                    };
                    let alert = (incident.kind == IncidentKind::EmergencyMisuse).then(|| {
                        let (kind, reason) = MISUSE_REASONS[rng.gen_range(0..MISUSE_REASONS.len())];
                        Alert {
                            kind,
                            reason: reason.to_owned(),
                        }
                    });
                    let searched = search(&mut rng);
                    schedule.view(incident_view(
                        id,
                        staff,
                        incident.patients[0],
                        at,
                        searched,
                        alert,
                    ));
                }
            }
            IncidentKind::Leaver => {
                let leave = care.region.staff[staff as usize]
                    .leave_day
                    .unwrap_or(days - 1);
                for patient in &incident.patients {
                    let day = (leave + rng.gen_range(1..12)).min(days - 1).max(leave);
                    if let Some(at) = habit_time(care, &mut rng, staff, day)
                        .or_else(|| Some(care.clock.day_start(day) + rng.gen_range(9..17) * HOUR))
                    {
                        let searched = search(&mut rng);
                        schedule.view(incident_view(
                            id,
                            staff,
                            *patient,
                            at.max(care.clock.day_start(leave) + DAY),
                            searched,
                            None,
                        ));
                    }
                }
            }
            IncidentKind::MassBrowsing => {
                let Some(day) = (0..30)
                    .map(|_| rng.gen_range(0..days))
                    .find(|day| !shift_intervals(care, staff, *day).is_empty())
                else {
                    continue;
                };
                for patient in &incident.patients {
                    if let Some(at) = habit_time(care, &mut rng, staff, day) {
                        let searched = rng.gen_bool(0.6);
                        schedule.view(incident_view(id, staff, *patient, at, searched, None));
                    }
                }
            }
            IncidentKind::AfterHoursSerial => {
                let nights = rng.gen_range(3..=6);
                let first = rng.gen_range(0..(days - 14).max(1));
                let night_days: Vec<i32> = (0..nights)
                    .map(|_| (first + rng.gen_range(0..14)).min(days - 1))
                    .collect();
                for (index, patient) in incident.patients.iter().enumerate() {
                    let day = night_days[index % night_days.len()];
                    // Between 22:00 and 04:00.
                    let at =
                        care.clock.day_start(day) + 22 * HOUR + rng.gen_range(0..6 * 60) * MINUTE;
                    schedule.view(incident_view(
                        id,
                        staff,
                        *patient,
                        at,
                        rng.gen_bool(0.8),
                        None,
                    ));
                }
            }
        }
    }
}

/// A time within the user's shift on `day` (or the nearest following day they work), while
/// they are employed.
fn working_time(care: &Care<'_>, rng: &mut ChaCha8Rng, staff: u32, day: i32) -> Option<Millis> {
    let days = care.config.days as i32;
    (day..days).chain(0..day).find_map(|candidate| {
        let from = care.clock.day_start(candidate);
        crate::care::staffing_time(care, rng, staff, from, from + DAY)
    })
}

/// A time within the user's usual shift on `day`, employed or not (a leaver keeps their habits).
fn habit_time(care: &Care<'_>, rng: &mut ChaCha8Rng, staff: u32, day: i32) -> Option<Millis> {
    let intervals = shift_intervals(care, staff, day);
    let (start, end) = *rng::pick(rng, &intervals)?;
    Some(start + rng.gen_range(0..(end - start).max(1)))
}

fn shift_intervals(care: &Care<'_>, staff: u32, day: i32) -> Vec<(Millis, Millis)> {
    let shift = care.region.staff[staff as usize].shift;
    let day_start = care.clock.day_start(day);
    shift
        .duty(day, care.clock.weekday(day))
        .into_iter()
        .map(|(start, end)| (day_start + start, day_start + end))
        .collect()
}
