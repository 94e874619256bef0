//! Patient tests: how PID is keyed (the NHS number rules), what else it gives, and merges;
//! with the fixtures and helpers of `hl7v2_care_tests.rs`.

use crate::hl7v2_care::tests::{
    adt, check, facts, kinds, line, msh, reject, segment, with, EVN, PD1, PID,
};
use domain::CareFact;

#[test]
fn keys_the_patient_by_nhs_number_else_the_first_identifier() {
    let cases = [
        (
            "",
            "40800000^^^MRN^MR~943 476 5919^^^NHS^NH",
            "9434765919 nhs=9434765919",
        ),
        ("", "9434765919^^^^NH", "9434765919 nhs=9434765919"),
        (
            "",
            "9434765919^^^&2.16.840.1.113883.2.1.4.1&ISO",
            "9434765919 nhs=9434765919",
        ),
        (
            "",
            "9434765919^^^2.16.840.1.113883.2.1.4.1",
            "9434765919 nhs=9434765919",
        ),
        ("", "943-476-5919^^^NHS", "9434765919 nhs=9434765919"),
        // Marked as NHS but failing the check digit: an ordinary identifier.
        (
            "",
            "9434765918^^^NHS^NH~40800000^^^MRN",
            "NHS|9434765918 nhs=",
        ),
        // Unmarked ten digits that pass the check, in PID-2 or PID-3: the NHS number.
        ("9434765919", "40800000^^^MRN", "9434765919 nhs=9434765919"),
        ("", "9434765919", "9434765919 nhs=9434765919"),
        ("", "9434765919^^^MRN", "MRN|9434765919 nhs="),
        ("", "12345^^^&1.2.3&ISO", "urn:oid:1.2.3|12345 nhs="),
        ("", "12345^^^HOSP&1.2.3&L", "1.2.3|12345 nhs="),
        ("", "12345", "12345 nhs="),
        ("", "\"\"~12345^^^A", "A|12345 nhs="),
        ("12345^^^EXT", "", "EXT|12345 nhs="),
    ];
    for (pid_2, pid_3, expected) in cases {
        let text = adt("A28", &[(2, pid_2), (3, pid_3)], &[]);
        let facts = facts(&text).unwrap_or_else(|error| panic!("{pid_3}: {error}"));
        let Some(CareFact::Patient(patient)) = facts.first() else {
            panic!("{pid_3}: no patient");
        };
        let key = format!("{} nhs={}", patient.patient_id, patient.nhs_number);
        assert_eq!(key, expected, "PID-2 {pid_2:?} PID-3 {pid_3:?}");
    }
    // PID-4 is read, but never for an unmarked NHS number.
    let text = adt("A28", &[(3, ""), (4, "9434765919")], &[]);
    check(
        &text,
        &["patient 9434765919 nhs= ids=[|9434765919] name=SMITH/JANE ANN born=1980-01-01 died=- address=1 HIGH ST, FLAT 2, LONDON/NW1 2BU gp=F83006 vip=false confidential=false"],
    );
    reject(&adt("A01", &[(3, "")], &[]), "missing_patient");
    reject(&adt("A01", &[(3, "^^^MRN~\"\"")], &[]), "missing_patient");
    let without_pid = adt("A01", &[], &[]).replace(&segment("PID", PID), "");
    reject(&without_pid, "missing_patient");
    reject(
        &without_pid.replace("ADT^A01", "ADT^A31"),
        "missing_patient",
    );
}

#[test]
fn reads_the_rest_of_the_patient() {
    let patient = |pid: &[(usize, &str)], pd1: &str, pv1: &[(usize, &str)]| -> String {
        let text = adt("A01", pid, pv1).replace(&segment("PD1", PD1), pd1);
        let facts = facts(&text).unwrap_or_else(|error| panic!("{text:?}: {error}"));
        let line = line(&facts[0]);
        let start = line.find(" name=").unwrap_or(0);
        line[start + 1..].to_owned()
    };
    let cases = [
        (
            patient(&[(5, "DE LA CRUZ&DE LA&CRUZ^MARIA^^^DR~ALIAS^A^^^^^A")], "PD1", &[]),
            "name=DE LA CRUZ/MARIA born=1980-01-01 died=- address=1 HIGH ST, FLAT 2, LONDON/NW1 2BU gp= vip=false confidential=false",
        ),
        (
            patient(&[(7, "198808180126+0215"), (29, "20240101"), (30, "Y")], "PD1", &[]),
            "name=SMITH/JANE ANN born=1988-08-18 died=2024-01-01 address=1 HIGH ST, FLAT 2, LONDON/NW1 2BU gp= vip=false confidential=false",
        ),
        (
            patient(&[(7, "19800230"), (29, "20240101"), (30, "N")], "PD1", &[]),
            "name=SMITH/JANE ANN born=- died=- address=1 HIGH ST, FLAT 2, LONDON/NW1 2BU gp= vip=false confidential=false",
        ),
        (
            patient(&[(11, "^^^^^GBR^L~1000&Hospital Lane^Ste. 123^Ann Arbor ^MI^99999")], "PD1", &[]),
            "name=SMITH/JANE ANN born=1980-01-01 died=- address=1000 Hospital Lane, Ste. 123, Ann Arbor, MI/99999 gp= vip=false confidential=false",
        ),
        (
            patient(&[], "PD1|||PRACTICE^^LOCAL1^^^^^^^F99999|||||||||Y", &[(16, "VIP^Very Important Person")]),
            "name=SMITH/JANE ANN born=1980-01-01 died=- address=1 HIGH ST, FLAT 2, LONDON/NW1 2BU gp=F99999 vip=true confidential=true",
        ),
        (
            patient(&[], "PD1|||AMPTHILL PRACTICE^^F83006~~|||||||||N", &[(16, " U")]),
            "name=SMITH/JANE ANN born=1980-01-01 died=- address=1 HIGH ST, FLAT 2, LONDON/NW1 2BU gp=F83006 vip=false confidential=false",
        ),
        (
            patient(&[(11, "\"\"")], "PD1", &[(16, "Y")]),
            "name=SMITH/JANE ANN born=1980-01-01 died=- address=/ gp= vip=true confidential=false",
        ),
    ];
    for (actual, expected) in cases {
        assert_eq!(actual, expected);
    }
}

fn a40(segments: &[String]) -> String {
    let mut all = vec![msh("ADT^A40^ADT_A39"), segment("EVN", EVN)];
    all.extend_from_slice(segments);
    all.join("\r")
}

#[test]
fn a_merge_names_the_merged_patient_as_pid_keys_them() {
    let pid = segment("PID", &with(PID, &[(11, "")]));
    let surviving = "patient 9434765919 nhs=9434765919 ids=[MRN|40800000, https://fhir.nhs.uk/Id/nhs-number|9434765919] name=SMITH/JANE ANN born=1980-01-01 died=- address=/ gp= vip=false confidential=false";
    check(
        &a40(&[
            pid.clone(),
            "MRG|40800001^^^MRN~9000000009^^^NHS^NH".to_owned(),
        ]),
        &[surviving, "merge 9000000009 -> 9434765919"],
    );
    check(
        &a40(&[pid.clone(), "MRG|40800001^^^MRN".to_owned()]),
        &[surviving, "merge MRN|40800001 -> 9434765919"],
    );
    // The same key on both sides says nothing.
    check(
        &a40(&[pid.clone(), "MRG|9434765919^^^NHS".to_owned()]),
        &[surviving],
    );
    // Two pairs.
    let other = segment("PID", &[(3, "555^^^MRN")]);
    assert_eq!(
        kinds(&a40(&[
            pid.clone(),
            "MRG|1^^^MRN".to_owned(),
            other,
            "MRG|2^^^MRN".to_owned()
        ])),
        "patient×2 merge×2"
    );
    reject(&a40(std::slice::from_ref(&pid)), "missing_merged_patient");
    reject(
        &a40(&[pid.clone(), "MRG|".to_owned()]),
        "missing_merged_patient",
    );
    reject(&a40(&["MRG|1^^^MRN".to_owned(), pid]), "missing_patient");
}
