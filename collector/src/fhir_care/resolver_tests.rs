//! Reference resolution: each reference form against a small registry, then the fallbacks.

use super::*;
use serde_json::{json, Value};

fn register(resolver: &mut ReferenceResolver, resource: Value, full_url: Option<&str>) -> bool {
    let bytes = serde_json::to_vec(&resource).expect("fixture serialises");
    resolver.register(&bytes, full_url)
}

/// A registry holding one of each kind, as a Bundle's first pass would leave it.
fn registry() -> ReferenceResolver {
    let mut resolver = ReferenceResolver::new();
    let resources = [
        (
            json!({"resourceType": "Patient", "id": "p1", "identifier": [
                {"system": "urn:oid:1.2.3", "value": "H1"},
                {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"}]}),
            Some("urn:uuid:6d9b7b46-0000-4000-8000-000000000001"),
        ),
        (
            json!({"resourceType": "Practitioner", "id": "dr1", "identifier": [
                {"system": "http://hl7.org/fhir/sid/us-npi", "value": "9999974493"}]}),
            Some("https://ehr.example.org/fhir/Practitioner/dr1"),
        ),
        (
            json!({"resourceType": "Organization", "id": "o1", "identifier": [
                {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y12345"}]}),
            None,
        ),
        (
            json!({"resourceType": "Organization", "id": "o2", "identifier": [
                {"system": "https://github.com/synthetichealth/synthea", "value": "a261e1fc"}]}),
            None,
        ),
        (
            json!({"resourceType": "Location", "id": "l1", "name": "Ward 7",
                   "managingOrganization": {"reference": "Organization/o1"}}),
            None,
        ),
        (
            json!({"resourceType": "RelatedPerson", "id": "rp1", "patient": {"reference": "Patient/p1"}}),
            None,
        ),
    ];
    for (resource, full_url) in resources {
        assert!(register(&mut resolver, resource, full_url));
    }
    resolver
}

fn patient(id: &str) -> Option<CareKey> {
    Some(CareKey::Patient {
        patient_id: id.to_owned(),
    })
}

fn staff(user: &str, org: &str) -> Option<CareKey> {
    Some(CareKey::Staff {
        user_id: user.to_owned(),
        org_code: org.to_owned(),
    })
}

fn org(code: &str, ods: bool) -> Option<CareKey> {
    Some(CareKey::Organisation {
        org_code: code.to_owned(),
        ods,
    })
}

#[test]
fn registered_resources_answer_every_reference_form() {
    let resolver = registry();
    let cases = [
        ("Patient/p1", patient("9434765919")),
        ("Patient/p1/_history/3", patient("9434765919")),
        (
            "urn:uuid:6d9b7b46-0000-4000-8000-000000000001",
            patient("9434765919"),
        ),
        (
            "https://other.example.org/fhir/Patient/p1",
            patient("9434765919"),
        ),
        ("Patient?identifier=urn:oid:1.2.3|H1", patient("9434765919")),
        ("Patient?identifier=H1", patient("9434765919")),
        (
            "Patient?identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9434765919",
            patient("9434765919"),
        ),
        (
            "https://ehr.example.org/fhir/Practitioner/dr1",
            staff("9999974493", ""),
        ),
        ("Practitioner/dr1", staff("9999974493", "")),
        (
            "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999974493",
            staff("9999974493", ""),
        ),
        ("Organization/o1", org("Y12345", true)),
        (
            "Organization?identifier=https://github.com/synthetichealth/synthea|a261e1fc",
            org("Organization/o2", false),
        ),
        (
            "Location/l1",
            Some(CareKey::Team {
                team: "Ward 7".to_owned(),
                org_code: "Y12345".to_owned(),
            }),
        ),
        (
            "RelatedPerson/rp1",
            Some(CareKey::RelatedPerson {
                user_id: "RelatedPerson/rp1".to_owned(),
            }),
        ),
        // Not registered: nothing to look up.
        ("Patient/p2", None),
        ("urn:uuid:00000000-0000-4000-8000-000000000000", None),
        (
            "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1",
            None,
        ),
        ("Patient?name=smith", None),
        ("not a reference", None),
    ];
    for (reference, expected) in cases {
        assert_eq!(resolver.lookup(reference), expected, "{reference}");
    }
}

fn reference(value: Value) -> Reference {
    serde_json::from_value(value).expect("reference")
}

/// `(key, registered)` of a reference element, outside any container.
fn resolve(
    resolver: &ReferenceResolver,
    element: Value,
    default_type: &str,
) -> Option<(CareKey, bool)> {
    resolver
        .resolve(&reference(element), &Contained::default(), default_type)
        .map(|resolved| (resolved.key, resolved.registered))
}

#[test]
fn unresolved_references_fall_back_to_keys_of_their_own() {
    let resolver = registry();
    let cases = [
        // Literal: Type/id, whatever the server.
        (
            json!({"reference": "Practitioner/123"}),
            "Practitioner",
            staff("Practitioner/123", ""),
            false,
        ),
        (
            json!({"reference": "https://elsewhere.example/fhir/Patient/9/_history/1"}),
            "Patient",
            patient("Patient/9"),
            false,
        ),
        // Conditional and logical: the key the identifier would give.
        (
            json!({"reference": "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999999999"}),
            "Practitioner",
            staff("9999999999", ""),
            false,
        ),
        (
            json!({"reference": "Patient?identifier=urn:oid:9.9|X1"}),
            "Patient",
            patient("urn:oid:9.9|X1"),
            false,
        ),
        (
            json!({"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "900 000 0009"}}),
            "Practitioner",
            patient("9000000009"),
            false,
        ),
        (
            json!({"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RRV"}}),
            "Practitioner",
            org("RRV", true),
            false,
        ),
        // A logical reference to a registered identifier resolves even with a broken literal.
        (
            json!({"reference": "Patient/unknown", "identifier": {"system": "urn:oid:1.2.3", "value": "H1"}}),
            "Patient",
            patient("9434765919"),
            true,
        ),
        // urn:uuid outside its Bundle: the urn, as the element's default type.
        (
            json!({"reference": "urn:uuid:00000000-0000-4000-8000-000000000000"}),
            "Organization",
            org("urn:uuid:00000000-0000-4000-8000-000000000000", false),
            false,
        ),
        (
            json!({"reference": "urn:uuid:00000000-0000-4000-8000-000000000000", "type": "Patient"}),
            "Organization",
            patient("urn:uuid:00000000-0000-4000-8000-000000000000"),
            false,
        ),
        // Conditional by something else than an identifier: the reference as written.
        (
            json!({"reference": "Patient?name=smith"}),
            "Patient",
            patient("Patient?name=smith"),
            false,
        ),
        // A team falls back to its display name.
        (
            json!({"reference": "Location/unknown", "display": "South Wing, second floor"}),
            "Location",
            Some(CareKey::Team {
                team: "South Wing, second floor".to_owned(),
                org_code: String::new(),
            }),
            false,
        ),
        (
            json!({"reference": "Device/d1"}),
            "Practitioner",
            Some(CareKey::Other {
                resource_type: "Device".to_owned(),
                reference: "Device/d1".to_owned(),
            }),
            false,
        ),
    ];
    for (element, default_type, expected, registered) in cases {
        let got = resolve(&resolver, element.clone(), default_type);
        assert_eq!(got, expected.map(|key| (key, registered)), "{element}");
    }
    assert_eq!(
        resolve(&resolver, json!({"display": "Phone Call"}), "Practitioner"),
        None
    );
}

#[test]
fn roles_resolve_their_practitioner_whenever_it_is_registered() {
    let mut resolver = ReferenceResolver::new();
    let role = json!({"resourceType": "PractitionerRole", "id": "r1",
        "practitioner": {"identifier": {"system": "http://hl7.org/fhir/sid/us-npi", "value": "42"}},
        "organization": {"reference": "Organization/o1"}});
    assert!(register(&mut resolver, role, None));
    // Before the practitioner and organisation are known: keys from the references.
    assert_eq!(
        resolver.lookup("PractitionerRole/r1"),
        staff("42", "Organization/o1")
    );
    register(
        &mut resolver,
        json!({"resourceType": "Organization", "id": "o1", "identifier": [
            {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RRV"}]}),
        None,
    );
    register(
        &mut resolver,
        json!({"resourceType": "Practitioner", "id": "dr", "identifier": [
            {"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "555021935107"},
            {"system": "http://hl7.org/fhir/sid/us-npi", "value": "42"}]}),
        None,
    );
    assert_eq!(
        resolver.lookup("PractitionerRole/r1"),
        staff("555021935107", "RRV")
    );
}

#[test]
fn a_role_naming_itself_does_not_loop() {
    let mut resolver = ReferenceResolver::new();
    let role = json!({"resourceType": "PractitionerRole", "id": "r1",
        "practitioner": {"reference": "PractitionerRole/r1"}});
    assert!(register(&mut resolver, role, None));
    assert_eq!(
        resolver.lookup("PractitionerRole/r1"),
        staff("PractitionerRole/r1", "")
    );
}

#[test]
fn shared_identifier_values_are_ambiguous_without_a_system() {
    let mut resolver = ReferenceResolver::new();
    for (id, system) in [("a", "urn:oid:1"), ("b", "urn:oid:2")] {
        register(
            &mut resolver,
            json!({"resourceType": "Practitioner", "id": id, "identifier": [{"system": system, "value": "7"}]}),
            None,
        );
    }
    assert_eq!(
        resolver.lookup("Practitioner?identifier=urn:oid:2|7"),
        staff("7", "")
    );
    assert_eq!(resolver.lookup("Practitioner?identifier=7"), None);
    // Registering the same resource again is not a second resource.
    let mut resolver = ReferenceResolver::new();
    for _ in 0..2 {
        register(
            &mut resolver,
            json!({"resourceType": "Practitioner", "id": "a", "identifier": [{"system": "urn:oid:1", "value": "7"}]}),
            None,
        );
    }
    assert_eq!(resolver.lookup("Practitioner?identifier=7"), staff("7", ""));
}

#[test]
fn unusable_resources_teach_nothing() {
    let mut resolver = ReferenceResolver::new();
    let cases = [
        json!({"resourceType": "Patient", "id": "bad", "identifier": [
            {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765918"}]}),
        json!({"resourceType": "Patient"}),
        json!({"resourceType": "Observation", "id": "o"}),
        json!({"id": "x"}),
        json!(["not", "a", "resource"]),
    ];
    for resource in cases {
        assert!(
            !register(&mut resolver, resource.clone(), None),
            "{resource}"
        );
    }
    assert_eq!(resolver.lookup("Patient/bad"), None);
}

#[test]
fn literal_forms_parse() {
    let instance = |resource_type: &str, id: &str, url: Option<&str>| Literal::Instance {
        resource_type: resource_type.to_owned(),
        id: id.to_owned(),
        url: url.map(str::to_owned),
    };
    let cases = [
        ("Patient/1", instance("Patient", "1", None)),
        ("Patient/1/_history/2", instance("Patient", "1", None)),
        (
            "http://x.org/fhir/Patient/1/_history/2",
            instance("Patient", "1", Some("http://x.org/fhir/Patient/1")),
        ),
        ("#pr1", Literal::Contained("pr1".to_owned())),
        ("urn:uuid:abc", Literal::Url("urn:uuid:abc".to_owned())),
        ("fhir/Patient/1", Literal::Url("fhir/Patient/1".to_owned())),
        ("patient/1", Literal::Url("patient/1".to_owned())),
        (
            "Practitioner?identifier=|7&active=true",
            Literal::Conditional {
                resource_type: "Practitioner".to_owned(),
                identifier: Some((None, "7".to_owned())),
                raw: "Practitioner?identifier=|7&active=true".to_owned(),
            },
        ),
    ];
    for (raw, expected) in cases {
        assert_eq!(Literal::parse(raw), expected, "{raw}");
    }
}
