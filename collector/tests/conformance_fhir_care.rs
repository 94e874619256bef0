//! Conformance of the FHIR care-context mapping over the third-party samples in
//! `../shared/testdata` (read in place, never copied): the FHIR R4 specification's
//! care-relationship and Consent examples, Synthea's bulk NDJSON export (10 patients, references
//! by conditional reference across files) and Synthea's per-patient transaction Bundles
//! (references by `urn:uuid:`). Every spec file is listed with the facts it must map to, or the
//! reason it is refused: a new file fails the test until someone decides what it should map to.
//! The large Synthea files are checked by summary (facts by kind), by cross-file resolution
//! (no key is a fallback) and by a few rows asserted in full.

use collector::{
    bundle_care_facts, fhir_care_facts as care_facts, MappingError, ReferenceResolver,
};
use domain::CareFact;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata");

fn folder(relative: &str) -> PathBuf {
    let path = Path::new(TESTDATA).join(relative);
    assert!(
        path.is_dir(),
        "third-party test data not found at {} (CI keeps shared/ beside the repository)",
        path.display()
    );
    path
}

/// The files of a folder whose names start with `prefix`, sorted.
fn files(relative: &str, prefix: &str) -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(folder(relative))
        .expect("test data folder is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter_map(|path| {
            let name = path.file_name()?.to_string_lossy().into_owned();
            name.starts_with(prefix).then_some((name, path))
        })
        .collect();
    found.sort();
    found
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// One line per fact, empty fields left out (the unit tests' rendering).
fn render(fact: &CareFact) -> String {
    fn line(head: String, fields: &[(&str, String)]) -> String {
        let mut out = head;
        for (name, value) in fields.iter().filter(|(_, value)| !value.is_empty()) {
            out.push_str(&format!(" {name}={value}"));
        }
        out
    }
    let date = |date: &Option<chrono::NaiveDate>| date.map(|d| d.to_string()).unwrap_or_default();
    let flag = |set: bool| if set { "yes".to_owned() } else { String::new() };
    let pair = |a: &str, b: &str, separator: char| {
        format!("{a}{separator}{b}")
            .trim_matches(separator)
            .to_owned()
    };
    match fact {
        // Rendered as the patient line a flag statement replaced, so expectations read alike.
        CareFact::PatientFlag {
            patient_id, value, ..
        } => line(
            format!("patient {patient_id}"),
            &[("objection", flag(*value))],
        ),
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
                ("name", pair(&p.family_name, &p.given_names, '/')),
                ("born", date(&p.birth_date)),
                ("died", date(&p.death_date)),
                ("address", pair(&p.address_line, &p.postcode, '|')),
                ("gp", p.gp_practice.clone()),
                ("vip", flag(p.vip)),
                ("confidential", flag(p.confidential)),
                ("objection", flag(p.sharing_objection)),
            ],
        ),
        CareFact::Staff(s) => line(
            format!("staff {}", s.user_id),
            &[
                ("name", pair(&s.family_name, &s.given_names, '/')),
                ("org", s.org_code.clone()),
                ("roles", s.role_codes.join(",")),
                ("title", s.job_title.clone()),
                ("team", s.team.clone()),
                ("home", pair(&s.home_address_line, &s.home_postcode, '|')),
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
                ("cancelled", flag(r.cancelled)),
            ],
        ),
        CareFact::PatientMerge { surviving, merged } => format!("merge {merged} -> {surviving}"),
    }
}

fn outcome(result: &Result<Vec<CareFact>, MappingError>) -> Vec<String> {
    match result {
        Ok(facts) => facts.iter().map(render).collect(),
        Err(error) => vec![format!("refused:{}", error.reason_code)],
    }
}

/// `kind -> count` over results: facts by kind, refusals by reason.
fn summary<'a>(
    results: impl IntoIterator<Item = &'a Result<Vec<CareFact>, MappingError>>,
) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for result in results {
        match result {
            Ok(facts) => {
                for fact in facts {
                    let kind = match fact {
                        CareFact::Patient(_) | CareFact::PatientFlag { .. } => "patient".to_owned(),
                        CareFact::Staff(_) => "staff".to_owned(),
                        CareFact::Organisation(_) => "organisation".to_owned(),
                        CareFact::Relationship(r) => r.kind.as_str().to_owned(),
                        CareFact::PatientMerge { .. } => "merge".to_owned(),
                    };
                    *counts.entry(kind).or_default() += 1;
                }
            }
            Err(error) => {
                *counts
                    .entry(format!("refused:{}", error.reason_code))
                    .or_default() += 1
            }
        }
    }
    counts
}

fn show(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(kind, count)| format!("{kind}={count}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn spec_examples_map_as_expected() {
    let mut samples = files("fhir/r4-spec/care-relationship", "")
        .into_iter()
        .map(|(name, path)| (format!("care-relationship/{name}"), path))
        .collect::<Vec<_>>();
    // The Provenance files beside the Consents say nothing about care context.
    samples.extend(
        files("fhir/r4-spec/other", "Consent-")
            .into_iter()
            .map(|(name, path)| (format!("other/{name}"), path)),
    );
    // The examples are one server's worth of resources that refer to each other: register them
    // all, then map each (as a Bundle's two passes would).
    let mut resolver = ReferenceResolver::new();
    for (_, path) in &samples {
        resolver.register(&read(path), None);
    }
    let actual: BTreeMap<String, Vec<String>> = samples
        .iter()
        .map(|(name, path)| {
            let result = care_facts(&read(path), &mut resolver);
            (name.clone(), outcome(&result))
        })
        .collect();

    let expected: BTreeMap<String, Vec<String>> = EXPECTED_SPEC
        .iter()
        .map(|(name, lines)| {
            (
                (*name).to_owned(),
                lines.iter().map(|line| (*line).to_owned()).collect(),
            )
        })
        .collect();
    let unlisted: Vec<&String> = actual
        .keys()
        .filter(|name| !expected.contains_key(*name))
        .collect();
    let missing: Vec<&String> = expected
        .keys()
        .filter(|name| !actual.contains_key(*name))
        .collect();
    assert!(
        unlisted.is_empty() && missing.is_empty(),
        "files not listed: {unlisted:?}; listed but not found: {missing:?}"
    );
    for (name, lines) in &expected {
        assert_eq!(&actual[name], lines, "{name}");
    }
}

// What the spec examples map to, and why the surprising rows are right:
// - refused:missing_period: Encounter f001, f002, f003, f201, f202 and xcda bind a clinician or
//   a provider but carry no period, Appointment examplereq is a proposal without a time, and
//   CareTeam example has only an end: a relationship that cannot be placed in time would
//   explain accesses at any time. Encounter emerg and example bind nobody (no participant, no
//   service provider) and state nothing.
// - refused:unsupported_resource_type: AppointmentResponse answers for one participant of an
//   appointment and names no patient.
// - Fallback keys where the examples refer to resources the package does not hold:
//   Practitioner/14 (EpisodeOfCare careManager), Practitioner/21B (infant-mom's GP), Patient/72
//   (signature Consent); Location/1 falls back to its displayed name, "South Wing, second
//   floor", which is also PractitionerRole example's team (its HealthcareService/example has
//   no name to give).
// - Keys the data shares: Practitioner f004 and f005 carry the same UZI number
//   (118265112), so careaudit sees one user; Patient mom and genetics-example1 are both Eve
//   Everywoman (SSN 444222222), whom RelatedPerson newborn-mom names as the newborn's mother.
// - Practitioners' addresses are work addresses except Practitioner example's (use home).
// - Consents: Emergency, Out, grantor and pkb are OPTOUT (the patient dissents) and notOrg
//   denies at its root: objection. basic, signature and smartonfhir are OPTIN permits. The
//   narratives of notAuthor, notThem, notThis and notTime describe withholding from one author,
//   person, record or period, but their encodings are OPTIN with no deny anywhere, so they
//   state no objection: the mapping reads the encoding, not the narrative.
// - Encounter f203's service provider is Organization/2, an insurer in the examples: kept as
//   written.
const EXPECTED_SPEC: &[(&str, &[&str])] = &[
    (
        "care-relationship/Appointment-2docs.json",
        &[
            "appointment fhir:Appointment/2docs:participant:1 patient=urn:oid:1.2.36.146.595.217.0.1|12345 user=23 valid=2013-12-02T09:00:00.000Z..2013-12-09T11:00:00.000Z",
            "appointment fhir:Appointment/2docs:participant:2 patient=urn:oid:1.2.36.146.595.217.0.1|12345 user=12345678902 valid=2013-12-02T09:00:00.000Z..2013-12-09T11:00:00.000Z",
        ],
    ),
    (
        "care-relationship/Appointment-example.json",
        &[
            "appointment fhir:Appointment/example:participant:1 patient=urn:oid:1.2.36.146.595.217.0.1|12345 user=23 valid=2013-12-03T09:00:00.000Z..2013-12-10T11:00:00.000Z",
            "appointment fhir:Appointment/example:participant:2 patient=urn:oid:1.2.36.146.595.217.0.1|12345 team=South Wing, second floor valid=2013-12-03T09:00:00.000Z..2013-12-10T11:00:00.000Z",
        ],
    ),
    (
        "care-relationship/Appointment-examplereq.json",
        &[
            "refused:missing_period",
        ],
    ),
    (
        "care-relationship/AppointmentResponse-example.json",
        &[
            "refused:unsupported_resource_type",
        ],
    ),
    (
        "care-relationship/AppointmentResponse-exampleresp.json",
        &[
            "refused:unsupported_resource_type",
        ],
    ),
    (
        "care-relationship/CareTeam-example.json",
        &[
            "refused:missing_period",
        ],
    ),
    (
        "care-relationship/Encounter-emerg.json",
        &[
        ],
    ),
    (
        "care-relationship/Encounter-example.json",
        &[
        ],
    ),
    (
        "care-relationship/Encounter-f001.json",
        &[
            "refused:missing_period",
        ],
    ),
    (
        "care-relationship/Encounter-f002.json",
        &[
            "refused:missing_period",
        ],
    ),
    (
        "care-relationship/Encounter-f003.json",
        &[
            "refused:missing_period",
        ],
    ),
    (
        "care-relationship/Encounter-f201.json",
        &[
            "refused:missing_period",
        ],
    ),
    (
        "care-relationship/Encounter-f202.json",
        &[
            "refused:missing_period",
        ],
    ),
    (
        "care-relationship/Encounter-f203.json",
        &[
            "encounter fhir:Encounter/f203:serviceProvider patient=urn:oid:2.16.840.1.113883.2.4.6.3|123456789 org=Organization/2 valid=2013-03-11T00:00:00.000Z..2013-03-21T00:00:00.000Z",
            "clinician fhir:Encounter/f203:participant:0 patient=urn:oid:2.16.840.1.113883.2.4.6.3|123456789 user=12345678901 org=Organization/2 valid=2013-03-11T00:00:00.000Z..2013-03-21T00:00:00.000Z",
        ],
    ),
    (
        "care-relationship/Encounter-home.json",
        &[
            "clinician fhir:Encounter/home:participant:0 patient=urn:oid:1.2.36.146.595.217.0.1|12345 user=23 valid=2015-01-17T06:00:00.000Z..2015-01-17T06:30:00.000Z",
        ],
    ),
    (
        "care-relationship/Encounter-xcda.json",
        &[
            "refused:missing_period",
        ],
    ),
    (
        "care-relationship/EpisodeOfCare-example.json",
        &[
            "episode_of_care fhir:EpisodeOfCare/example:managingOrganization patient=urn:oid:1.2.36.146.595.217.0.1|12345 org=Organization/hl7 valid=2014-09-01T00:00:00.000Z..open",
            "episode_of_care fhir:EpisodeOfCare/example:careManager patient=urn:oid:1.2.36.146.595.217.0.1|12345 user=Practitioner/14 valid=2014-09-01T00:00:00.000Z..open",
            "episode_of_care fhir:EpisodeOfCare/example:team:0 patient=urn:oid:1.2.36.146.595.217.0.1|12345 team=Peter James Charlmers Care Plan for Inpatient Encounter org=Organization/f001 valid=2014-09-01T00:00:00.000Z..open",
        ],
    ),
    (
        "care-relationship/Organization-1.json",
        &[
            "organisation Organization/1 name=Gastroenterology",
        ],
    ),
    (
        "care-relationship/Organization-1832473e-2fe0-452d-abe9-3cdb9879522f.json",
        &[
            "organisation Organization/1832473e-2fe0-452d-abe9-3cdb9879522f name=Clinical Lab",
        ],
    ),
    (
        "care-relationship/Organization-2.16.840.1.113883.19.5.json",
        &[
            "organisation Organization/2.16.840.1.113883.19.5 name=Good Health Clinic",
        ],
    ),
    (
        "care-relationship/Organization-2.json",
        &[
            "organisation Organization/2 name=XYZ Insurance",
        ],
    ),
    (
        "care-relationship/Organization-3.json",
        &[
            "organisation Organization/3 name=Michigan Health",
        ],
    ),
    (
        "care-relationship/Organization-f001.json",
        &[
            "organisation Organization/f001 name=Burgers University Medical Center type=prov postcode=9105 PZ",
        ],
    ),
    (
        "care-relationship/Organization-f002.json",
        &[
            "organisation Organization/f002 name=Burgers UMC Cardiology unit type=dept parent=Organization/f001",
        ],
    ),
    (
        "care-relationship/Organization-f003.json",
        &[
            "organisation Organization/f003 name=Burgers UMC Ear,Nose,Throat unit type=dept parent=Organization/f001",
        ],
    ),
    (
        "care-relationship/Organization-f201.json",
        &[
            "organisation Organization/f201 name=Artis University Medical Center (AUMC) type=prov postcode=2333ZA",
        ],
    ),
    (
        "care-relationship/Organization-f203.json",
        &[
            "organisation Organization/f203 name=Blijdorp Medisch Centrum (BUMC) type=prov postcode=3056BE",
        ],
    ),
    (
        "care-relationship/Organization-hl7.json",
        &[
            "organisation Organization/hl7 name=Health Level Seven International postcode=48104",
        ],
    ),
    (
        "care-relationship/Organization-hl7pay.json",
        &[
            "organisation Organization/hl7pay name=HL7 Payer network",
        ],
    ),
    (
        "care-relationship/Organization-mmanu.json",
        &[
            "organisation Organization/mmanu name=Acme Corporation",
        ],
    ),
    (
        "care-relationship/Patient-animal.json",
        &[
            "patient http://www.maroondah.vic.gov.au/AnimalRegFees.aspx|1234123 ids=1 name=Kenzi born=2010-03-23",
        ],
    ),
    (
        "care-relationship/Patient-ch-example.json",
        &[
            "patient urn:oid:1.2.36.146.595.217.0.1|3112219680806371X ids=1 name=张无忌 born=1974-12-25 address=马当路190号|200000",
        ],
    ),
    (
        "care-relationship/Patient-dicom.json",
        &[
            "patient http://nema.org/examples/patients|MINT1234 ids=1 name=MINT_TEST",
        ],
    ),
    (
        "care-relationship/Patient-example.json",
        &[
            "patient urn:oid:1.2.36.146.595.217.0.1|12345 ids=1 name=Chalmers/Peter James born=1974-12-25 address=534 Erewhon St|3999",
        ],
    ),
    (
        "care-relationship/Patient-f001.json",
        &[
            "patient urn:oid:2.16.840.1.113883.2.4.6.3|738472983 ids=1 name=van de Heuvel/Pieter born=1944-11-17 address=Van Egmondkade 23|1024 RJ",
        ],
    ),
    (
        "care-relationship/Patient-f201.json",
        &[
            "patient urn:oid:2.16.840.1.113883.2.4.6.3|123456789 ids=1 name=Bor/Roelof Olaf born=1960-03-13 address=Bos en Lommerplein 280|1055RW",
        ],
    ),
    (
        "care-relationship/Patient-genetics-example1.json",
        &[
            "patient http://hl7.org/fhir/sid/us-ssn|444222222 ids=1 name=Everywoman/Eve born=1973-05-31 address=2222 Home Street",
        ],
    ),
    (
        "care-relationship/Patient-glossy.json",
        &[
            "patient http://www.goodhealth.org/identifiers/mrn|123456 ids=1 name=Levin/Henry born=1932-09-24",
            "registration fhir:Patient/glossy:generalPractitioner:0 patient=http://www.goodhealth.org/identifiers/mrn|123456 user=23 valid=1970-01-01T00:00:00.000Z..open",
        ],
    ),
    (
        "care-relationship/Patient-ihe-pcd.json",
        &[
            "patient AB60001 ids=1 name=BROOKS/ALBERT",
        ],
    ),
    (
        "care-relationship/Patient-infant-fetal.json",
        &[
            "patient http://coruscanthealth.org/main-hospital/patient-identifier|MRN657865757378 ids=1",
        ],
    ),
    (
        "care-relationship/Patient-infant-mom.json",
        &[
            "patient Patient/infant-mom name=Solo/Leia born=1995-10-12",
            "registration fhir:Patient/infant-mom:generalPractitioner:0 patient=Patient/infant-mom user=Practitioner/21B valid=1970-01-01T00:00:00.000Z..open",
        ],
    ),
    (
        "care-relationship/Patient-infant-twin-1.json",
        &[
            "patient http://coruscanthealth.org/main-hospital/patient-identifier|MRN7465737865 ids=2 name=Solo/Jaina born=2017-05-15",
        ],
    ),
    (
        "care-relationship/Patient-infant-twin-2.json",
        &[
            "patient http://coruscanthealth.org/main-hospital/patient-identifier|MRN7465676978 ids=2 name=Solo/Jacen born=2017-05-15",
        ],
    ),
    (
        "care-relationship/Patient-mom.json",
        &[
            "patient http://hl7.org/fhir/sid/us-ssn|444222222 ids=1 name=Everywoman/Eve born=1973-05-31 address=2222 Home Street",
        ],
    ),
    (
        "care-relationship/Patient-newborn.json",
        &[
            "patient Patient/newborn born=2017-09-05",
        ],
    ),
    (
        "care-relationship/Patient-pat1.json",
        &[
            "patient urn:oid:0.1.2.3.4.5.6.7|654321 ids=1 name=Donald/Duck",
        ],
    ),
    (
        "care-relationship/Patient-pat2.json",
        &[
            "patient urn:oid:0.1.2.3.4.5.6.7|123456 ids=1 name=Donald/Duck D",
        ],
    ),
    (
        "care-relationship/Patient-pat3.json",
        &[
            "patient urn:oid:0.1.2.3.4.5.6.7|123457 ids=1 name=Notsowell/Simon born=1982-01-23 died=2015-02-14",
        ],
    ),
    (
        "care-relationship/Patient-pat4.json",
        &[
            "patient urn:oid:0.1.2.3.4.5.6.7|123458 ids=1 name=Notsowell/Sandy born=1982-08-02",
        ],
    ),
    (
        "care-relationship/Patient-proband.json",
        &[
            "patient urn:oid:2.16.840.1.113883.6.117|999999999 ids=1 born=1966-04-04",
        ],
    ),
    (
        "care-relationship/Patient-xcda.json",
        &[
            "patient urn:oid:2.16.840.1.113883.19.5|12345 ids=1 name=Levin/Henry born=1932-09-24",
        ],
    ),
    (
        "care-relationship/Patient-xds.json",
        &[
            "patient urn:oid:1.2.3.4.5|89765a87b ids=1 name=Doe/John born=1956-05-27 address=100 Main St|44130",
        ],
    ),
    (
        "care-relationship/Practitioner-example.json",
        &[
            "staff 23 name=Careful/Adam home=534 Erewhon St|3999",
        ],
    ),
    (
        "care-relationship/Practitioner-f001.json",
        &[
            "staff 938273695 name=van den broek/Eric",
        ],
    ),
    (
        "care-relationship/Practitioner-f002.json",
        &[
            "staff 730291637 name=Voigt/Pieter",
        ],
    ),
    (
        "care-relationship/Practitioner-f003.json",
        &[
            "staff 846100293 name=Versteegh/Marc",
        ],
    ),
    (
        "care-relationship/Practitioner-f004.json",
        &[
            "staff 118265112 name=Briet/Ronald",
        ],
    ),
    (
        "care-relationship/Practitioner-f005.json",
        &[
            "staff 118265112 name=Anne/Langeveld",
        ],
    ),
    (
        "care-relationship/Practitioner-f006.json",
        &[
            "staff 937223645 name=van den Berk/Rob",
        ],
    ),
    (
        "care-relationship/Practitioner-f007.json",
        &[
            "staff 874635264 name=Heps/Simone",
        ],
    ),
    (
        "care-relationship/Practitioner-f201.json",
        &[
            "staff 12345678901 name=Bronsig/Arend",
        ],
    ),
    (
        "care-relationship/Practitioner-f202.json",
        &[
            "staff 12345678902 name=Maas/Luigi",
        ],
    ),
    (
        "care-relationship/Practitioner-f203.json",
        &[
            "staff 12345678903 name=Juri van Gelder",
        ],
    ),
    (
        "care-relationship/Practitioner-f204.json",
        &[
            "staff 12345678904 name=Carla Espinosa",
        ],
    ),
    (
        "care-relationship/Practitioner-xcda-author.json",
        &[
            "staff Practitioner/xcda-author name=Hippocrates/Harold",
        ],
    ),
    (
        "care-relationship/Practitioner-xcda1.json",
        &[
            "staff D234123 name=Dopplemeyer/Sherry",
        ],
    ),
    (
        "care-relationship/PractitionerRole-example.json",
        &[
            "staff 23 org=Organization/f001 roles=RP team=South Wing, second floor start=2012-01-01 leave=2012-03-31",
        ],
    ),
    (
        "care-relationship/RelatedPerson-benedicte.json",
        &[
            "related_person fhir:RelatedPerson/benedicte:patient patient=urn:oid:1.2.36.146.595.217.0.1|12345 user=272117510400399 team=WIFE valid=1970-01-01T00:00:00.000Z..open",
        ],
    ),
    (
        "care-relationship/RelatedPerson-f001.json",
        &[
            "related_person fhir:RelatedPerson/f001:patient patient=urn:oid:2.16.840.1.113883.2.4.6.3|738472983 user=RelatedPerson/f001 team=SIGOTHR valid=1970-01-01T00:00:00.000Z..open",
        ],
    ),
    (
        "care-relationship/RelatedPerson-f002.json",
        &[
            "related_person fhir:RelatedPerson/f002:patient patient=urn:oid:2.16.840.1.113883.2.4.6.3|123456789 user=RelatedPerson/f002 team=SIGOTHR valid=1975-01-01T00:00:00.000Z..open",
        ],
    ),
    (
        "care-relationship/RelatedPerson-newborn-mom.json",
        &[
            "related_person fhir:RelatedPerson/newborn-mom:patient patient=Patient/newborn user=444222222 team=Natural Mother valid=1970-01-01T00:00:00.000Z..open",
        ],
    ),
    (
        "care-relationship/RelatedPerson-peter.json",
        &[
            "related_person fhir:RelatedPerson/peter:patient patient=http://www.maroondah.vic.gov.au/AnimalRegFees.aspx|1234123 user=RelatedPerson/peter team=C valid=2012-03-11T00:00:00.000Z..open",
        ],
    ),
    (
        "other/Consent-consent-example-Emergency.json",
        &[
            "patient urn:oid:2.16.840.1.113883.2.4.6.3|738472983 objection=yes",
        ],
    ),
    (
        "other/Consent-consent-example-Out.json",
        &[
            "patient urn:oid:2.16.840.1.113883.2.4.6.3|738472983 objection=yes",
        ],
    ),
    (
        "other/Consent-consent-example-basic.json",
        &[
            "patient urn:oid:2.16.840.1.113883.2.4.6.3|738472983",
        ],
    ),
    (
        "other/Consent-consent-example-grantor.json",
        &[
            "patient urn:oid:2.16.840.1.113883.2.4.6.3|738472983 objection=yes",
        ],
    ),
    (
        "other/Consent-consent-example-notAuthor.json",
        &[
            "patient urn:oid:2.16.840.1.113883.2.4.6.3|738472983",
        ],
    ),
    (
        "other/Consent-consent-example-notOrg.json",
        &[
            "patient urn:oid:2.16.840.1.113883.2.4.6.3|738472983 objection=yes",
        ],
    ),
    (
        "other/Consent-consent-example-notThem.json",
        &[
            "patient urn:oid:2.16.840.1.113883.2.4.6.3|738472983",
        ],
    ),
    (
        "other/Consent-consent-example-notThis.json",
        &[
            "patient urn:oid:2.16.840.1.113883.2.4.6.3|738472983",
        ],
    ),
    (
        "other/Consent-consent-example-notTime.json",
        &[
            "patient urn:oid:2.16.840.1.113883.2.4.6.3|738472983",
        ],
    ),
    (
        "other/Consent-consent-example-pkb.json",
        &[
            "patient urn:oid:1.2.36.146.595.217.0.1|12345 objection=yes",
        ],
    ),
    (
        "other/Consent-consent-example-signature.json",
        &[
            "patient Patient/72",
        ],
    ),
    (
        "other/Consent-consent-example-smartonfhir.json",
        &[
            "patient urn:oid:2.16.840.1.113883.19.5|12345",
        ],
    ),
];

/// Spec examples altered the way broken feeds break them, each refused for its reason.
#[test]
fn altered_spec_examples_are_refused_for_their_reason() {
    type Alter = fn(&mut serde_json::Value);
    let cases: &[(&str, Alter, &str, &[&str])] = &[
        (
            "care-relationship/Patient-newborn.json",
            |patient| {
                patient.as_object_mut().expect("object").remove("id");
            },
            "missing_identity",
            &["Patient.identifier"],
        ),
        (
            "care-relationship/Patient-example.json",
            |patient| {
                patient["identifier"][0]["system"] = "https://fhir.nhs.uk/Id/nhs-number".into();
            },
            "invalid_nhs_number",
            &["Patient.identifier[0].value"],
        ),
        (
            "care-relationship/Encounter-f203.json",
            |encounter| encounter["subject"] = serde_json::json!({"reference": "Group/g1"}),
            "missing_patient",
            &["Encounter.subject"],
        ),
        (
            "care-relationship/Encounter-home.json",
            |encounter| encounter["period"]["start"] = "2015-01-17T16:00".into(),
            "invalid_date",
            &["Encounter.period.start"],
        ),
        (
            "care-relationship/Practitioner-xcda-author.json",
            |practitioner| {
                practitioner.as_object_mut().expect("object").remove("id");
            },
            "missing_identity",
            &["Practitioner.identifier"],
        ),
        (
            "care-relationship/RelatedPerson-peter.json",
            |person| {
                person.as_object_mut().expect("object").remove("patient");
            },
            "missing_patient",
            &["RelatedPerson.patient"],
        ),
        (
            "other/Consent-consent-example-Out.json",
            |consent| consent["status"] = "proposed".into(),
            "consent_not_in_force",
            &["Consent.status"],
        ),
        (
            "other/Consent-consent-example-basic.json",
            |consent| {
                consent["scope"]["coding"][0]["code"] = "treatment".into();
            },
            "not_privacy_consent",
            &["Consent.scope"],
        ),
        (
            "care-relationship/Organization-f001.json",
            |organization| organization["address"] = "Galapagosweg 91".into(),
            "invalid_structure",
            &["Organization.address"],
        ),
    ];
    for (file, alter, reason_code, expressions) in cases {
        let path = Path::new(TESTDATA).join("fhir/r4-spec").join(file);
        let mut resource: serde_json::Value =
            serde_json::from_slice(&read(&path)).expect("sample is JSON");
        alter(&mut resource);
        let bytes = serde_json::to_vec(&resource).expect("serialise");
        let error = care_facts(&bytes, &mut ReferenceResolver::new())
            .expect_err("the altered sample is refused");
        assert_eq!(
            error.reason_code, *reason_code,
            "{file}: {:?}",
            error.issues
        );
        let found: Vec<&str> = error
            .issues
            .iter()
            .flat_map(|issue| issue.expression.iter().map(String::as_str))
            .collect();
        assert_eq!(found, *expressions, "{file}: {:?}", error.issues);
    }
}

/// Synthea's bulk export, file by file in the order a loader should use: the directories first
/// (so conditional references resolve), then patients, then encounters.
const BULK_ORDER: &[(&str, usize, &str)] = &[
    ("Organization.000.ndjson", 43, "organisation=43"),
    // Locations state no fact; they name the teams of the roles below.
    ("Location.000.ndjson", 44, ""),
    ("Practitioner.000.ndjson", 43, "staff=43"),
    ("PractitionerRole.000.ndjson", 43, "staff=43"),
    ("Patient.000.ndjson", 13, "patient=13"),
    (
        "Encounter.000.ndjson",
        1215,
        "clinician=1215 encounter=1215",
    ),
];

/// Every line of every bulk file, mapped with one resolver: `file -> results`.
fn bulk_results(
    resolver: &mut ReferenceResolver,
) -> BTreeMap<&'static str, Vec<Result<Vec<CareFact>, MappingError>>> {
    let root = folder("synthea/bulk-ndjson-10-patients");
    let on_disk: BTreeSet<String> = files("synthea/bulk-ndjson-10-patients", "")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let listed: BTreeSet<String> = BULK_ORDER
        .iter()
        .map(|(name, _, _)| (*name).to_owned())
        .collect();
    assert_eq!(on_disk, listed, "every bulk file is listed");
    BULK_ORDER
        .iter()
        .map(|(name, _, _)| {
            let text = String::from_utf8(read(&root.join(name))).expect("NDJSON is UTF-8");
            let results = text
                .lines()
                .map(|line| care_facts(line.as_bytes(), resolver))
                .collect();
            (*name, results)
        })
        .collect()
}

fn relationships(
    results: &[Result<Vec<CareFact>, MappingError>],
) -> Vec<&domain::RelationshipRecord> {
    results
        .iter()
        .flatten()
        .flatten()
        .filter_map(|fact| match fact {
            CareFact::Relationship(relationship) => Some(relationship),
            _ => None,
        })
        .collect()
}

#[test]
fn synthea_bulk_ndjson_resolves_across_files() {
    let mut resolver = ReferenceResolver::new();
    let results = bulk_results(&mut resolver);
    for (name, lines, expected) in BULK_ORDER {
        assert_eq!(results[name].len(), *lines, "{name}: lines");
        assert_eq!(show(&summary(&results[name])), *expected, "{name}");
    }

    // Every key of every relationship is one a directory file gave: nothing fell back.
    let keys_of = |name: &str| -> BTreeSet<String> {
        results[name]
            .iter()
            .flatten()
            .flatten()
            .map(|fact| match fact {
                CareFact::Patient(p) => p.patient_id.clone(),
                CareFact::Staff(s) => s.user_id.clone(),
                CareFact::Organisation(o) => o.org_code.clone(),
                other => panic!("{name}: unexpected {other:?}"),
            })
            .collect()
    };
    let patients = keys_of("Patient.000.ndjson");
    let users = keys_of("Practitioner.000.ndjson");
    let organisations = keys_of("Organization.000.ndjson");
    assert_eq!(
        (patients.len(), users.len(), organisations.len()),
        (13, 43, 43)
    );
    assert_eq!(
        keys_of("PractitionerRole.000.ndjson"),
        users,
        "every role's practitioner resolves"
    );
    for relationship in relationships(&results["Encounter.000.ndjson"]) {
        assert!(
            patients.contains(&relationship.patient_id),
            "{relationship:?}"
        );
        assert!(
            organisations.contains(&relationship.org_code),
            "{relationship:?}"
        );
        assert!(
            relationship.user_id.is_empty() || users.contains(&relationship.user_id),
            "{relationship:?}"
        );
        assert!(
            relationship.valid_to.is_some() && !relationship.cancelled,
            "{relationship:?}"
        );
    }
    for result in &results["PractitionerRole.000.ndjson"] {
        let Ok(facts) = result else {
            panic!("{result:?}")
        };
        let [CareFact::Staff(staff)] = facts.as_slice() else {
            panic!("{facts:?}")
        };
        assert!(organisations.contains(&staff.org_code), "{staff:?}");
        assert!(!staff.team.is_empty(), "{staff:?}");
    }
    // Each of the 13 patient records (Synthea's 10 people, some of them in several records)
    // has encounters, bound to it by `Patient/<id>` resolved to its identifier key.
    let with_encounters: BTreeSet<&String> = relationships(&results["Encounter.000.ndjson"])
        .iter()
        .map(|relationship| &relationship.patient_id)
        .collect();
    assert_eq!(with_encounters.len(), 13);

    // A few rows in full.
    let first = |name: &str| outcome(&results[name][0]);
    assert_eq!(first("Organization.000.ndjson"), ["organisation Organization/048630ac-ba97-3386-9ac5-d8bf6392db50 name=HILLTOP MANOR NURSING CENTER type=prov postcode=670358120"]);
    assert_eq!(
        first("Practitioner.000.ndjson"),
        ["staff 9999908392 name=Emard19/Irvin970"]
    );
    assert_eq!(first("PractitionerRole.000.ndjson"), ["staff 9999999698 org=Organization/55f9298b-e904-3fe0-ae3d-e8c0c4f7faf8 roles=208D00000X title=General Practice Physician team=OVERLAND PARK REG MED CTR"]);
    assert_eq!(first("Patient.000.ndjson"), ["patient https://github.com/synthetichealth/synthea|129c6ac7-8d06-89de-ad63-0204a93e76c3 ids=5 name=Medhurst46/Sumiko254 Larue605 born=1927-05-21 died=1989-05-09 address=633 Abernathy Landing|66801"]);
    let patient = "https://github.com/synthetichealth/synthea|79a66c97-6131-3213-f3c9-4606946ab056";
    let encounter = "fhir:Encounter/00c7f717-4030-5582-2ed8-888ad2bc878e";
    let window = "valid=1989-10-04T06:25:16.000Z..1989-10-04T10:20:16.000Z";
    let org = "org=Organization/a261e1fc-9361-3633-a2c4-8569a04b818d";
    assert_eq!(
        first("Encounter.000.ndjson"),
        [
            format!("encounter {encounter}:serviceProvider patient={patient} {org} {window}"),
            format!("clinician {encounter}:participant:0 patient={patient} user=9999974493 {org} {window}"),
        ]
    );
}

#[test]
fn synthea_bulk_encounters_mapped_first_fall_back_to_their_references() {
    // What a loader that ignores the order gets: the same relationships, keyed by the
    // references themselves. The user key agrees (an NPI is the practitioner's key either way);
    // the patient and the organisation do not, which is why directories go first.
    let root = folder("synthea/bulk-ndjson-10-patients");
    let text = String::from_utf8(read(&root.join("Encounter.000.ndjson"))).expect("UTF-8");
    let first_line = text.lines().next().expect("a first line");
    let facts = care_facts(first_line.as_bytes(), &mut ReferenceResolver::new());
    let encounter = "fhir:Encounter/00c7f717-4030-5582-2ed8-888ad2bc878e";
    let window = "valid=1989-10-04T06:25:16.000Z..1989-10-04T10:20:16.000Z";
    let rest = "patient=Patient/79a66c97-6131-3213-f3c9-4606946ab056";
    assert_eq!(
        outcome(&facts),
        [
            format!("encounter {encounter}:serviceProvider {rest} org=a261e1fc-9361-3633-a2c4-8569a04b818d {window}"),
            format!("clinician {encounter}:participant:0 {rest} user=9999974493 org=a261e1fc-9361-3633-a2c4-8569a04b818d {window}"),
        ]
    );
}

/// Per transaction Bundle: the patient's key and what the entries map to. Everything but
/// Patient, Organization, Practitioner and Encounter (Claim, Observation, CarePlan, ...) is
/// refused as not care context; the Bundle's endpoint decides what to do with those.
const EXPECTED_BUNDLES: &[(&str, &str, &str)] = &[
    (
        "Abdul_Koepp_e925b0f3-8006-43f6-aa31-94bd215e55e7.json",
        "https://github.com/synthetichealth/synthea|e925b0f3-8006-43f6-aa31-94bd215e55e7",
        "clinician=16 encounter=16 organisation=1 patient=1 refused:unsupported_resource_type=161 staff=1",
    ),
    (
        "Blair_Conroy_8de41d0d-0ae7-4cb6-97e2-900b07a1e4f7.json",
        "https://github.com/synthetichealth/synthea|8de41d0d-0ae7-4cb6-97e2-900b07a1e4f7",
        "clinician=13 encounter=13 organisation=2 patient=1 refused:unsupported_resource_type=125 staff=2",
    ),
    (
        "Kizzie_Bode_794eb821-4e5d-44c0-a665-eb11851057fd.json",
        "https://github.com/synthetichealth/synthea|794eb821-4e5d-44c0-a665-eb11851057fd",
        "clinician=14 encounter=14 organisation=1 patient=1 refused:unsupported_resource_type=141 staff=1",
    ),
    (
        "Marcos_Delagarza_4acb6705-25a7-430a-b799-a4ad8d7fbb38.json",
        "https://github.com/synthetichealth/synthea|4acb6705-25a7-430a-b799-a4ad8d7fbb38",
        "clinician=9 encounter=9 organisation=2 patient=1 refused:unsupported_resource_type=144 staff=2",
    ),
    (
        "Stanley_Balistreri_08ce8462-f56a-4fd6-b986-ea75c5c6edb2.json",
        "https://github.com/synthetichealth/synthea|08ce8462-f56a-4fd6-b986-ea75c5c6edb2",
        "clinician=7 encounter=7 organisation=1 patient=1 refused:unsupported_resource_type=76 staff=1",
    ),
    (
        "Willy_Koepp_ebbb96ce-c538-4ac4-ad6a-7c709ef6639c.json",
        "https://github.com/synthetichealth/synthea|ebbb96ce-c538-4ac4-ad6a-7c709ef6639c",
        "clinician=10 encounter=10 organisation=1 patient=1 refused:unsupported_resource_type=108 staff=1",
    ),
];

#[test]
fn synthea_transaction_bundles_resolve_urn_uuids() {
    let bundles = files("synthea/r4-transaction-bundles", "");
    let listed: Vec<&str> = EXPECTED_BUNDLES.iter().map(|(name, _, _)| *name).collect();
    let found: Vec<&str> = bundles.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(found, listed, "every bundle is listed");

    for ((name, path), (_, patient, expected)) in bundles.iter().zip(EXPECTED_BUNDLES) {
        let bytes = read(path);
        let results = bundle_care_facts(&bytes).unwrap_or_else(|error| panic!("{name}: {error:?}"));
        let bundle: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        let entries = bundle["entry"].as_array().expect("entries");
        assert_eq!(results.len(), entries.len(), "{name}: one answer per entry");
        assert_eq!(
            show(&summary(results.iter().map(|(_, result)| result))),
            *expected,
            "{name}"
        );

        // Refused entries are exactly those of types that state no care context.
        for (index, result) in &results {
            let resource_type = entries[*index]["resource"]["resourceType"]
                .as_str()
                .expect("type");
            let care_context =
                ["Patient", "Organization", "Practitioner", "Encounter"].contains(&resource_type);
            assert_eq!(
                result.is_ok(),
                care_context,
                "{name}#{index} {resource_type}"
            );
        }

        // Every urn:uuid resolved: relationships bind the bundle's patient, its practitioners
        // and its organisations by their keys, never by a urn.
        let facts: Vec<&CareFact> = results
            .iter()
            .filter_map(|(_, result)| result.as_ref().ok())
            .flatten()
            .collect();
        let keys = |pick: fn(&CareFact) -> Option<&String>| -> BTreeSet<&String> {
            facts.iter().filter_map(|fact| pick(fact)).collect()
        };
        let users = keys(|fact| match fact {
            CareFact::Staff(staff) => Some(&staff.user_id),
            _ => None,
        });
        let organisations = keys(|fact| match fact {
            CareFact::Organisation(organisation) => Some(&organisation.org_code),
            _ => None,
        });
        for fact in &facts {
            let CareFact::Relationship(relationship) = fact else {
                continue;
            };
            assert_eq!(relationship.patient_id, *patient, "{name}");
            assert!(
                organisations.contains(&relationship.org_code),
                "{name}: {relationship:?}"
            );
            assert!(
                relationship.user_id.is_empty() || users.contains(&relationship.user_id),
                "{name}: {relationship:?}"
            );
        }
    }

    // One bundle in full, entries 0-3 (patient, organisation, practitioner, first encounter).
    let (_, path) = &bundles[2];
    let results = bundle_care_facts(&read(path)).expect("a bundle");
    let patient = "https://github.com/synthetichealth/synthea|794eb821-4e5d-44c0-a665-eb11851057fd";
    let encounter = "fhir:Encounter/1c02393d-87af-4a1a-9560-669744fbe44d";
    let org = "org=Organization/5844ad77-f653-3c2b-b7dd-e97576ab3b03";
    let window = "valid=2011-08-02T05:22:30.000Z..2011-08-02T05:37:30.000Z";
    let rendered: Vec<Vec<String>> = results[..4]
        .iter()
        .map(|(_, result)| outcome(result))
        .collect();
    assert_eq!(
        rendered,
        [
            vec![format!("patient {patient} ids=3 name=Bode/Kizzie born=2006-03-30 address=710 Treutel Lodge|01585")],
            vec!["organisation Organization/5844ad77-f653-3c2b-b7dd-e97576ab3b03 name=BAYSTATE WING HOSPITAL AND MEDICAL CENTERS type=prov postcode=01069".to_owned()],
            vec!["staff 130 name=Muller/Avery".to_owned()],
            vec![
                format!("encounter {encounter}:serviceProvider patient={patient} {org} {window}"),
                format!("clinician {encounter}:participant:0 patient={patient} user=130 {org} {window}"),
            ],
        ]
    );
}
