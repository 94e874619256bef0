//! The organisations of each integrated care system, their teams, and the staff of each team
//! with a national RBAC role and a shift pattern. Team sizes scale from one acute trust's staff
//! (`acute_trust_staff`), in proportions taken from how the London Care Record's users divide
//! between sectors (hospitals first, then community, mental health, primary care).

use super::{CareSystem, Org, OrgKind, Region, Role, Shift, Staff, Team, TeamKind};
use crate::config::SimConfig;
use crate::names;
use crate::rng;
use rand::Rng;

const DOCTOR: Role = Role {
    code: "R8000",
    job: "Doctor",
    senior: false,
};
const CONSULTANT: Role = Role {
    code: "R8000",
    job: "Consultant",
    senior: true,
};
const GP: Role = Role {
    code: "R8000",
    job: "General Practitioner",
    senior: true,
};
const NURSE: Role = Role {
    code: "R8001",
    job: "Nurse",
    senior: false,
};
const PROFESSIONAL: Role = Role {
    code: "R8003",
    job: "Health Professional",
    senior: false,
};
const PHARMACIST: Role = Role {
    code: "R8003",
    job: "Pharmacist",
    senior: false,
};
const PARAMEDIC: Role = Role {
    code: "R8003",
    job: "Paramedic",
    senior: false,
};
const SOCIAL_WORKER: Role = Role {
    code: "R8003",
    job: "Social Worker",
    senior: true,
};
const ADMIN: Role = Role {
    code: "R8008",
    job: "Administrator",
    senior: false,
};

/// Specialties with outpatient clinics, and the wards of an acute trust.
pub const SPECIALTIES: [&str; 8] = [
    "CARD", "RESP", "GAST", "ORTH", "DERM", "ENDO", "NEUR", "UROL",
];

/// A team to create: kind, code suffix, head count, and the mix of roles (role, share).
struct TeamPlan {
    kind: TeamKind,
    suffix: String,
    size: u32,
    roles: &'static [(Role, f64)],
    shift: Shift,
}

const HOSPITAL_MIX: &[(Role, f64)] = &[
    (CONSULTANT, 0.1),
    (DOCTOR, 0.22),
    (NURSE, 0.6),
    (ADMIN, 0.08),
];
const CLINIC_MIX: &[(Role, f64)] = &[
    (CONSULTANT, 0.25),
    (DOCTOR, 0.15),
    (NURSE, 0.4),
    (ADMIN, 0.2),
];
const MH_MIX: &[(Role, f64)] = &[(CONSULTANT, 0.15), (NURSE, 0.5), (PROFESSIONAL, 0.35)];

/// What [`organisations`] builds: the systems, organisations, teams, and per team (same order)
/// how to staff it.
pub(super) type Organisations = (Vec<CareSystem>, Vec<Org>, Vec<Team>, Vec<PlanKey>);

pub(super) fn organisations(config: &SimConfig) -> Organisations {
    let mut systems = Vec::new();
    let mut orgs: Vec<Org> = Vec::new();
    let mut teams: Vec<Team> = Vec::new();
    let mut staffing: Vec<PlanKey> = Vec::new();
    let mut add = |org: Org, plans: Vec<TeamPlan>, orgs: &mut Vec<Org>| {
        let index = orgs.len() as u32;
        let mut org = org;
        for plan in plans {
            org.teams.push(teams.len() as u32);
            teams.push(Team {
                org: index,
                code: format!("{}-{}", org.code, plan.suffix),
                kind: plan.kind,
                members: Vec::new(),
            });
            staffing.push((plan.size, plan.roles, plan.shift));
        }
        orgs.push(org);
    };
    let acute = config.acute_trust_staff;
    let share = |fraction: f64| ((f64::from(acute) * fraction).round() as u32).max(2);
    for system in 0..config.care_systems {
        let letter = char::from(b'A' + (system % 26) as u8);
        systems.push(CareSystem {
            code: format!("Q{letter}{}", system % 10),
            name: names::SYSTEM_NAMES
                .get(system as usize)
                .map(|name| (*name).to_owned())
                .unwrap_or_else(|| format!("Care System {}", system + 1)),
            node: format!("exchange-node-{}", system + 1),
            atna: config.atna_node_every > 0 && (system + 1) % config.atna_node_every == 0,
            districts: names::DISTRICTS[system as usize % names::DISTRICTS.len()],
        });
        let org = |code: String, name: String, kind: OrgKind| Org {
            code,
            name,
            kind,
            system,
            teams: Vec::new(),
        };
        for practice in 0..config.gp_practices_per_system {
            let code = format!("{}{:05}", letter, 81_000 + practice);
            let street =
                names::STREETS[(practice as usize * 3 + system as usize) % names::STREETS.len()];
            add(
                org(
                    code,
                    format!("{street} Medical Practice"),
                    OrgKind::GpPractice,
                ),
                vec![plan(
                    TeamKind::Surgery,
                    "GP",
                    10,
                    &[(GP, 0.4), (NURSE, 0.2), (ADMIN, 0.4)],
                    Shift::GP,
                )],
                &mut orgs,
            );
        }
        for trust in 0..config.acute_trusts_per_system {
            let code = format!("R{letter}{}", trust + 1);
            let wards = (acute / 220).max(3);
            let mut plans = vec![
                plan(
                    TeamKind::Emergency,
                    "ED",
                    share(0.12),
                    HOSPITAL_MIX,
                    Shift::Rota { offset: 0 },
                ),
                plan(
                    TeamKind::AssessmentUnit,
                    "AMU",
                    share(0.08),
                    HOSPITAL_MIX,
                    Shift::Rota { offset: 0 },
                ),
            ];
            for ward in 0..wards {
                plans.push(plan(
                    TeamKind::Ward,
                    &format!("W{:02}", ward + 1),
                    share(0.45) / wards,
                    HOSPITAL_MIX,
                    Shift::Rota { offset: 0 },
                ));
            }
            for specialty in SPECIALTIES {
                plans.push(plan(
                    TeamKind::Clinic,
                    &format!("OP-{specialty}"),
                    share(0.2) / 8,
                    CLINIC_MIX,
                    Shift::CLINIC,
                ));
            }
            plans.push(plan(
                TeamKind::HospitalPharmacy,
                "PHARM",
                share(0.05),
                &[(PHARMACIST, 1.0)],
                Shift::Office {
                    start: 8 * 60 + 30,
                    end: 17 * 60,
                    saturday: true,
                },
            ));
            plans.push(plan(
                TeamKind::Secretaries,
                "SEC",
                share(0.08),
                &[(ADMIN, 1.0)],
                Shift::CLINIC,
            ));
            let name = format!(
                "{} University Hospitals NHS Trust {}",
                systems[system as usize].name,
                trust + 1
            );
            add(org(code, name, OrgKind::AcuteTrust), plans, &mut orgs);
        }
        let mental = vec![
            plan(
                TeamKind::MentalHealthCommunity,
                "CMHT1",
                share(0.08),
                MH_MIX,
                Shift::CLINIC,
            ),
            plan(
                TeamKind::MentalHealthCommunity,
                "CMHT2",
                share(0.08),
                MH_MIX,
                Shift::CLINIC,
            ),
            plan(
                TeamKind::MentalHealthCommunity,
                "CMHT3",
                share(0.08),
                MH_MIX,
                Shift::CLINIC,
            ),
            plan(
                TeamKind::MentalHealthWard,
                "MHW1",
                share(0.1),
                MH_MIX,
                Shift::Rota { offset: 0 },
            ),
            plan(
                TeamKind::Crisis,
                "CRISIS",
                share(0.05),
                MH_MIX,
                Shift::Rota { offset: 0 },
            ),
        ];
        let system_name = systems[system as usize].name.clone();
        add(
            org(
                format!("T{letter}1"),
                format!("{system_name} Mental Health NHS Trust"),
                OrgKind::MentalHealthTrust,
            ),
            mental,
            &mut orgs,
        );
        let community = (1..=4)
            .map(|team| {
                plan(
                    TeamKind::DistrictNursing,
                    &format!("DN{team}"),
                    share(0.08),
                    &[(NURSE, 0.85), (PROFESSIONAL, 0.15)],
                    Shift::COMMUNITY,
                )
            })
            .collect();
        add(
            org(
                format!("T{letter}2"),
                format!("{system_name} Community Health NHS Trust"),
                OrgKind::CommunityTrust,
            ),
            community,
            &mut orgs,
        );
        let social = (1..=2)
            .map(|team| {
                plan(
                    TeamKind::SocialWork,
                    &format!("ASC{team}"),
                    share(0.06),
                    &[(SOCIAL_WORKER, 0.8), (ADMIN, 0.2)],
                    Shift::CLINIC,
                )
            })
            .collect();
        add(
            org(
                format!("LA{letter}1"),
                format!("{system_name} Council Adult Social Care"),
                OrgKind::SocialCare,
            ),
            social,
            &mut orgs,
        );
        add(
            org(
                format!("Y{letter}1"),
                format!("{system_name} GP Out of Hours"),
                OrgKind::OutOfHours,
            ),
            vec![plan(
                TeamKind::OutOfHoursGp,
                "OOH",
                share(0.03),
                &[(GP, 1.0)],
                Shift::OutOfHours { offset: 0 },
            )],
            &mut orgs,
        );
        for pharmacy in 0..(config.gp_practices_per_system / 2).max(1) {
            add(
                org(
                    format!("F{letter}{:03}", 100 + pharmacy),
                    format!(
                        "{} Pharmacy",
                        names::FAMILY_NAMES
                            [(pharmacy as usize * 5 + 3) % names::FAMILY_NAMES.len()]
                    ),
                    OrgKind::Pharmacy,
                ),
                vec![plan(
                    TeamKind::CommunityPharmacy,
                    "RX",
                    2,
                    &[(PHARMACIST, 0.5), (ADMIN, 0.5)],
                    Shift::Office {
                        start: 9 * 60,
                        end: 18 * 60,
                        saturday: true,
                    },
                )],
                &mut orgs,
            );
        }
    }
    // Region-wide services: one ambulance trust with a crew base per system, one NHS 111.
    let crews = (0..config.care_systems)
        .map(|system| {
            plan(
                TeamKind::AmbulanceCrew,
                &format!("CREW{}", system + 1),
                share(0.06) * config.acute_trusts_per_system,
                &[(PARAMEDIC, 1.0)],
                Shift::Rota { offset: 0 },
            )
        })
        .collect();
    add(
        Org {
            code: "RRU".to_owned(),
            name: "Regional Ambulance Service NHS Trust".to_owned(),
            kind: OrgKind::Ambulance,
            system: 0,
            teams: Vec::new(),
        },
        crews,
        &mut orgs,
    );
    add(
        Org {
            code: "NLO".to_owned(),
            name: "Regional NHS 111 Service".to_owned(),
            kind: OrgKind::Nhs111,
            system: 0,
            teams: Vec::new(),
        },
        vec![plan(
            TeamKind::CallCentre,
            "CAS",
            share(0.02) * config.care_systems,
            &[(DOCTOR, 0.3), (NURSE, 0.7)],
            Shift::Rota { offset: 0 },
        )],
        &mut orgs,
    );
    (systems, orgs, teams, staffing)
}

fn plan(
    kind: TeamKind,
    suffix: &str,
    size: u32,
    roles: &'static [(Role, f64)],
    shift: Shift,
) -> TeamPlan {
    TeamPlan {
        kind,
        suffix: suffix.to_owned(),
        size: size.max(2),
        roles,
        shift,
    }
}

/// How to staff a team: head count, role mix, shift pattern.
pub(super) type PlanKey = (u32, &'static [(Role, f64)], Shift);

/// Creates the staff of every team (names are placeholders until [`super::people`] houses
/// them: staff who live in the region take the name of the patient they are).
pub(super) fn staff_teams(region: &mut Region, config: &SimConfig, plans: Vec<PlanKey>) {
    let mut rng = rng::stream(config.seed, "staff", 0);
    for (team_index, (size, roles, shift)) in plans.into_iter().enumerate() {
        let org = region.teams[team_index].org;
        for member in 0..size {
            let position = (f64::from(member) + 0.5) / f64::from(size);
            let mut cumulative = 0.0;
            let role = roles
                .iter()
                .find(|(_, share)| {
                    cumulative += share;
                    position < cumulative
                })
                .or(roles.last())
                .map(|(role, _)| *role)
                .unwrap_or(ADMIN);
            let index = region.staff.len() as u32;
            let shift = match shift {
                Shift::Rota { .. } if role.job == "Administrator" => Shift::CLINIC,
                Shift::Rota { .. } => Shift::Rota {
                    offset: (index % 8) as u8,
                },
                Shift::OutOfHours { .. } => Shift::OutOfHours {
                    offset: (index % 3) as u8,
                },
                office => office,
            };
            let start_day = if rng.gen_bool(0.02) {
                rng.gen_range(0..config.days as i32)
            } else {
                -rng.gen_range(30..4_000)
            };
            let leave_day = rng
                .gen_bool(0.02)
                .then(|| rng.gen_range(1..config.days as i32))
                .filter(|leave| *leave > start_day + 7);
            region.staff.push(Staff {
                family: rng.gen_range(0..names::FAMILY_NAMES.len()) as u16,
                given: rng.gen_range(0..200),
                female: rng.gen_bool(0.7),
                org,
                team: team_index as u32,
                role,
                shift,
                household: None,
                patient: None,
                start_day,
                leave_day,
            });
            region.teams[team_index].members.push(index);
        }
    }
}
