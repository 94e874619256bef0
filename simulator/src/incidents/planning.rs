//! Planning the incidents before anything is written: who, which patients, and the facts the
//! region must state for the evidence to exist (a VIP flag, a death months ago, a leave date,
//! a former address, a next-of-kin link). The region is changed here, so the directories and
//! demographics written afterwards already carry that evidence. Also the region's ordinary
//! next-of-kin links, which are background (most relatives never snoop).

use super::Incident;
use crate::config::{IncidentKind, SimConfig};
use crate::region::{OrgKind, Region};
use crate::rng;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

/// A RelatedPerson: `relative` (a patient, named by NHS number) is `code` to `patient`.
#[derive(Debug, Clone)]
pub struct Relation {
    pub patient: u32,
    pub relative: u32,
    /// v3 RoleCode: `SPS` spouse, `DOMPART` domestic partner, `NOK` next of kin.
    pub code: &'static str,
    /// The day the relation ended (negative: before the period); `None` while it holds.
    pub ended_day: Option<i32>,
}

/// A VIP admitted during the period, whom curious staff look up.
#[derive(Debug, Clone)]
pub struct VipStay {
    pub patient: u32,
    pub trust: u32,
    pub day: i32,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub incidents: Vec<Incident>,
    pub relations: Vec<Relation>,
    /// `(patient, household, until_day)`: the patient lived in the household until then.
    pub old_addresses: Vec<(u32, u32, i32)>,
    pub vip_stays: Vec<VipStay>,
    /// Per incident (same index), the VIP stay it belongs to (vip_curiosity only).
    pub stay_of: Vec<Option<usize>>,
}

struct Picker<'a> {
    region: &'a Region,
    rng: ChaCha8Rng,
    used: HashSet<u32>,
}

impl Picker<'_> {
    /// A long-standing member of staff not yet used, satisfying `fits`.
    fn staff(&mut self, fits: impl Fn(u32) -> bool) -> Option<u32> {
        for _ in 0..5_000 {
            let staff = self.rng.gen_range(0..self.region.staff.len() as u32);
            let member = &self.region.staff[staff as usize];
            if self.used.contains(&staff)
                || member.start_day > -30
                || member.leave_day.is_some()
                || !fits(staff)
            {
                continue;
            }
            self.used.insert(staff);
            return Some(staff);
        }
        None
    }

    /// A living adult patient of `system`, satisfying `fits`.
    fn patient(&mut self, system: u32, fits: impl Fn(u32) -> bool) -> Option<u32> {
        let range = self.region.patient_ranges[system as usize].clone();
        for _ in 0..5_000 {
            let patient = self.rng.gen_range(range.clone());
            if self.region.alive(patient, 0) && self.region.age(patient) >= 18 && fits(patient) {
                return Some(patient);
            }
        }
        None
    }
}

pub fn plan(region: &mut Region, config: &SimConfig) -> Plan {
    let mut plan = Plan {
        relations: background_relations(region, config),
        ..Plan::default()
    };
    prepare_targets(region, config, &mut plan);
    let snapshot = region.clone();
    let mut picker = Picker {
        region: &snapshot,
        rng: rng::stream(config.seed, "incident-plan", 0),
        used: HashSet::new(),
    };
    let mut leavers = Vec::new();
    for kind in IncidentKind::ALL {
        for _ in 0..config.incident_count(kind, snapshot.staff.len()) {
            let id = plan.incidents.len() as u32;
            let Some((staff, patients, evidence, stay)) = choose(&mut picker, &mut plan, kind, id)
            else {
                continue;
            };
            if kind == IncidentKind::Leaver {
                leavers.push(staff);
            }
            plan.incidents.push(Incident {
                id,
                kind,
                staff,
                patients,
                evidence,
            });
            plan.stay_of.push(stay);
        }
    }
    let mut rng = rng::stream(config.seed, "leavers", 0);
    for staff in leavers {
        region.staff[staff as usize].leave_day =
            Some(rng.gen_range(3..(config.days as i32 - 4).max(4)));
    }
    plan
}

/// Adult couples name each other as next of kin four times in ten.
fn background_relations(region: &Region, config: &SimConfig) -> Vec<Relation> {
    let mut rng = rng::stream(config.seed, "relations", 0);
    let mut relations = Vec::new();
    for household in &region.households {
        let adults: Vec<u32> = household
            .members
            .iter()
            .copied()
            .filter(|member| region.age(*member) >= 18)
            .collect();
        if adults.len() >= 2 && rng.gen_bool(0.4) {
            relations.push(Relation {
                patient: adults[0],
                relative: adults[1],
                code: "SPS",
                ended_day: None,
            });
        }
    }
    relations
}

/// VIPs admitted during the period and celebrities who died before it.
fn prepare_targets(region: &mut Region, config: &SimConfig, plan: &mut Plan) {
    let mut rng = rng::stream(config.seed, "incident-targets", 0);
    let staff = region.staff.len();
    let stays = config
        .incident_count(IncidentKind::VipCuriosity, staff)
        .div_ceil(3);
    let celebrities = config
        .incident_count(IncidentKind::DeceasedCelebrity, staff)
        .div_ceil(4);
    for index in 0..stays + celebrities {
        let system = rng.gen_range(0..region.systems.len() as u32);
        let range = region.patient_ranges[system as usize].clone();
        // A bounded search: a region too small to have such a patient gets no target.
        let found = (0..10_000)
            .map(|_| rng.gen_range(range.clone()))
            .find(|candidate| {
                let person = &region.patients[*candidate as usize];
                person.staff.is_none() && person.died.is_none() && region.age(*candidate) >= 25
            });
        let Some(patient) = found else {
            continue;
        };
        region.patients[patient as usize].vip = true;
        if index < stays {
            let trusts = region.orgs_of(system, OrgKind::AcuteTrust);
            let trust = trusts[rng.gen_range(0..trusts.len())];
            plan.vip_stays.push(VipStay {
                patient,
                trust,
                day: rng.gen_range(1..(config.days as i32 / 2).max(2)),
            });
        } else {
            region.patients[patient as usize].died = Some(-rng.gen_range(30..400));
        }
    }
}

type Choice = (u32, Vec<u32>, String, Option<usize>);

fn choose(picker: &mut Picker<'_>, plan: &mut Plan, kind: IncidentKind, id: u32) -> Option<Choice> {
    let region = picker.region;
    let lives_here = |staff: u32| region.staff[staff as usize].patient.is_some();
    match kind {
        IncidentKind::FamilyMember => {
            let staff = picker.staff(|staff| {
                lives_here(staff) && household_others(region, staff).next().is_some()
            })?;
            let others: Vec<u32> = household_others(region, staff).collect();
            let victim = others[picker.rng.gen_range(0..others.len())];
            let own = region.staff[staff as usize].patient?;
            let evidence = if region.patients[victim as usize].family
                == region.staff[staff as usize].family
            {
                "same surname and address as the user".to_owned()
            } else {
                plan.relations.push(Relation {
                    patient: victim,
                    relative: own,
                    code: "DOMPART",
                    ended_day: None,
                });
                "same address; RelatedPerson names the user (by NHS number) as partner".to_owned()
            };
            Some((staff, vec![victim], evidence, None))
        }
        IncidentKind::ExPartner => {
            let staff = picker.staff(lives_here)?;
            let own = region.staff[staff as usize].patient?;
            let system = region.system_of_staff(staff);
            let household = region.staff[staff as usize].household?;
            let victim = picker.patient(system, |patient| {
                let person = &region.patients[patient as usize];
                person.household != household
                    && person.family != region.patients[own as usize].family
                    && person.staff.is_none()
            })?;
            let ended = -picker.rng.gen_range(200..1_500);
            plan.old_addresses.push((victim, household, ended));
            plan.relations.push(Relation {
                patient: victim,
                relative: own,
                code: "SPS",
                ended_day: Some(ended),
            });
            Some((staff, vec![victim], format!("the patient lived at the user's address until {} days before the period; ended RelatedPerson (spouse) naming the user", -ended), None))
        }
        IncidentKind::Neighbour => {
            let staff = picker
                .staff(|staff| lives_here(staff) && neighbours(region, staff).next().is_some())?;
            let nearby: Vec<u32> = neighbours(region, staff).collect();
            let victim = nearby[picker.rng.gen_range(0..nearby.len())];
            Some((
                staff,
                vec![victim],
                "the patient lives in the user's postcode unit".to_owned(),
                None,
            ))
        }
        IncidentKind::Coworker => {
            let staff = picker.staff(|_| true)?;
            let org = region.staff[staff as usize].org;
            let household = region.staff[staff as usize].household;
            let colleague = (0..400).find_map(|_| {
                let team = region.orgs[org as usize].teams[picker
                    .rng
                    .gen_range(0..region.orgs[org as usize].teams.len())];
                let members = &region.teams[team as usize].members;
                let other = members[picker.rng.gen_range(0..members.len())];
                let member = &region.staff[other as usize];
                (other != staff && member.household != household)
                    .then_some(member.patient)
                    .flatten()
            })?;
            Some((
                staff,
                vec![colleague],
                "the patient works for the user's organisation (staff directory)".to_owned(),
                None,
            ))
        }
        IncidentKind::VipCuriosity => {
            let stay_index = (id as usize) % plan.vip_stays.len().max(1);
            let stay = plan.vip_stays.get(stay_index)?.clone();
            let same_trust = picker.rng.gen_bool(0.6);
            let staff = picker
                .staff(|staff| (region.staff[staff as usize].org == stay.trust) == same_trust)?;
            Some((
                staff,
                vec![stay.patient],
                "VIP list; the patient was admitted, the user has no part in their care".to_owned(),
                Some(stay_index),
            ))
        }
        IncidentKind::SelfAccess => {
            let staff = picker.staff(lives_here)?;
            Some((
                staff,
                vec![region.staff[staff as usize].patient?],
                "the staff directory names the patient as the user".to_owned(),
                None,
            ))
        }
        IncidentKind::DeceasedCelebrity => {
            let celebrities: Vec<u32> = (0..region.patients.len() as u32)
                .filter(|patient| {
                    region.patients[*patient as usize].vip
                        && region.patients[*patient as usize]
                            .died
                            .is_some_and(|day| day < 0)
                })
                .collect();
            let victim = *rng::pick(&mut picker.rng, &celebrities)?;
            let staff = picker.staff(|_| true)?;
            let died = region.patients[victim as usize].died.unwrap_or_default();
            Some((
                staff,
                vec![victim],
                format!(
                    "VIP list; the patient died {} days before the period",
                    -died
                ),
                None,
            ))
        }
        IncidentKind::Leaver => {
            let staff = picker.staff(|staff| !region.staff[staff as usize].shift.works_nights())?;
            let system = region.system_of_staff(staff);
            let count = picker.rng.gen_range(2..=8);
            let patients = (0..count)
                .filter_map(|_| picker.patient(system, |_| true))
                .collect();
            Some((
                staff,
                patients,
                "accesses after the leave date in the staff directory".to_owned(),
                None,
            ))
        }
        IncidentKind::MassBrowsing => {
            let staff = picker.staff(|_| true)?;
            let system = region.system_of_staff(staff);
            let count = picker.rng.gen_range(40..=120);
            let patients = distinct(picker, system, count);
            Some((
                staff,
                patients,
                format!("{count} unrelated patients in one working day"),
                None,
            ))
        }
        IncidentKind::AfterHoursSerial => {
            let staff = picker.staff(|staff| {
                !region.staff[staff as usize].shift.works_nights()
                    && region.org_of_staff(staff).kind != OrgKind::OutOfHours
            })?;
            let system = region.system_of_staff(staff);
            let count = picker.rng.gen_range(8..=25);
            let patients = distinct(picker, system, count);
            Some((
                staff,
                patients,
                format!(
                    "{count} unrelated patients over several nights; the user works office hours"
                ),
                None,
            ))
        }
        IncidentKind::EmergencyMisuse => {
            let staff =
                picker.staff(|staff| region.staff[staff as usize].role.job != "Administrator")?;
            let system = region.system_of_staff(staff);
            let victim = picker.patient(system, |_| true)?;
            Some((
                staff,
                vec![victim],
                "emergency access / self-claimed relationship for a patient not in the user's care"
                    .to_owned(),
                None,
            ))
        }
    }
}

fn distinct(picker: &mut Picker<'_>, system: u32, count: usize) -> Vec<u32> {
    let mut chosen = Vec::with_capacity(count);
    while chosen.len() < count {
        match picker.patient(system, |patient| !chosen.contains(&patient)) {
            Some(patient) => chosen.push(patient),
            None => break,
        }
    }
    chosen
}

/// The other living members of a member of staff's household.
fn household_others(region: &Region, staff: u32) -> impl Iterator<Item = u32> + '_ {
    let member = &region.staff[staff as usize];
    let own = member.patient;
    member
        .household
        .into_iter()
        .flat_map(|household| {
            region.households[household as usize]
                .members
                .iter()
                .copied()
        })
        .filter(move |patient| Some(*patient) != own && region.alive(*patient, 0))
}

/// Living patients in other households of the same postcode unit as a member of staff's home.
fn neighbours(region: &Region, staff: u32) -> impl Iterator<Item = u32> + '_ {
    let home = region.staff[staff as usize].household;
    home.into_iter().flat_map(move |home| {
        let unit = region.address(home).1;
        let low = home.saturating_sub(12);
        let high = (home + 12).min(region.households.len() as u32 - 1);
        (low..=high)
            .filter(move |other| *other != home && region.address(*other).1 == unit)
            .flat_map(|other| region.households[other as usize].members.iter().copied())
            .filter(|patient| region.alive(*patient, 0) && region.age(*patient) >= 16)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_planned_at_demo_size() {
        for seed in 1..6 {
            let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
            let config = SimConfig::preset(crate::Size::Demo, seed, start);
            let mut region = Region::build(&config);
            let plan = plan(&mut region, &config);
            let kinds: HashSet<IncidentKind> = plan
                .incidents
                .iter()
                .map(|incident| incident.kind)
                .collect();
            assert_eq!(
                kinds.len(),
                IncidentKind::ALL.len(),
                "seed {seed}: {kinds:?}"
            );
        }
    }
}
