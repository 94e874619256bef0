//! Mapping tests for the directories (Patient, Practitioner, PractitionerRole, Organization),
//! Consent, refusals and Bundles: each a fixture through `check`/`reject`, facts compared in a
//! one-line rendering. The relationship resources are in `relationship_tests.rs`.

use super::*;
use serde_json::{json, Value};

/// One line per fact; empty fields are left out.
pub(super) fn render(fact: &CareFact) -> String {
    fn line(head: String, fields: &[(&str, String)]) -> String {
        let mut out = head;
        for (name, value) in fields.iter().filter(|(_, value)| !value.is_empty()) {
            out.push_str(&format!(" {name}={value}"));
        }
        out
    }
    let date = |date: &Option<chrono::NaiveDate>| date.map(|d| d.to_string()).unwrap_or_default();
    let flag = |set: bool, name: &str| if set { name.to_owned() } else { String::new() };
    match fact {
        CareFact::Patient(p) => line(
            format!("patient {}", p.patient_id),
            &[
                ("nhs", p.nhs_number.clone()),
                (
                    "ids",
                    match p.identifiers.len() {
                        0 => String::new(),
                        count => count.to_string(),
                    },
                ),
                (
                    "name",
                    format!("{}/{}", p.family_name, p.given_names)
                        .trim_matches('/')
                        .to_owned(),
                ),
                ("born", date(&p.birth_date)),
                ("died", date(&p.death_date)),
                (
                    "address",
                    format!("{}|{}", p.address_line, p.postcode)
                        .trim_matches('|')
                        .to_owned(),
                ),
                ("gp", p.gp_practice.clone()),
                ("vip", flag(p.vip, "yes")),
                ("confidential", flag(p.confidential, "yes")),
                ("objection", flag(p.sharing_objection, "yes")),
            ],
        ),
        // Rendered as the patient line it replaced, so the expectations read the same.
        CareFact::PatientFlag {
            patient_id, value, ..
        } => line(
            format!("patient {patient_id}"),
            &[("objection", flag(*value, "yes"))],
        ),
        CareFact::Staff(s) => line(
            format!("staff {}", s.user_id),
            &[
                (
                    "name",
                    format!("{}/{}", s.family_name, s.given_names)
                        .trim_matches('/')
                        .to_owned(),
                ),
                ("org", s.org_code.clone()),
                ("roles", s.role_codes.join(",")),
                ("title", s.job_title.clone()),
                ("team", s.team.clone()),
                (
                    "home",
                    format!("{}|{}", s.home_address_line, s.home_postcode)
                        .trim_matches('|')
                        .to_owned(),
                ),
                ("start", date(&s.start_date)),
                ("leave", date(&s.leave_date)),
            ],
        ),
        CareFact::Organisation(o) => line(
            format!("organisation {}", o.org_code),
            &[
                ("name", o.name.clone()),
                ("type", o.org_type.clone()),
                ("parent", o.parent_code.clone()),
                ("postcode", o.postcode.clone()),
            ],
        ),
        CareFact::Relationship(r) => line(
            format!(
                "{} {} patient={}",
                r.kind.as_str(),
                r.relationship_id,
                r.patient_id
            ),
            &[
                ("user", r.user_id.clone()),
                ("team", r.team.clone()),
                ("org", r.org_code.clone()),
                (
                    "valid",
                    format!(
                        "{}..{}",
                        r.valid_from,
                        r.valid_to
                            .map(|to| to.to_string())
                            .unwrap_or_else(|| "open".to_owned())
                    ),
                ),
                ("cancelled", flag(r.cancelled, "yes")),
            ],
        ),
        CareFact::PatientMerge { surviving, merged } => format!("merge {merged} -> {surviving}"),
    }
}

/// Registers `known` (as earlier resources), maps `resource`, compares the rendered facts.
pub(super) fn check(known: &[Value], resource: Value, expected: &[&str]) {
    let mut resolver = ReferenceResolver::new();
    for earlier in known {
        let bytes = serde_json::to_vec(earlier).expect("fixture serialises");
        care_facts(&bytes, &mut resolver).expect("earlier resource maps");
    }
    let bytes = serde_json::to_vec(&resource).expect("fixture serialises");
    match care_facts(&bytes, &mut resolver) {
        Ok(facts) => {
            let rendered: Vec<String> = facts.iter().map(render).collect();
            assert_eq!(rendered, expected, "{resource}");
        }
        Err(error) => panic!("expected facts, got {:?}", error.issues),
    }
}

/// Maps `body` and expects a refusal with `reason_code` and these issue expressions.
pub(super) fn reject(body: &[u8], reason_code: &str, expressions: &[&str]) {
    let error = care_facts(body, &mut ReferenceResolver::new()).expect_err("expected a refusal");
    assert_eq!(error.reason_code, reason_code, "{:?}", error.issues);
    let found: Vec<&str> = error
        .issues
        .iter()
        .flat_map(|issue| issue.expression.iter().map(String::as_str))
        .collect();
    assert_eq!(found, expressions, "{:?}", error.issues);
}

pub(super) fn reject_json(resource: Value, reason_code: &str, expressions: &[&str]) {
    reject(
        &serde_json::to_vec(&resource).expect("fixture"),
        reason_code,
        expressions,
    );
}

const NHS: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

fn gp_practice() -> Value {
    json!({"resourceType": "Organization", "id": "gp", "name": "The Surgery",
           "identifier": [{"system": ODS, "value": "Y12345"}]})
}

#[test]
fn patients_are_keyed_by_nhs_number_with_their_registration() {
    let patient = json!({
        "resourceType": "Patient", "id": "p1",
        "meta": {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}]},
        "identifier": [{"system": "urn:oid:1.2.3", "value": "H1"}, {"system": NHS, "value": "943 476 5919"}],
        "name": [{"use": "maiden", "family": "Jones"}, {"use": "official", "family": "Smith", "given": ["Ann", "Marie"]}],
        "birthDate": "1974-12-25", "deceasedDateTime": "2015-02-14T13:42:00+10:00",
        "address": [{"use": "old", "line": ["1 Old Road"]}, {"use": "home", "line": ["2 New Road", "Leeds"], "postalCode": "LS1 4AP"}],
        "generalPractitioner": [{"reference": "Organization/gp"}, {"reference": "Practitioner/dr"}],
        "link": [{"other": {"reference": "Patient/old"}, "type": "replaces"}, {"other": {"reference": "Patient/x"}, "type": "seealso"}]
    });
    check(&[gp_practice()], patient, &[
        "patient 9434765919 nhs=9434765919 ids=2 name=Smith/Ann Marie born=1974-12-25 died=2015-02-14 address=2 New Road, Leeds|LS1 4AP gp=Y12345 confidential=yes",
        "registration fhir:Patient/p1:generalPractitioner:0 patient=9434765919 org=Y12345 valid=1970-01-01T00:00:00.000Z..open",
        "registration fhir:Patient/p1:generalPractitioner:1 patient=9434765919 user=Practitioner/dr valid=1970-01-01T00:00:00.000Z..open",
        "merge Patient/old -> 9434765919",
    ]);
}

#[test]
fn patient_keys_and_flags() {
    let cases = [
        // No NHS number: system|value of the first identifier with a value.
        (
            json!({"resourceType": "Patient", "id": "a", "identifier": [{"system": "urn:oid:1"}, {"system": "urn:oid:1", "value": "7"}]}),
            "patient urn:oid:1|7 ids=1",
        ),
        // No identifier: Patient/<id>; a partial birth date is no date.
        (
            json!({"resourceType": "Patient", "id": "b", "birthDate": "1975"}),
            "patient Patient/b",
        ),
        // GP by logical reference (as the NHS PDS writes it); very restricted; VIP by importance.
        (
            json!({"resourceType": "Patient", "id": "c",
                   "meta": {"security": [{"code": "V"}]},
                   "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-importance",
                                  "valueCodeableConcept": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-PatientImportance", "code": "VIP"}]}}],
                   "generalPractitioner": [{"type": "Organization", "identifier": {"system": ODS, "value": "A81001"}}]}),
            "patient Patient/c gp=A81001 vip=yes confidential=yes",
        ),
        // Celebrity label → VIP; a normal confidentiality label is nothing.
        (
            json!({"resourceType": "Patient", "id": "d", "meta": {"security": [
                {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "CEL"},
                {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N"}]}}),
            "patient Patient/d vip=yes",
        ),
        // A GP organisation without an ODS code is a registration but no gp_practice.
        (
            json!({"resourceType": "Patient", "id": "e", "generalPractitioner": [{"reference": "Organization/1"}],
                   "link": [{"other": {"reference": "Patient/new"}, "type": "replaced-by"}]}),
            "patient Patient/e",
        ),
    ];
    for (resource, expected) in cases {
        let mut resolver = ReferenceResolver::new();
        let bytes = serde_json::to_vec(&resource).expect("fixture");
        let facts = care_facts(&bytes, &mut resolver).expect("maps");
        assert_eq!(render(&facts[0]), expected, "{resource}");
    }
    check(
        &[],
        json!({"resourceType": "Patient", "id": "e", "generalPractitioner": [{"reference": "Organization/1"}],
               "link": [{"other": {"reference": "Patient/new"}, "type": "replaced-by"}]}),
        &[
            "patient Patient/e",
            "registration fhir:Patient/e:generalPractitioner:0 patient=Patient/e org=Organization/1 valid=1970-01-01T00:00:00.000Z..open",
            "merge Patient/e -> Patient/new",
        ],
    );
}

#[test]
fn refusals_name_every_problem() {
    reject(b"{not json", "invalid_json", &[]);
    reject(b"[1]", "invalid_json", &[]);
    reject_json(json!({"id": "x"}), "wrong_resource_type", &["resourceType"]);
    reject_json(
        json!({"resourceType": "Observation", "id": "x"}),
        "unsupported_resource_type",
        &["resourceType"],
    );
    reject_json(
        json!({"resourceType": "Patient"}),
        "missing_identity",
        &["Patient.identifier"],
    );
    reject_json(
        json!({"resourceType": "Patient", "id": "p", "identifier": [{"system": "urn:oid:1", "value": "1"}, {"system": NHS, "value": "9434765918"}]}),
        "invalid_nhs_number",
        &["Patient.identifier[1].value"],
    );
    reject_json(
        json!({"resourceType": "Patient", "id": "p", "birthDate": "25/12/1974", "deceasedDateTime": "2015-02-14T13:42:00"}),
        "invalid_date",
        &["Patient.birthDate", "Patient.deceasedDateTime"],
    );
    reject_json(
        json!({"resourceType": "Patient", "id": "p", "identifier": "H1"}),
        "invalid_structure",
        &["Patient.identifier"],
    );
    reject_json(
        json!({"resourceType": "Practitioner"}),
        "missing_identity",
        &["Practitioner.identifier"],
    );
    reject_json(
        json!({"resourceType": "Organization", "name": "x"}),
        "missing_identity",
        &["Organization.identifier"],
    );
}

#[test]
fn practitioners_roles_and_organisations() {
    let practitioner = json!({"resourceType": "Practitioner", "id": "dr",
        "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "42"}, {"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "555021935107"}],
        "name": [{"text": "Dr Adam Careful"}],
        "address": [{"use": "work", "line": ["Hospital Road"], "postalCode": "LS1 3EX"}, {"use": "home", "line": ["3 Home Lane"], "postalCode": "LS6 1AA"}]});
    check(
        &[],
        practitioner.clone(),
        &["staff 555021935107 name=Dr Adam Careful home=3 Home Lane|LS6 1AA"],
    );
    // A work address (or one without a use) is not a home address.
    check(
        &[],
        json!({"resourceType": "Practitioner", "id": "x", "name": [{"family": "Emard", "given": ["Irvin"]}],
               "address": [{"line": ["1201 W 12TH AVE"], "postalCode": "668012504"}]}),
        &["staff Practitioner/x name=Emard/Irvin"],
    );
    let trust = json!({"resourceType": "Organization", "id": "rrv", "name": "UCLH",
        "identifier": [{"system": ODS, "value": "RRV"}],
        "type": [{"coding": [{"system": "http://snomed.info/sct", "code": "405608006"}, {"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "prov"}]}],
        "address": [{"line": ["235 Euston Road"]}, {"postalCode": "NW1 2BU"}]});
    check(
        &[],
        trust.clone(),
        &["organisation RRV name=UCLH type=prov postcode=NW1 2BU"],
    );
    check(
        std::slice::from_ref(&trust),
        json!({"resourceType": "Organization", "id": "cardio", "name": "Cardiology", "partOf": {"reference": "Organization/rrv"},
               "type": [{"coding": [{"system": "urn:local", "code": "ward"}]}]}),
        &["organisation Organization/cardio name=Cardiology type=ward parent=RRV"],
    );
    let ward = json!({"resourceType": "Location", "id": "w7", "name": "Ward 7", "managingOrganization": {"reference": "Organization/rrv"}});
    check(&[], ward.clone(), &[]);
    check(
        &[practitioner.clone(), trust.clone(), ward],
        json!({"resourceType": "PractitionerRole", "id": "r1",
               "practitioner": {"reference": "Practitioner/dr"}, "organization": {"reference": "Organization/rrv"},
               "code": [{"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/NHSRBACRole", "code": "R8000", "display": "Clinical Practitioner Access Role"}]},
                        {"coding": [{"code": "R8003"}]}],
               "healthcareService": [{"reference": "HealthcareService/unknown"}],
               "location": [{"reference": "Location/w7"}],
               "period": {"start": "2012-01-01", "end": "2012-03"}}),
        &["staff 555021935107 org=RRV roles=R8000,R8003 title=Clinical Practitioner Access Role team=Ward 7 start=2012-01-01"],
    );
    // Without a practitioner: the role's own identity; a displayed service names the team.
    check(
        &[],
        json!({"resourceType": "PractitionerRole", "id": "r2",
               "healthcareService": [{"reference": "HealthcareService/h", "display": "Memory clinic"}]}),
        &["staff PractitionerRole/r2 team=Memory clinic"],
    );
}

#[test]
fn consents_state_the_sharing_objection() {
    let consent = |status: &str, policy: &str, provision: Value| {
        json!({"resourceType": "Consent", "id": "c", "status": status,
               "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
               "patient": {"identifier": {"system": NHS, "value": "9434765919"}},
               "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": policy}]},
               "provision": provision})
    };
    let objection = "patient 9434765919 objection=yes";
    let none = "patient 9434765919";
    check(
        &[],
        consent("active", "OPTIN", json!({"type": "deny"})),
        &[objection],
    );
    check(&[], consent("active", "OPTOUT", json!({})), &[objection]);
    check(
        &[],
        consent("active", "OPTOUT", json!({"type": "permit"})),
        &[none],
    );
    check(
        &[],
        consent("active", "OPTIN", json!({"provision": [{"type": "deny"}]})),
        &[none],
    );
    check(&[], consent("inactive", "OPTOUT", json!({})), &[none]);
    check(
        &[],
        consent("entered-in-error", "OPTIN", json!({"type": "deny"})),
        &[none],
    );
    reject_json(
        consent("draft", "OPTOUT", json!({})),
        "consent_not_in_force",
        &["Consent.status"],
    );
    reject_json(
        consent("inactive", "OPTIN", json!({})),
        "consent_not_in_force",
        &["Consent.status"],
    );
    reject_json(
        consent("active", "OPTINR2", json!({})),
        "consent_unclear",
        &["Consent.provision.type"],
    );
    let mut research = consent("active", "OPTOUT", json!({}));
    research["scope"] = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "research"}]});
    reject_json(research, "not_privacy_consent", &["Consent.scope"]);
    let mut by_category = consent("active", "OPTOUT", json!({}));
    by_category.as_object_mut().expect("object").remove("scope");
    by_category["category"] =
        json!([{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}]);
    check(&[], by_category, &[objection]);
    let mut no_patient = consent("active", "OPTOUT", json!({}));
    no_patient
        .as_object_mut()
        .expect("object")
        .remove("patient");
    reject_json(no_patient, "missing_patient", &["Consent.patient"]);
}

#[test]
fn bundles_resolve_urn_uuids_in_any_order() {
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:e1", "resource": {"resourceType": "Encounter", "id": "e1", "status": "finished",
            "subject": {"reference": "urn:uuid:p1"},
            "participant": [{"individual": {"reference": "urn:uuid:dr1"}}],
            "period": {"start": "2011-08-02T05:22:30+00:00", "end": "2011-08-02T05:37:30+00:00"},
            "serviceProvider": {"reference": "urn:uuid:o1"}}},
        {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1",
            "identifier": [{"system": "https://github.com/synthetichealth/synthea", "value": "794eb821"}]}},
        {"fullUrl": "urn:uuid:dr1", "resource": {"resourceType": "Practitioner", "id": "dr1",
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "130"}]}},
        {"fullUrl": "urn:uuid:o1", "resource": {"resourceType": "Organization", "id": "o1", "name": "Baystate"}},
        {"fullUrl": "urn:uuid:x", "resource": {"resourceType": "Observation", "id": "x"}},
        {"fullUrl": "urn:uuid:y"}
    ]});
    let results =
        bundle_care_facts(&serde_json::to_vec(&bundle).expect("fixture")).expect("a bundle");
    let rendered: Vec<(usize, Vec<String>)> = results
        .iter()
        .map(|(index, result)| {
            let lines = match result {
                Ok(facts) => facts.iter().map(render).collect(),
                Err(error) => vec![format!("refused:{}", error.reason_code)],
            };
            (*index, lines)
        })
        .collect();
    let patient = "https://github.com/synthetichealth/synthea|794eb821";
    assert_eq!(rendered, vec![
        (0, vec![
            format!("encounter fhir:Encounter/e1:serviceProvider patient={patient} org=Organization/o1 valid=2011-08-02T05:22:30.000Z..2011-08-02T05:37:30.000Z"),
            format!("clinician fhir:Encounter/e1:participant:0 patient={patient} user=130 org=Organization/o1 valid=2011-08-02T05:22:30.000Z..2011-08-02T05:37:30.000Z"),
        ]),
        (1, vec![format!("patient {patient} ids=1")]),
        (2, vec!["staff 130".to_owned()]),
        (3, vec!["organisation Organization/o1 name=Baystate".to_owned()]),
        (4, vec!["refused:unsupported_resource_type".to_owned()]),
        (5, vec!["refused:missing_resource".to_owned()]),
    ]);

    let not_a_bundle =
        serde_json::to_vec(&json!({"resourceType": "Patient", "id": "p"})).expect("fixture");
    let error = bundle_care_facts(&not_a_bundle).expect_err("not a bundle");
    assert_eq!(error.reason_code, "wrong_resource_type");
    assert_eq!(
        bundle_care_facts(b"[]")
            .expect_err("not JSON object")
            .reason_code,
        "invalid_json"
    );
}

#[test]
fn resources_without_an_id_are_named_by_identifier_or_digest() {
    let encounter = |identifier: Value| {
        json!({"resourceType": "Encounter", "status": "finished", "identifier": identifier,
               "subject": {"reference": "Patient/p"}, "serviceProvider": {"reference": "Organization/o"},
               "period": {"start": "2020"}})
    };
    check(&[], encounter(json!([{"system": "urn:visits", "value": "v1"}])), &[
        "encounter fhir:Encounter?identifier=urn:visits|v1:serviceProvider patient=Patient/p org=Organization/o valid=2020-01-01T00:00:00.000Z..open",
    ]);
    let bytes = serde_json::to_vec(&encounter(json!([]))).expect("fixture");
    let first = care_facts(&bytes, &mut ReferenceResolver::new()).expect("maps");
    let again = care_facts(&bytes, &mut ReferenceResolver::new()).expect("maps");
    assert_eq!(
        first, again,
        "a byte-identical resend names the same relationship"
    );
    let CareFact::Relationship(relationship) = &first[0] else {
        panic!("a relationship")
    };
    assert!(
        relationship
            .relationship_id
            .starts_with("fhir:Encounter#sha256:"),
        "{}",
        relationship.relationship_id
    );
}
