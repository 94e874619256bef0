//! The region: integrated care systems with their organisations (GP practices, acute,
//! mental-health and community trusts, social care, ambulance, NHS 111, out-of-hours GPs,
//! community pharmacies), their teams and staff, and the population in households. Built once
//! from the seed; everything else (care, accesses, incidents) refers to it by index.
//!
//! People are kept compact (names are indices into [`crate::names`], ids are functions of the
//! index) so that a London-sized region of ~1M patients and ~100k staff fits in a few hundred
//! megabytes.

mod orgs;
mod people;
mod shift;

use crate::config::SimConfig;
use crate::ids;
use crate::names;

pub use shift::Shift;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrgKind {
    GpPractice,
    AcuteTrust,
    MentalHealthTrust,
    CommunityTrust,
    SocialCare,
    Ambulance,
    Nhs111,
    OutOfHours,
    Pharmacy,
}

impl OrgKind {
    /// The organisation type as the FHIR Organization and the staff directory state it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GpPractice => "gp_practice",
            Self::AcuteTrust => "acute_trust",
            Self::MentalHealthTrust => "mental_health_trust",
            Self::CommunityTrust => "community_trust",
            Self::SocialCare => "social_care",
            Self::Ambulance => "ambulance",
            Self::Nhs111 => "nhs_111",
            Self::OutOfHours => "out_of_hours",
            Self::Pharmacy => "community_pharmacy",
        }
    }
}

/// What a team does, which decides who in it looks at which patients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TeamKind {
    Surgery,
    Emergency,
    AssessmentUnit,
    Ward,
    Clinic,
    HospitalPharmacy,
    Secretaries,
    MentalHealthCommunity,
    MentalHealthWard,
    Crisis,
    DistrictNursing,
    SocialWork,
    AmbulanceCrew,
    CallCentre,
    OutOfHoursGp,
    CommunityPharmacy,
}

#[derive(Debug, Clone)]
pub struct CareSystem {
    pub code: String,
    pub name: String,
    /// The exchange node that serves this system's staff and logs their views.
    pub node: String,
    /// The node speaks ATNA syslog rather than FHIR AuditEvents.
    pub atna: bool,
    pub districts: &'static [&'static str],
}

#[derive(Debug, Clone)]
pub struct Org {
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    pub system: u32,
    pub teams: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct Team {
    pub org: u32,
    /// Unique in the region (`<org>-<ward>`): the staff directory's team, HL7 PV1-3's point of
    /// care, a CareTeam's name.
    pub code: String,
    pub kind: TeamKind,
    pub members: Vec<u32>,
}

/// A national RBAC role with the job it stands for here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    pub code: &'static str,
    pub job: &'static str,
    /// Senior clinicians are named on visits (attending, care manager).
    pub senior: bool,
}

#[derive(Debug, Clone)]
pub struct Staff {
    pub family: u16,
    pub given: u16,
    pub female: bool,
    pub org: u32,
    pub team: u32,
    pub role: Role,
    pub shift: Shift,
    /// The household the member of staff lives in, when they live in the region.
    pub household: Option<u32>,
    /// Their own patient record, when they are a patient here.
    pub patient: Option<u32>,
    /// Day offsets from the period start (negative: before it).
    pub start_day: i32,
    pub leave_day: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct Patient {
    pub family: u16,
    pub given: u16,
    pub female: bool,
    pub birth_year: u16,
    pub household: u32,
    pub gp: u32,
    /// Day offset of death (negative: died before the period).
    pub died: Option<i32>,
    pub vip: bool,
    pub objection: bool,
    pub staff: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Household {
    pub system: u32,
    pub street: u16,
    pub number: u16,
    pub district: u16,
    pub sector: u8,
    pub unit: u16,
    pub members: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct Region {
    pub systems: Vec<CareSystem>,
    pub orgs: Vec<Org>,
    pub teams: Vec<Team>,
    pub staff: Vec<Staff>,
    pub patients: Vec<Patient>,
    pub households: Vec<Household>,
    /// Per organisation, the patients registered there (GP practices only).
    pub registered: Vec<Vec<u32>>,
    /// Per care system, its patients (they are numbered system by system).
    pub patient_ranges: Vec<std::ops::Range<u32>>,
    /// The calendar year the period starts in (ages count against it).
    pub year: i32,
}

impl Region {
    pub fn build(config: &SimConfig) -> Self {
        let (systems, orgs, teams, staffing) = orgs::organisations(config);
        let mut region = Region {
            registered: vec![Vec::new(); orgs.len()],
            systems,
            orgs,
            teams,
            staff: Vec::new(),
            patients: Vec::new(),
            households: Vec::new(),
            patient_ranges: Vec::new(),
            year: chrono::Datelike::year(&config.start),
        };
        people::populate(&mut region, config);
        orgs::staff_teams(&mut region, config, staffing);
        people::house_staff(&mut region, config);
        region
    }

    pub fn nhs_number(&self, patient: u32) -> String {
        ids::nhs_number(patient)
    }

    pub fn user_id(&self, staff: u32) -> String {
        ids::user_id(staff)
    }

    pub fn staff_name(&self, staff: u32) -> (&'static str, &'static str) {
        let member = &self.staff[staff as usize];
        let given = given_name(member.given, member.female);
        (names::FAMILY_NAMES[member.family as usize], given)
    }

    pub fn patient_name(&self, patient: u32) -> (&'static str, &'static str) {
        let person = &self.patients[patient as usize];
        (
            names::FAMILY_NAMES[person.family as usize],
            given_name(person.given, person.female),
        )
    }

    /// `(address line, postcode)` of a household.
    pub fn address(&self, household: u32) -> (String, String) {
        let home = &self.households[household as usize];
        let system = &self.systems[home.system as usize];
        let district = system.districts[home.district as usize % system.districts.len()];
        (
            format!(
                "{} {}",
                home.number,
                names::STREETS[home.street as usize % names::STREETS.len()]
            ),
            format!(
                "{district} {}{}",
                home.sector,
                names::unit_letters(u32::from(home.unit))
            ),
        )
    }

    /// Where a member of staff lives: their household, else an address outside the region
    /// (made up from their index, so it needs no storage).
    pub fn staff_address(&self, staff: u32) -> (String, String) {
        match self.staff[staff as usize].household {
            Some(household) => self.address(household),
            None => {
                const OUTSIDE: [&str; 6] = ["EN1", "KT2", "RM7", "DA1", "WD17", "CR0"];
                let street = names::STREETS[(staff as usize * 7) % names::STREETS.len()];
                (
                    format!("{} {street}", 1 + staff % 180),
                    format!(
                        "{} {}{}",
                        OUTSIDE[staff as usize % OUTSIDE.len()],
                        1 + staff % 9,
                        names::unit_letters(staff % 400)
                    ),
                )
            }
        }
    }

    pub fn system_of_staff(&self, staff: u32) -> u32 {
        self.orgs[self.staff[staff as usize].org as usize].system
    }

    pub fn org_of_staff(&self, staff: u32) -> &Org {
        &self.orgs[self.staff[staff as usize].org as usize]
    }

    /// The teams of a kind in an organisation.
    pub fn teams_of(&self, org: u32, kind: TeamKind) -> Vec<u32> {
        self.orgs[org as usize]
            .teams
            .iter()
            .copied()
            .filter(|team| self.teams[*team as usize].kind == kind)
            .collect()
    }

    /// The organisations of a kind in a care system.
    pub fn orgs_of(&self, system: u32, kind: OrgKind) -> Vec<u32> {
        self.orgs
            .iter()
            .enumerate()
            .filter(|(_, org)| org.kind == kind && org.system == system)
            .map(|(index, _)| index as u32)
            .collect()
    }

    /// Whether the patient is alive at the start of `day`.
    pub fn alive(&self, patient: u32, day: i32) -> bool {
        self.patients[patient as usize]
            .died
            .is_none_or(|died| died > day)
    }

    pub fn age(&self, patient: u32) -> i32 {
        self.year - i32::from(self.patients[patient as usize].birth_year)
    }
}

fn given_name(index: u16, female: bool) -> &'static str {
    let pool = if female {
        names::FEMALE_NAMES
    } else {
        names::MALE_NAMES
    };
    pool[index as usize % pool.len()]
}
