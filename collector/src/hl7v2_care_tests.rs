//! Mapping tests: messages built from segments with only the fields each case needs (through
//! `segment`), checked against one line per fact through `check`, `check_relationships` and
//! tables; a property test that no mangled message panics. These cover the triggers and visits;
//! the patient and merges are tested in `hl7v2_care/patient_tests.rs`, appointments in
//! `hl7v2_care/appointment_tests.rs`, both with the helpers here.

use super::*;
use crate::hl7v2::split_messages;
use proptest::collection::vec;
use proptest::prelude::*;

/// A segment with the given fields (1-based, as HL7 counts) and empty ones between.
pub(super) fn segment(id: &str, fields: &[(usize, &str)]) -> String {
    let last = fields.iter().map(|(index, _)| *index).max().unwrap_or(0);
    let mut values = vec![""; last + 1];
    values[0] = id;
    for (index, value) in fields {
        values[*index] = value;
    }
    values.join("|")
}

/// `base` with `changes` applied: a field replaced, or added when it was not there.
pub(super) fn with<'a>(
    base: &[(usize, &'a str)],
    changes: &[(usize, &'a str)],
) -> Vec<(usize, &'a str)> {
    let mut fields: Vec<(usize, &str)> = base
        .iter()
        .filter(|(index, _)| !changes.iter().any(|(changed, _)| changed == index))
        .copied()
        .collect();
    fields.extend_from_slice(changes);
    fields
}

pub(super) fn msh(message_type: &str) -> String {
    format!("MSH|^~\\&|PAS|RRV|CAREAUDIT|NHS|20240301101500||{message_type}|CTRL1|P|2.4")
}

pub(super) const EVN: &[(usize, &str)] = &[(2, "20240301101500"), (6, "20240301101000")];
pub(super) const PID: &[(usize, &str)] = &[
    (1, "1"),
    (3, "40800000^^^MRN^MR~943 476 5919^^^NHS^NH"),
    (5, "SMITH^JANE^ANN^^MRS"),
    (7, "19800101"),
    (8, "F"),
    (11, "1 HIGH ST^FLAT 2^LONDON^^NW1 2BU^GBR^H"),
];
pub(super) const PD1: &[(usize, &str)] = &[(3, "THE PRACTICE^^F83006")];
pub(super) const PV1: &[(usize, &str)] = &[
    (2, "I"),
    (3, "WARD7^BAY1^BED3^RRV01"),
    (7, "C100^JONES^AMY^^^DR~G200^JONES^AMY"),
    (8, "R300^REF^RAY"),
    (9, "C400^CONS^CAT"),
    (17, "A500^ADM^ADA"),
    (19, "V123"),
    (44, "20240301100000"),
];

pub(super) const SCH: &[(usize, &str)] = &[
    (1, "P1"),
    (2, "F1"),
    (11, "^^^20240310090000^20240310093000"),
];
pub(super) const AIP: &[(usize, &str)] = &[
    (3, "P100^PRAC^ONE~P200^PRAC^TWO"),
    (6, "20240310090000"),
    (9, "20"),
    (10, "min^Minutes^ISO"),
];

/// An ADT message of `trigger` from the fixtures, with PID and PV1 changed as given.
pub(super) fn adt(trigger: &str, pid: &[(usize, &str)], pv1: &[(usize, &str)]) -> String {
    [
        msh(&format!("ADT^{trigger}")),
        segment("EVN", EVN),
        segment("PID", &with(PID, pid)),
        segment("PD1", PD1),
        segment("PV1", &with(PV1, pv1)),
    ]
    .join("\r")
}

pub(super) fn parse(text: &str) -> Hl7Message {
    let mut results = split_messages(text.as_bytes());
    assert_eq!(results.len(), 1, "{text:?}");
    match results.remove(0) {
        Ok(message) => message,
        Err(error) => panic!("{text:?}: {error}"),
    }
}

pub(super) fn line(fact: &CareFact) -> String {
    match fact {
        CareFact::Patient(patient) => {
            let identifiers: Vec<String> = patient
                .identifiers
                .iter()
                .map(|(system, value)| format!("{system}|{value}"))
                .collect();
            let date = |date: Option<chrono::NaiveDate>| {
                date.map_or_else(|| "-".to_owned(), |date| date.to_string())
            };
            format!(
                "patient {} nhs={} ids=[{}] name={}/{} born={} died={} address={}/{} gp={} vip={} confidential={}",
                patient.patient_id,
                patient.nhs_number,
                identifiers.join(", "),
                patient.family_name,
                patient.given_names,
                date(patient.birth_date),
                date(patient.death_date),
                patient.address_line,
                patient.postcode,
                patient.gp_practice,
                patient.vip,
                patient.confidential,
            )
        }
        CareFact::Relationship(relationship) => format!(
            "{} {} user={} team={} org={} {}..{}{}",
            relationship.kind.as_str(),
            relationship.relationship_id,
            relationship.user_id,
            relationship.team,
            relationship.org_code,
            relationship.valid_from,
            relationship
                .valid_to
                .map_or_else(|| "open".to_owned(), |valid_to| valid_to.to_string()),
            if relationship.cancelled {
                " cancelled"
            } else {
                ""
            },
        ),
        CareFact::PatientMerge { surviving, merged } => format!("merge {merged} -> {surviving}"),
        other => format!("{other:?}"),
    }
}

pub(super) fn facts(text: &str) -> Result<Vec<CareFact>, Hl7Error> {
    care_facts(&parse(text))
}

pub(super) fn check(text: &str, expected: &[&str]) {
    match facts(text) {
        Ok(facts) => {
            let lines: Vec<String> = facts.iter().map(line).collect();
            assert_eq!(lines, expected, "{text:?}");
        }
        Err(error) => panic!("{text:?}: {}: {error}", error.reason_code),
    }
}

/// Like `check`, without the patient.
pub(super) fn check_relationships(text: &str, expected: &[&str]) {
    match facts(text) {
        Ok(facts) => {
            let lines: Vec<String> = facts
                .iter()
                .filter(|fact| !matches!(fact, CareFact::Patient(_)))
                .map(line)
                .collect();
            assert_eq!(lines, expected, "{text:?}");
        }
        Err(error) => panic!("{text:?}: {}: {error}", error.reason_code),
    }
}

pub(super) fn reject(text: &str, reason_code: &str) {
    match facts(text) {
        Ok(facts) => panic!(
            "{text:?} mapped: {:?}",
            facts.iter().map(line).collect::<Vec<_>>()
        ),
        Err(error) => assert_eq!(error.reason_code, reason_code, "{text:?}: {error}"),
    }
}

/// The kinds of the facts, `patient encounter clinician×5`.
pub(super) fn kinds(text: &str) -> String {
    let facts = match facts(text) {
        Ok(facts) => facts,
        Err(error) => return format!("error:{}", error.reason_code),
    };
    let mut counted: Vec<(String, usize)> = Vec::new();
    for fact in &facts {
        let kind = match fact {
            CareFact::Patient(_) => "patient".to_owned(),
            CareFact::Relationship(relationship) if relationship.cancelled => {
                format!("{} cancelled", relationship.kind.as_str())
            }
            CareFact::Relationship(relationship) => relationship.kind.as_str().to_owned(),
            CareFact::PatientMerge { .. } => "merge".to_owned(),
            other => format!("{other:?}"),
        };
        match counted.last_mut() {
            Some((last, count)) if *last == kind => *count += 1,
            _ => counted.push((kind, 1)),
        }
    }
    let parts: Vec<String> = counted
        .into_iter()
        .map(|(kind, count)| match count {
            1 => kind,
            _ => format!("{kind}×{count}"),
        })
        .collect();
    parts.join(" ")
}

#[test]
fn maps_each_trigger_it_takes_and_refuses_the_others() {
    let cases = [
        ("A01", "patient encounter clinician×5"),
        ("A02", "patient encounter clinician×5"),
        ("A03", "patient encounter clinician×5"),
        ("A04", "patient encounter clinician×5"),
        ("A05", "patient encounter clinician×5"),
        ("A08", "patient encounter clinician×5"),
        ("A11", "patient encounter cancelled clinician cancelled×5"),
        ("A13", "patient encounter clinician×5"),
        ("A28", "patient"),
        ("A31", "patient"),
        ("A17", "error:unsupported_message_type"),
        ("A24", "error:unsupported_message_type"),
        ("A47", "error:unsupported_message_type"),
        ("A99", "error:unsupported_message_type"),
    ];
    for (trigger, expected) in cases {
        assert_eq!(kinds(&adt(trigger, &[], &[])), expected, "ADT^{trigger}");
    }
    let other = adt("A01", &[], &[]).replace("ADT^A01", "ORU^R01");
    reject(&other, "unsupported_message_type");
    let siu_admit = adt("A01", &[], &[]).replace("ADT^A01", "SIU^A01");
    reject(&siu_admit, "unsupported_message_type");
    reject(
        &adt("A01", &[], &[]).replace("ADT^A01", ""),
        "missing_message_type",
    );
    reject(
        &adt("A01", &[], &[]).replace("CTRL1", ""),
        "missing_control_id",
    );
}

#[test]
fn an_admission_binds_the_ward_and_every_doctor_from_the_admit_time() {
    check(
        &adt("A01", &[], &[]),
        &[
            "patient 9434765919 nhs=9434765919 ids=[MRN|40800000, https://fhir.nhs.uk/Id/nhs-number|9434765919] name=SMITH/JANE ANN born=1980-01-01 died=- address=1 HIGH ST, FLAT 2, LONDON/NW1 2BU gp=F83006 vip=false confidential=false",
            "encounter hl7:RRV:V123:encounter:WARD7 user= team=WARD7 org=RRV 2024-03-01T10:00:00.000Z..open",
            "clinician hl7:RRV:V123:attending:C100 user=C100 team= org=RRV 2024-03-01T10:00:00.000Z..open",
            "clinician hl7:RRV:V123:attending:G200 user=G200 team= org=RRV 2024-03-01T10:00:00.000Z..open",
            "clinician hl7:RRV:V123:referring:R300 user=R300 team= org=RRV 2024-03-01T10:00:00.000Z..open",
            "clinician hl7:RRV:V123:consulting:C400 user=C400 team= org=RRV 2024-03-01T10:00:00.000Z..open",
            "clinician hl7:RRV:V123:admitting:A500 user=A500 team= org=RRV 2024-03-01T10:00:00.000Z..open",
        ],
    );
}

#[test]
fn falls_back_for_the_visit_key_the_times_and_the_organisation() {
    let only_attending = [(7, "C100"), (8, ""), (9, ""), (17, "")];
    // No visit number: the patient and the admit time.
    check_relationships(
        &adt("A01", &[], &with(&only_attending, &[(19, "")])),
        &[
            "encounter hl7:RRV:9434765919@20240301100000:encounter:WARD7 user= team=WARD7 org=RRV 2024-03-01T10:00:00.000Z..open",
            "clinician hl7:RRV:9434765919@20240301100000:attending:C100 user=C100 team= org=RRV 2024-03-01T10:00:00.000Z..open",
        ],
    );
    // No admit time: EVN-6; an admit time with an offset is converted.
    check_relationships(
        &adt("A04", &[], &with(&only_attending, &[(44, "")])),
        &[
            "encounter hl7:RRV:V123:encounter:WARD7 user= team=WARD7 org=RRV 2024-03-01T10:10:00.000Z..open",
            "clinician hl7:RRV:V123:attending:C100 user=C100 team= org=RRV 2024-03-01T10:10:00.000Z..open",
        ],
    );
    check_relationships(
        &adt("A04", &[], &with(&only_attending, &[(44, "202407011000+0100")])),
        &[
            "encounter hl7:RRV:V123:encounter:WARD7 user= team=WARD7 org=RRV 2024-07-01T09:00:00.000Z..open",
            "clinician hl7:RRV:V123:attending:C100 user=C100 team= org=RRV 2024-07-01T09:00:00.000Z..open",
        ],
    );
    // No sending facility: the location's facility. A doctor without an id names nobody.
    let text =
        adt("A01", &[], &with(&only_attending, &[(7, "^NOID^DOC")])).replace("|PAS|RRV|", "|PAS||");
    check_relationships(
        &text,
        &["encounter hl7:RRV01:V123:encounter:WARD7 user= team=WARD7 org=RRV01 2024-03-01T10:00:00.000Z..open"],
    );
    // No PV1: the patient only. Nothing to place the visit in time: an error.
    let without_pv1 = adt("A01", &[], &[]).replace(&segment("PV1", PV1), "");
    assert_eq!(kinds(&without_pv1), "patient");
    let timeless = adt("A01", &[], &[(44, "")])
        .replace(&segment("EVN", EVN), "EVN|A01")
        .replace("|20240301101500||ADT", "|||ADT");
    reject(&timeless, "missing_event_time");
}

#[test]
fn a_discharge_closes_at_the_end_of_its_stated_precision() {
    let only_attending = [(7, "C100"), (8, ""), (9, ""), (17, "")];
    check_relationships(
        &adt("A03", &[], &with(&only_attending, &[(45, "202403051200")])),
        &[
            "encounter hl7:RRV:V123:encounter:WARD7 user= team=WARD7 org=RRV 2024-03-01T10:00:00.000Z..2024-03-05T12:01:00.000Z",
            "clinician hl7:RRV:V123:attending:C100 user=C100 team= org=RRV 2024-03-01T10:00:00.000Z..2024-03-05T12:01:00.000Z",
        ],
    );
    // Without PV1-45, at the event (EVN-6).
    check_relationships(
        &adt("A03", &[], &with(&only_attending, &[(17, "")])),
        &[
            "encounter hl7:RRV:V123:encounter:WARD7 user= team=WARD7 org=RRV 2024-03-01T10:00:00.000Z..2024-03-01T10:10:01.000Z",
            "clinician hl7:RRV:V123:attending:C100 user=C100 team= org=RRV 2024-03-01T10:00:00.000Z..2024-03-01T10:10:01.000Z",
        ],
    );
    // A discharge stated before the admission makes an empty window, not an inverted one.
    check_relationships(
        &adt("A03", &[], &with(&only_attending, &[(45, "202403010958")])),
        &[
            "encounter hl7:RRV:V123:encounter:WARD7 user= team=WARD7 org=RRV 2024-03-01T10:00:00.000Z..2024-03-01T10:00:00.000Z",
            "clinician hl7:RRV:V123:attending:C100 user=C100 team= org=RRV 2024-03-01T10:00:00.000Z..2024-03-01T10:00:00.000Z",
        ],
    );
    // An update after discharge keeps it closed; a cancelled discharge reopens.
    let discharged = with(&only_attending, &[(45, "202403051200")]);
    assert!(check_closed(&adt("A08", &[], &discharged)));
    assert!(!check_closed(&adt("A13", &[], &discharged)));
}

/// Whether every relationship of the message has an end.
fn check_closed(text: &str) -> bool {
    let facts = facts(text).unwrap_or_else(|error| panic!("{text:?}: {error}"));
    facts.iter().all(|fact| match fact {
        CareFact::Relationship(relationship) => relationship.valid_to.is_some(),
        _ => true,
    })
}

#[test]
fn a_transfer_moves_the_patient_to_the_new_ward_at_the_transfer_time() {
    let no_doctors = [(7, ""), (8, ""), (9, ""), (17, "")];
    check_relationships(
        &adt("A02", &[], &with(&no_doctors, &[(6, "WARD2^BAY4^BED1^RRV01")])),
        &[
            "encounter hl7:RRV:V123:encounter:WARD2 user= team=WARD2 org=RRV 2024-03-01T10:00:00.000Z..2024-03-01T10:10:00.000Z",
            "encounter hl7:RRV:V123:encounter:WARD7 user= team=WARD7 org=RRV 2024-03-01T10:10:00.000Z..open",
        ],
    );
    // A bed move within the ward changes nothing.
    check_relationships(
        &adt("A02", &[], &with(&no_doctors, &[(6, "WARD7^BAY2^BED9^RRV01")])),
        &["encounter hl7:RRV:V123:encounter:WARD7 user= team=WARD7 org=RRV 2024-03-01T10:00:00.000Z..open"],
    );
    // Without the prior location only the new ward is known.
    check_relationships(
        &adt("A02", &[], &no_doctors),
        &["encounter hl7:RRV:V123:encounter:WARD7 user= team=WARD7 org=RRV 2024-03-01T10:10:00.000Z..open"],
    );
}

#[test]
fn a_cancelled_admission_cancels_what_the_admission_stated() {
    let no_doctors = [(7, ""), (8, ""), (9, ""), (17, "")];
    let admitted = facts(&adt("A01", &[], &no_doctors)).expect("A01 maps");
    let cancelled = facts(&adt("A11", &[], &no_doctors)).expect("A11 maps");
    let (CareFact::Relationship(admitted), CareFact::Relationship(cancelled)) =
        (&admitted[1], &cancelled[1])
    else {
        panic!("no relationships: {admitted:?} {cancelled:?}");
    };
    assert_eq!(admitted.relationship_id, cancelled.relationship_id);
    assert!(!admitted.cancelled);
    assert!(cancelled.cancelled);
}

proptest! {
    #[test]
    fn never_panics_on_mangled_messages(
        trigger in proptest::sample::select(vec![
            "ADT^A01", "ADT^A02", "ADT^A03", "ADT^A11", "ADT^A13", "ADT^A40", "SIU^S12", "SIU^S15",
        ]),
        insertions in vec((0_usize..2000, proptest::sample::select(vec![
            "|", "^", "~", "&", "\\", "\r", "\"\"", "PV1|", "MRG|", "AIP|1|", "SCH|", "TQ1|",
            "99999999999999999999", "-", "+9999", ".", "1e308", "NaN", "\u{e9}", "\\X00\\",
        ])), 0..12),
    ) {
        let mut text = [
            adt("A01", &[], &[]).replace("ADT^A01", trigger),
            "MRG|1^^^MRN".to_owned(),
            segment("SCH", SCH),
            segment("AIP", AIP),
        ]
        .join("\r");
        for (position, token) in insertions {
            let mut at = position % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert_str(at, token);
        }
        for message in split_messages(text.as_bytes()).into_iter().flatten() {
            let _ = care_facts(&message);
        }
    }
}
