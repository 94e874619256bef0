//! Mapping tests for the relationship resources: Encounter, EpisodeOfCare, CareTeam,
//! Appointment, ServiceRequest and RelatedPerson, each with its cancelled statuses.

use super::tests::{check, reject_json, render};
use super::*;
use serde_json::{json, Value};

const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

/// The directory the relationship fixtures refer to: a practitioner (NPI 42), a role of theirs
/// at organisation RRV01, the trust RRV, its ward and a care team, and a related person.
fn directory() -> Vec<Value> {
    vec![
        json!({"resourceType": "Practitioner", "id": "dr", "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "42"}]}),
        json!({"resourceType": "PractitionerRole", "id": "r1", "practitioner": {"reference": "Practitioner/dr"},
               "organization": {"identifier": {"system": ODS, "value": "RRV01"}}}),
        json!({"resourceType": "Organization", "id": "rrv", "identifier": [{"system": ODS, "value": "RRV"}]}),
        json!({"resourceType": "Location", "id": "w7", "name": "Ward 7", "managingOrganization": {"reference": "Organization/rrv"}}),
        json!({"resourceType": "CareTeam", "id": "ct", "name": "Memory team", "managingOrganization": [{"reference": "Organization/rrv"}],
               "subject": {"reference": "Patient/someone-else"}}),
        json!({"resourceType": "RelatedPerson", "id": "rp", "patient": {"reference": "Patient/p"}}),
    ]
}

/// The `cancelled` flag of the first fact of `resource` with each status.
fn cancelled_by_status(resource: &Value, statuses: &[(&str, bool)]) {
    for (status, cancelled) in statuses {
        let mut resource = resource.clone();
        resource["status"] = json!(status);
        let mut resolver = ReferenceResolver::new();
        let bytes = serde_json::to_vec(&resource).expect("fixture");
        let facts = care_facts(&bytes, &mut resolver).expect("maps");
        let CareFact::Relationship(first) = &facts[0] else {
            panic!("a relationship: {}", render(&facts[0]));
        };
        assert_eq!(first.cancelled, *cancelled, "{status}");
    }
}

fn encounter() -> Value {
    json!({"resourceType": "Encounter", "id": "e1", "status": "finished", "subject": {"reference": "Patient/p"},
        "serviceProvider": {"reference": "Organization/rrv"},
        "participant": [
            {"individual": {"reference": "Practitioner/dr"}},
            {"individual": {"reference": "PractitionerRole/r1"}, "period": {"start": "2020-03-04T10:00:00Z"}},
            {"individual": {"reference": "RelatedPerson/rp"}},
            {"individual": {"display": "Dr Who"}}
        ],
        "period": {"start": "2020-03-04T09:00:00Z", "end": "2020-03-06"}})
}

#[test]
fn encounters_bind_the_provider_and_each_clinician() {
    check(&directory(), encounter(), &[
        "encounter fhir:Encounter/e1:serviceProvider patient=Patient/p org=RRV valid=2020-03-04T09:00:00.000Z..2020-03-07T00:00:00.000Z",
        "clinician fhir:Encounter/e1:participant:0 patient=Patient/p user=42 org=RRV valid=2020-03-04T09:00:00.000Z..2020-03-07T00:00:00.000Z",
        "clinician fhir:Encounter/e1:participant:1 patient=Patient/p user=42 org=RRV01 valid=2020-03-04T10:00:00.000Z..2020-03-07T00:00:00.000Z",
    ]);
    cancelled_by_status(
        &encounter(),
        &[
            ("planned", false),
            ("in-progress", false),
            ("finished", false),
            ("cancelled", true),
            ("entered-in-error", true),
        ],
    );
    // Nothing to bind: nothing stated, and no need for a period.
    check(
        &[],
        json!({"resourceType": "Encounter", "id": "e2", "status": "in-progress", "subject": {"reference": "Patient/p"}}),
        &[],
    );
    let mut no_period = encounter();
    no_period.as_object_mut().expect("object").remove("period");
    reject_json(no_period, "missing_period", &["Encounter.period.start"]);
    let mut group = encounter();
    group["subject"] = json!({"reference": "Group/g"});
    reject_json(group, "missing_patient", &["Encounter.subject"]);
    let mut bad_date = encounter();
    bad_date["period"] = json!({"start": "2020-03-04T09:00"});
    reject_json(
        bad_date,
        "invalid_date",
        &["Encounter.period.start", "Encounter.period.start"],
    );
}

#[test]
fn episodes_bind_organisation_manager_and_teams() {
    let episode = json!({"resourceType": "EpisodeOfCare", "id": "ep", "status": "active", "patient": {"reference": "Patient/p"},
        "managingOrganization": {"reference": "Organization/rrv"}, "careManager": {"reference": "Practitioner/dr"},
        "team": [{"reference": "CareTeam/ct"}, {"reference": "CareTeam/unknown", "display": "Falls team"}],
        "period": {"start": "2014-09-01"}});
    check(&directory(), episode.clone(), &[
        "episode_of_care fhir:EpisodeOfCare/ep:managingOrganization patient=Patient/p org=RRV valid=2014-09-01T00:00:00.000Z..open",
        "episode_of_care fhir:EpisodeOfCare/ep:careManager patient=Patient/p user=42 valid=2014-09-01T00:00:00.000Z..open",
        "episode_of_care fhir:EpisodeOfCare/ep:team:0 patient=Patient/p team=Memory team org=RRV valid=2014-09-01T00:00:00.000Z..open",
        "episode_of_care fhir:EpisodeOfCare/ep:team:1 patient=Patient/p team=Falls team valid=2014-09-01T00:00:00.000Z..open",
    ]);
    cancelled_by_status(
        &episode,
        &[
            ("active", false),
            ("finished", false),
            ("cancelled", true),
            ("entered-in-error", true),
        ],
    );
}

#[test]
fn care_teams_bind_their_carers() {
    let team = json!({"resourceType": "CareTeam", "id": "ct1", "status": "active", "name": "Stroke team",
    "subject": {"reference": "Patient/p"},
    "contained": [{"resourceType": "Practitioner", "id": "pr1", "name": [{"family": "Dietician"}]}],
    "period": {"start": "2021-01-01", "end": "2021-06-30"},
    "participant": [
        {"member": {"reference": "Patient/p"}},
        {"member": {"reference": "#pr1"}, "onBehalfOf": {"reference": "Organization/rrv"}},
        {"member": {"reference": "Organization/rrv"}},
        {"member": {"reference": "PractitionerRole/r1"}, "period": {"start": "2021-02-01"}},
        {"member": {"reference": "RelatedPerson/rp"}}
    ]});
    check(&directory(), team.clone(), &[
        "care_team fhir:CareTeam/ct1:participant:1 patient=Patient/p user=CareTeam/ct1#pr1 team=Stroke team org=RRV valid=2021-01-01T00:00:00.000Z..2021-07-01T00:00:00.000Z",
        "care_team fhir:CareTeam/ct1:participant:2 patient=Patient/p team=Stroke team org=RRV valid=2021-01-01T00:00:00.000Z..2021-07-01T00:00:00.000Z",
        "care_team fhir:CareTeam/ct1:participant:3 patient=Patient/p user=42 team=Stroke team org=RRV01 valid=2021-02-01T00:00:00.000Z..2021-07-01T00:00:00.000Z",
    ]);
    cancelled_by_status(
        &team,
        &[
            ("active", false),
            ("inactive", false),
            ("entered-in-error", true),
        ],
    );
    let mut unnamed = team.clone();
    unnamed.as_object_mut().expect("object").remove("name");
    unnamed["participant"] = json!([{"member": {"reference": "Practitioner/dr"}}]);
    check(&directory(), unnamed, &[
        "care_team fhir:CareTeam/ct1:participant:0 patient=Patient/p user=42 team=CareTeam/ct1 valid=2021-01-01T00:00:00.000Z..2021-07-01T00:00:00.000Z",
    ]);
    let mut ended_only = team;
    ended_only["period"] = json!({"end": "2013-01-01"});
    reject_json(ended_only, "missing_period", &["CareTeam.period.start"]);
}

fn appointment() -> Value {
    json!({"resourceType": "Appointment", "id": "a1", "status": "booked",
    "start": "2013-12-10T09:00:00Z", "end": "2013-12-10T11:00:00Z",
    "participant": [
        {"actor": {"reference": "Patient/p"}, "status": "accepted"},
        {"actor": {"reference": "Practitioner/dr"}, "status": "accepted"},
        {"actor": {"reference": "Location/w7"}, "status": "accepted"},
        {"actor": {"reference": "HealthcareService/hs", "display": "Phone clinic"}, "status": "tentative"},
        {"actor": {"reference": "PractitionerRole/r1"}, "status": "declined"},
        {"actor": {"display": "Phone Call"}, "status": "accepted"}
    ]})
}

#[test]
fn appointments_bind_from_a_week_before() {
    let window = "valid=2013-12-03T09:00:00.000Z..2013-12-10T11:00:00.000Z";
    check(&directory(), appointment(), &[
        &format!("appointment fhir:Appointment/a1:participant:1 patient=Patient/p user=42 {window}"),
        &format!("appointment fhir:Appointment/a1:participant:2 patient=Patient/p team=Ward 7 org=RRV {window}"),
        &format!("appointment fhir:Appointment/a1:participant:3 patient=Patient/p team=Phone clinic {window}"),
        &format!("appointment fhir:Appointment/a1:participant:4 patient=Patient/p user=42 org=RRV01 {window} cancelled=yes"),
    ]);
    let only_doctor = |start: &str, end: Option<&str>, minutes: Option<i64>| {
        let mut resource = appointment();
        resource["participant"] = json!([{"actor": {"reference": "Patient/p"}}, {"actor": {"reference": "Practitioner/dr"}}]);
        resource["start"] = json!(start);
        match end {
            Some(end) => resource["end"] = json!(end),
            None => {
                resource.as_object_mut().expect("object").remove("end");
            }
        }
        if let Some(minutes) = minutes {
            resource["minutesDuration"] = json!(minutes);
        }
        resource
    };
    check(&directory(), only_doctor("2013-12-10T09:00:00Z", None, Some(15)), &[
        "appointment fhir:Appointment/a1:participant:1 patient=Patient/p user=42 valid=2013-12-03T09:00:00.000Z..2013-12-10T09:15:00.000Z",
    ]);
    check(&directory(), only_doctor("2013-12-10", None, None), &[
        "appointment fhir:Appointment/a1:participant:1 patient=Patient/p user=42 valid=2013-12-03T00:00:00.000Z..2013-12-10T00:00:00.000Z",
    ]);
    cancelled_by_status(
        &only_doctor("2013-12-10T09:00:00Z", Some("2013-12-10T09:30:00Z"), None),
        &[
            ("proposed", false),
            ("booked", false),
            ("fulfilled", false),
            ("cancelled", true),
            ("noshow", true),
            ("entered-in-error", true),
        ],
    );
    let mut no_patient = appointment();
    no_patient["participant"] = json!([{"actor": {"reference": "Practitioner/dr"}}]);
    reject_json(no_patient, "missing_patient", &["Appointment.participant"]);
    let mut no_start = appointment();
    no_start.as_object_mut().expect("object").remove("start");
    reject_json(no_start, "missing_period", &["Appointment.start"]);
}

fn referral() -> Value {
    json!({"resourceType": "ServiceRequest", "id": "sr", "status": "active", "intent": "order",
    "subject": {"reference": "Patient/p"}, "authoredOn": "2020-01-02",
    "occurrencePeriod": {"start": "2020-02-01", "end": "2020-03"},
    "requester": {"reference": "PractitionerRole/r1"},
    "performer": [
        {"reference": "Organization/rrv"},
        {"reference": "Practitioner/dr"},
        {"reference": "CareTeam/x", "display": "Falls team"},
        {"reference": "Patient/p"}
    ]})
}

#[test]
fn referrals_bind_performers_and_requester() {
    let window = "valid=2020-01-02T00:00:00.000Z..2020-04-01T00:00:00.000Z";
    check(&directory(), referral(), &[
        &format!("referral fhir:ServiceRequest/sr:performer:0 patient=Patient/p org=RRV {window}"),
        &format!("referral fhir:ServiceRequest/sr:performer:1 patient=Patient/p user=42 {window}"),
        &format!("referral fhir:ServiceRequest/sr:performer:2 patient=Patient/p team=Falls team {window}"),
        &format!("referral fhir:ServiceRequest/sr:requester patient=Patient/p user=42 org=RRV01 {window}"),
    ]);
    let mut by_occurrence = referral();
    let object = by_occurrence.as_object_mut().expect("object");
    object.remove("authoredOn");
    object.remove("occurrencePeriod");
    object.remove("requester");
    object.insert("occurrenceDateTime".to_owned(), json!("2020-05"));
    object.insert(
        "performer".to_owned(),
        json!([{"reference": "Practitioner/dr"}]),
    );
    check(&directory(), by_occurrence.clone(), &[
        "referral fhir:ServiceRequest/sr:performer:0 patient=Patient/p user=42 valid=2020-05-01T00:00:00.000Z..open",
    ]);
    cancelled_by_status(
        &by_occurrence,
        &[
            ("draft", false),
            ("active", false),
            ("completed", false),
            ("revoked", true),
            ("entered-in-error", true),
        ],
    );
    by_occurrence
        .as_object_mut()
        .expect("object")
        .remove("occurrenceDateTime");
    reject_json(
        by_occurrence,
        "missing_period",
        &["ServiceRequest.authoredOn"],
    );
}

#[test]
fn related_persons_are_family_member_evidence() {
    let mother = json!({"resourceType": "RelatedPerson", "id": "newborn-mom",
        "identifier": [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "444222222"}],
        "patient": {"reference": "Patient/newborn"},
        "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "NMTH", "display": "natural mother"}], "text": "Natural Mother"}],
        "name": [{"family": "Everywoman", "given": ["Eve"]}]});
    check(&[], mother, &[
        "related_person fhir:RelatedPerson/newborn-mom:patient patient=Patient/newborn user=444222222 team=Natural Mother valid=1970-01-01T00:00:00.000Z..open",
    ]);
    check(
        &[],
        json!({"resourceType": "RelatedPerson", "id": "f002", "patient": {"reference": "Patient/f201"}, "period": {"start": "1975"},
               "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "SIGOTHR"}]}]}),
        &["related_person fhir:RelatedPerson/f002:patient patient=Patient/f201 user=RelatedPerson/f002 team=SIGOTHR valid=1975-01-01T00:00:00.000Z..open"],
    );
    reject_json(
        json!({"resourceType": "RelatedPerson", "id": "x"}),
        "missing_patient",
        &["RelatedPerson.patient"],
    );
}
