//! Who is on duty: picking the member of a team who looks at a patient within a window, at a
//! time inside that member's own shift, so that legitimate views follow each user's working
//! pattern (the after-hours rule's baseline) and leavers stop looking when they leave.

use crate::config::{period_start, Millis, SimConfig, DAY, MINUTE};

/// Share of shifts that run late.
const OVERTIME: f64 = 0.03;
use crate::region::Region;
use chrono::Datelike;
use rand::Rng;

/// The period's calendar: day 0 and its weekday.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub start: Millis,
    /// 0 = Monday.
    pub start_weekday: u32,
}

impl Clock {
    pub fn new(config: &SimConfig) -> Self {
        Self {
            start: period_start(config),
            start_weekday: config.start.weekday().num_days_from_monday(),
        }
    }

    pub fn day_start(&self, day: i32) -> Millis {
        self.start + i64::from(day) * DAY
    }

    pub fn day_of(&self, at: Millis) -> i32 {
        (at - self.start).div_euclid(DAY) as i32
    }

    pub fn weekday(&self, day: i32) -> u32 {
        (self.start_weekday as i32 + day).rem_euclid(7) as u32
    }

    /// Whether `day` is Saturday or Sunday.
    pub fn weekend(&self, day: i32) -> bool {
        self.weekday(day) >= 5
    }
}

/// Whether `staff` is employed on `day` (started, not yet left).
pub fn employed(region: &Region, staff: u32, day: i32) -> bool {
    let member = &region.staff[staff as usize];
    member.start_day <= day && member.leave_day.is_none_or(|leave| day < leave)
}

/// A time inside `staff`'s own shifts within `[from, to)`, if they work then.
pub fn duty_time(
    region: &Region,
    clock: &Clock,
    rng: &mut impl Rng,
    staff: u32,
    from: Millis,
    to: Millis,
) -> Option<Millis> {
    if to <= from {
        return None;
    }
    let shift = region.staff[staff as usize].shift;
    let first_day = clock.day_of(from) - 1;
    let last_day = clock.day_of(to - 1);
    let mut overlaps: Vec<(Millis, Millis)> = Vec::new();
    for day in first_day..=last_day {
        if !employed(region, staff, day) {
            continue;
        }
        let day_start = clock.day_start(day);
        for (start, end) in shift.duty(day, clock.weekday(day)) {
            // Now and then a shift runs late (a handover, a discharge to finish).
            let end = if rng.gen_bool(OVERTIME) {
                end + rng.gen_range(15..120) * MINUTE
            } else {
                end
            };
            let (start, end) = ((day_start + start).max(from), (day_start + end).min(to));
            if start < end {
                overlaps.push((start, end));
            }
        }
    }
    let total: Millis = overlaps.iter().map(|(start, end)| end - start).sum();
    if total <= 0 {
        return None;
    }
    let mut offset = rng.gen_range(0..total);
    for (start, end) in overlaps {
        if offset < end - start {
            return Some(start + offset);
        }
        offset -= end - start;
    }
    None
}

/// Which members of a team a task needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Anyone,
    /// Anyone but administrators.
    Clinician,
    Doctor,
    Nurse,
    /// Consultants, GPs, senior practitioners.
    Senior,
}

impl Need {
    pub fn accepts(self, role: crate::region::Role) -> bool {
        match self {
            Self::Anyone => true,
            Self::Clinician => role.job != "Administrator",
            Self::Doctor => role.code == "R8000" && !role.senior,
            Self::Nurse => role.code == "R8001",
            Self::Senior => role.senior,
        }
    }
}

/// A member of `team` who fits `need`, on duty within `[from, to)`, and when they look.
pub fn on_duty(
    region: &Region,
    clock: &Clock,
    rng: &mut impl Rng,
    team: u32,
    from: Millis,
    to: Millis,
    need: Need,
) -> Option<(u32, Millis)> {
    let members = &region.teams[team as usize].members;
    if members.is_empty() {
        return None;
    }
    for _ in 0..16 {
        let staff = members[rng.gen_range(0..members.len())];
        if !need.accepts(region.staff[staff as usize].role) {
            continue;
        }
        if let Some(at) = duty_time(region, clock, rng, staff, from, to) {
            return Some((staff, at));
        }
    }
    None
}

/// A member of `team` who fits `need` to name on a care fact, employed on `day`, whoever is
/// on duty.
pub fn named_member(
    region: &Region,
    rng: &mut impl Rng,
    team: u32,
    day: i32,
    need: Need,
) -> Option<u32> {
    let members = &region.teams[team as usize].members;
    for _ in 0..24 {
        let staff = *members.get(rng.gen_range(0..members.len().max(1)))?;
        if !need.accepts(region.staff[staff as usize].role) {
            continue;
        }
        if employed(region, staff, day) {
            return Some(staff);
        }
    }
    None
}
