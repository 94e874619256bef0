//! FHIR R4 care-context resources, one NDJSON file per resource type (as a bulk export lays
//! them out): Organization, Patient (home address, a former address where one matters,
//! `deceasedDateTime`, `generalPractitioner`), RelatedPerson (the relative by NHS number),
//! Consent (objections to sharing), Appointment, ServiceRequest (referrals), EpisodeOfCare,
//! CareTeam, Encounter (ambulance patient care records).
//!
//! References are logical (`Reference.identifier` with `type`): SDS user ids for staff, ODS
//! codes for organisations, NHS numbers for patients, and the team code as the display of a
//! Location, HealthcareService or CareTeam, so every file can be loaded on its own.

use crate::care::{Appointment, CareTeamFact, EncounterFact, Episode, Referral};
use crate::events::instant;
use crate::incidents::Relation;
use crate::region::Region;
use serde_json::{json, Value};

const NHS: &str = "https://fhir.nhs.uk/Id/nhs-number";
const SDS: &str = "https://fhir.nhs.uk/Id/sds-user-id";
const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

pub fn patient_ref(region: &Region, patient: u32) -> Value {
    json!({"type": "Patient", "identifier": {"system": NHS, "value": region.nhs_number(patient)}})
}

fn staff_ref(region: &Region, staff: u32) -> Value {
    let (family, given) = region.staff_name(staff);
    json!({"type": "Practitioner", "identifier": {"system": SDS, "value": region.user_id(staff)}, "display": format!("{given} {family}")})
}

fn org_ref(region: &Region, org: u32) -> Value {
    json!({"type": "Organization", "identifier": {"system": ODS, "value": region.orgs[org as usize].code}})
}

fn day_date(start: chrono::NaiveDate, day: i32) -> String {
    (start + chrono::Duration::days(i64::from(day)))
        .format("%Y-%m-%d")
        .to_string()
}

pub fn organization(region: &Region, org: u32) -> Value {
    let organisation = &region.orgs[org as usize];
    let system = &region.systems[organisation.system as usize];
    json!({
        "resourceType": "Organization",
        "id": organisation.code,
        "identifier": [{"system": ODS, "value": organisation.code}],
        "active": true,
        "type": [{"coding": [{"system": "urn:careaudit:organisation-type", "code": organisation.kind.as_str()}]}],
        "name": organisation.name,
        "partOf": {"type": "Organization", "identifier": {"system": ODS, "value": system.code}, "display": system.name}
    })
}

/// A Patient; `former` is a household the patient lived in until `until` (a date).
pub fn patient(
    region: &Region,
    start: chrono::NaiveDate,
    patient: u32,
    former: Option<(u32, i32)>,
) -> Value {
    let person = &region.patients[patient as usize];
    let (family, given) = region.patient_name(patient);
    let (line, postcode) = region.address(person.household);
    let mut addresses =
        vec![json!({"use": "home", "line": [line], "city": "London", "postalCode": postcode})];
    if let Some((household, until)) = former {
        let (line, postcode) = region.address(household);
        addresses.push(json!({"use": "old", "line": [line], "city": "London", "postalCode": postcode, "period": {"end": day_date(start, until)}}));
    }
    let mut resource = json!({
        "resourceType": "Patient",
        "id": region.nhs_number(patient),
        "identifier": [{"system": NHS, "value": region.nhs_number(patient)}],
        "name": [{"use": "official", "family": family, "given": [given]}],
        "gender": if person.female { "female" } else { "male" },
        "birthDate": format!("{}-{:02}-{:02}", person.birth_year, patient % 12 + 1, patient % 28 + 1),
        "address": addresses,
        "generalPractitioner": [org_ref(region, person.gp)]
    });
    if let Some(died) = person.died {
        resource["deceasedDateTime"] = json!(format!("{}T12:00:00Z", day_date(start, died)));
    }
    resource
}

pub fn related_person(
    region: &Region,
    start: chrono::NaiveDate,
    id: usize,
    relation: &Relation,
) -> Value {
    let (family, given) = region.patient_name(relation.relative);
    let mut resource = json!({
        "resourceType": "RelatedPerson",
        "id": format!("rp-{id}"),
        "identifier": [{"system": NHS, "value": region.nhs_number(relation.relative)}],
        "active": relation.ended_day.is_none(),
        "patient": patient_ref(region, relation.patient),
        "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": relation.code}]}],
        "name": [{"family": family, "given": [given]}]
    });
    if let Some(ended) = relation.ended_day {
        resource["period"] = json!({"end": day_date(start, ended)});
    }
    resource
}

pub fn consent(region: &Region, patient: u32) -> Value {
    json!({
        "resourceType": "Consent",
        "id": format!("objection-{}", region.nhs_number(patient)),
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": patient_ref(region, patient),
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
        "provision": {"type": "deny"}
    })
}

pub fn appointment(region: &Region, appointment: &Appointment) -> Value {
    let end = appointment.start + i64::from(appointment.minutes) * 60_000;
    json!({
        "resourceType": "Appointment",
        "id": appointment.id,
        "status": appointment.status,
        "start": instant(appointment.start),
        "end": instant(end),
        "minutesDuration": appointment.minutes,
        "participant": [
            {"actor": patient_ref(region, appointment.patient), "status": "accepted"},
            {"actor": staff_ref(region, appointment.practitioner), "status": "accepted"},
            {"actor": {"type": "Location", "display": region.teams[appointment.team as usize].code}, "status": "accepted"}
        ]
    })
}

pub fn service_request(region: &Region, referral: &Referral) -> Value {
    let mut performer = vec![org_ref(region, referral.performer_org)];
    if let Some(team) = referral.performer_team {
        performer.push(
            json!({"type": "HealthcareService", "display": region.teams[team as usize].code}),
        );
    }
    let mut period = json!({"start": instant(referral.authored)});
    if let Some(end) = referral.end {
        period["end"] = json!(instant(end));
    }
    json!({
        "resourceType": "ServiceRequest",
        "id": referral.id,
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"}]}],
        "subject": patient_ref(region, referral.patient),
        "authoredOn": instant(referral.authored),
        "occurrencePeriod": period,
        "requester": staff_ref(region, referral.requester),
        "performer": performer
    })
}

pub fn episode_of_care(region: &Region, episode: &Episode) -> Value {
    let mut period = json!({"start": instant(episode.start)});
    if let Some(end) = episode.end {
        period["end"] = json!(instant(end));
    }
    json!({
        "resourceType": "EpisodeOfCare",
        "id": episode.id,
        "status": if episode.end.is_some() { "finished" } else { "active" },
        "patient": patient_ref(region, episode.patient),
        "managingOrganization": org_ref(region, episode.org),
        "period": period,
        "careManager": staff_ref(region, episode.manager),
        "team": [{"type": "CareTeam", "display": region.teams[episode.team as usize].code}]
    })
}

pub fn care_team(region: &Region, team: &CareTeamFact) -> Value {
    let org = region.teams[team.team as usize].org;
    let mut period = json!({"start": instant(team.start)});
    if let Some(end) = team.end {
        period["end"] = json!(instant(end));
    }
    json!({
        "resourceType": "CareTeam",
        "id": team.id,
        "status": "active",
        "name": region.teams[team.team as usize].code,
        "subject": patient_ref(region, team.patient),
        "period": period,
        "participant": team.members.iter().map(|member| json!({"member": staff_ref(region, *member), "onBehalfOf": org_ref(region, org)})).collect::<Vec<_>>(),
        "managingOrganization": [org_ref(region, org)]
    })
}

pub fn encounter(region: &Region, encounter: &EncounterFact) -> Value {
    json!({
        "resourceType": "Encounter",
        "id": encounter.id,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "FLD", "display": "field"},
        "subject": patient_ref(region, encounter.patient),
        "participant": encounter.participants.iter().map(|member| json!({"individual": staff_ref(region, *member)})).collect::<Vec<_>>(),
        "period": {"start": instant(encounter.start), "end": instant(encounter.end)},
        "serviceProvider": org_ref(region, encounter.org)
    })
}
