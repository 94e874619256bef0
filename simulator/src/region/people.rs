//! The population: households on streets (shared surnames and addresses, some partners with a
//! surname of their own), each registered with a GP practice of its system; deaths before and
//! during the period; VIPs and objections to sharing. Then the staff are housed: most live in
//! the region and are patients there too, sharing homes with their families (and sometimes
//! with another member of staff), the rest live outside it.

use super::{Household, OrgKind, Patient, Region};
use crate::config::SimConfig;
use crate::names;
use crate::rng;
use rand::Rng;

/// A street has this many houses, and a postcode unit covers this many of them.
const HOUSES_PER_STREET: u16 = 96;
const HOUSES_PER_UNIT: u16 = 12;

pub(super) fn populate(region: &mut Region, config: &SimConfig) {
    let year = region.year;
    for system in 0..config.care_systems {
        let mut rng = rng::stream(config.seed, "population", u64::from(system));
        let practices = region.orgs_of(system, OrgKind::GpPractice);
        let districts = region.systems[system as usize].districts.len() as u16;
        let target = config.patients_per_system as usize;
        let first = region.patients.len();
        let mut street: u16 = 0;
        let mut number: u16 = 0;
        let mut unit_counters = vec![0_u16; districts as usize];
        let mut unit = 0_u16;
        while region.patients.len() - first < target {
            number += 1;
            if number > HOUSES_PER_STREET {
                street += 1;
                number = 1;
            }
            let district = street % districts;
            if (number - 1) % HOUSES_PER_UNIT == 0 {
                unit = unit_counters[district as usize];
                unit_counters[district as usize] += 1;
            }
            let household_index = region.households.len() as u32;
            let gp = practices[rng.gen_range(0..practices.len())];
            let members = household_members(&mut rng, year);
            let family = rng.gen_range(0..names::FAMILY_NAMES.len()) as u16;
            let mut member_indices = Vec::with_capacity(members.len());
            for (position, (birth_year, female)) in members.into_iter().enumerate() {
                // The second adult of a couple keeps a surname of their own three times in ten.
                let own_surname =
                    position == 1 && year - i32::from(birth_year) >= 18 && rng.gen_bool(0.3);
                let patient_index = region.patients.len() as u32;
                let age = year - i32::from(birth_year);
                let died = death(&mut rng, age, config.days as i32);
                region.patients.push(Patient {
                    family: if own_surname {
                        rng.gen_range(0..names::FAMILY_NAMES.len()) as u16
                    } else {
                        family
                    },
                    given: rng.gen_range(0..200),
                    female,
                    birth_year,
                    household: household_index,
                    gp,
                    died,
                    vip: rng.gen_bool(0.000_3),
                    objection: rng.gen_bool(0.005),
                    staff: None,
                });
                region.registered[gp as usize].push(patient_index);
                member_indices.push(patient_index);
            }
            region.households.push(Household {
                system,
                street: street.wrapping_add(system as u16 * 13),
                number,
                district,
                sector: (unit % 9) as u8 + 1,
                unit: unit / 9,
                members: member_indices,
            });
        }
        region
            .patient_ranges
            .push(first as u32..region.patients.len() as u32);
    }
}

/// `(birth year, female)` of each member: one or two adults first, then children.
fn household_members(rng: &mut impl Rng, year: i32) -> Vec<(u16, bool)> {
    let size = match rng.gen_range(0..100) {
        0..=29 => 1,
        30..=62 => 2,
        63..=78 => 3,
        79..=92 => 4,
        _ => 5,
    };
    let elderly = rng.gen_bool(0.22);
    let adult_age = |rng: &mut dyn rand::RngCore| -> i32 {
        if elderly {
            rng.gen_range(65..96)
        } else {
            rng.gen_range(20..65)
        }
    };
    let first_age = adult_age(rng);
    let mut members = vec![((year - first_age) as u16, rng.gen_bool(0.5))];
    let couple = size >= 2 && rng.gen_bool(0.8);
    if couple {
        let partner_age = (first_age + rng.gen_range(-6..7)).clamp(18, 99);
        members.push(((year - partner_age) as u16, !members[0].1));
    }
    while members.len() < size {
        let child_age = rng.gen_range(0..18.min(first_age - 16).max(1));
        members.push(((year - child_age) as u16, rng.gen_bool(0.5)));
    }
    members
}

/// The day of death: some of the old died in the year before the period, a few die during it.
fn death(rng: &mut impl Rng, age: i32, days: i32) -> Option<i32> {
    let (before, during) = match age {
        85.. => (0.02, 0.012),
        70..=84 => (0.006, 0.003),
        _ => (0.000_3, 0.000_1),
    };
    if rng.gen_bool(before) {
        return Some(-rng.gen_range(1..365));
    }
    let during = during * f64::from(days) / 28.0;
    rng.gen_bool(during.min(1.0))
        .then(|| rng.gen_range(0..days))
}

/// Six in ten staff live in the region and are patients there: each becomes a working-age
/// adult of a household of their system (taking that person's name), so their family are
/// patients too; two members of staff may share a home.
pub(super) fn house_staff(region: &mut Region, config: &SimConfig) {
    let year = region.year;
    let mut rng = rng::stream(config.seed, "housing", 0);
    let mut adults: Vec<Vec<u32>> = vec![Vec::new(); region.systems.len()];
    for (index, patient) in region.patients.iter().enumerate() {
        let age = year - i32::from(patient.birth_year);
        if (21..=66).contains(&age) && patient.died.is_none() {
            let system = region.households[patient.household as usize].system;
            adults[system as usize].push(index as u32);
        }
    }
    for staff_index in 0..region.staff.len() {
        if !rng.gen_bool(0.6) {
            continue;
        }
        let home_system = match region.orgs[region.staff[staff_index].org as usize].kind {
            OrgKind::Ambulance | OrgKind::Nhs111 => rng.gen_range(0..region.systems.len()),
            _ => region.orgs[region.staff[staff_index].org as usize].system as usize,
        };
        let candidates = &adults[home_system];
        for _ in 0..8 {
            let Some(&patient_index) = rng::pick(&mut rng, candidates) else {
                break;
            };
            let patient = &mut region.patients[patient_index as usize];
            if patient.staff.is_some() {
                continue;
            }
            patient.staff = Some(staff_index as u32);
            let member = &mut region.staff[staff_index];
            member.family = patient.family;
            member.given = patient.given;
            member.female = patient.female;
            member.household = Some(patient.household);
            member.patient = Some(patient_index);
            break;
        }
    }
}
