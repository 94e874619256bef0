//! Appointment tests: where SIU senders put the appointment, its time and its people, and
//! which triggers cancel; with the fixtures and helpers of `hl7v2_care_tests.rs`.

use crate::hl7v2_care::tests::{
    check_relationships, facts, kinds, line, msh, reject, segment, with, AIP, PID, SCH,
};

/// A SIU message of `trigger`: SCH, PID, PV1, AIL and AIP, each changed as given (`None`
/// leaves the segment out).
fn siu(
    trigger: &str,
    sch: Option<&[(usize, &str)]>,
    pv1: &[(usize, &str)],
    aip: Option<&[(usize, &str)]>,
) -> String {
    let mut segments = vec![msh(&format!("SIU^{trigger}"))];
    segments.extend(sch.map(|sch| segment("SCH", sch)));
    segments.push(segment("PID", PID));
    segments.push(segment(
        "PV1",
        &with(&[(3, "CLINIC^^^RRV02"), (7, "D1^DOC")], pv1),
    ));
    segments.push(segment("AIL", &[(3, "OPD3^ROOM1^^RRV01")]));
    segments.extend(aip.map(|aip| segment("AIP", aip)));
    segments.join("\r")
}

#[test]
fn an_appointment_binds_each_person_booked_around_their_slot() {
    check_relationships(
        &siu("S12", Some(SCH), &[], Some(AIP)),
        &[
            "appointment hl7:RRV:appointment:F1:P100 user=P100 team=OPD3 org=RRV 2024-03-03T09:00:00.000Z..2024-03-17T09:20:00.000Z",
            "appointment hl7:RRV:appointment:F1:P200 user=P200 team=OPD3 org=RRV 2024-03-03T09:00:00.000Z..2024-03-17T09:20:00.000Z",
        ],
    );
    for (trigger, expected) in [
        ("S12", "patient appointment×2"),
        ("S13", "patient appointment×2"),
        ("S14", "patient appointment×2"),
        ("S15", "patient appointment cancelled×2"),
        ("S17", "patient appointment cancelled×2"),
        ("S26", "patient appointment cancelled×2"),
        ("S16", "error:unsupported_message_type"),
    ] {
        assert_eq!(
            kinds(&siu(trigger, Some(SCH), &[], Some(AIP))),
            expected,
            "{trigger}"
        );
    }
}

#[test]
fn finds_the_appointment_its_time_and_its_people_where_senders_put_them() {
    fn one(aip: &[(usize, &'static str)]) -> Vec<(usize, &'static str)> {
        with(AIP, &with(&[(3, "P100")], aip))
    }
    // TQ1 before SCH-11; the slot's own start and duration before the appointment's.
    let with_tq1 = siu("S12", Some(SCH), &[], Some(&one(&[(6, "")])))
        .replace("\rPID", "\rTQ1|||||||20240311080000|20240311083000\rPID");
    check_relationships(
        &with_tq1,
        &["appointment hl7:RRV:appointment:F1:P100 user=P100 team=OPD3 org=RRV 2024-03-04T08:00:00.000Z..2024-03-18T08:20:00.000Z"],
    );
    // An offset from the appointment's start; durations in seconds, hours, unknown units.
    let cases = [
        (
            vec![(6, ""), (7, "30"), (8, "min")],
            "2024-03-03T09:30:00.000Z..2024-03-17T09:50:00.000Z",
        ),
        (
            vec![(9, "3600.000"), (10, "s")],
            "2024-03-03T09:00:00.000Z..2024-03-17T10:00:00.000Z",
        ),
        (
            vec![(9, "1"), (10, "h")],
            "2024-03-03T09:00:00.000Z..2024-03-17T10:00:00.000Z",
        ),
        (
            vec![(9, "1"), (10, "parsec")],
            "2024-03-03T09:00:00.000Z..2024-03-17T09:30:00.000Z",
        ),
        (
            vec![(9, "-5"), (10, "")],
            "2024-03-03T09:00:00.000Z..2024-03-17T09:30:00.000Z",
        ),
    ];
    for (aip, window) in cases {
        let facts = facts(&siu("S12", Some(SCH), &[], Some(&one(&aip)))).expect("maps");
        assert!(
            line(&facts[1]).ends_with(window),
            "{aip:?}: {}",
            line(&facts[1])
        );
    }
    // Nobody in AIP: PV1-7's attending; nobody at all: the clinic and organisation only.
    check_relationships(
        &siu("S12", Some(SCH), &[], None),
        &["appointment hl7:RRV:appointment:F1:D1 user=D1 team=OPD3 org=RRV 2024-03-03T09:00:00.000Z..2024-03-17T09:30:00.000Z"],
    );
    check_relationships(
        &siu("S12", Some(SCH), &[(7, "")], None),
        &["appointment hl7:RRV:appointment:F1 user= team=OPD3 org=RRV 2024-03-03T09:00:00.000Z..2024-03-17T09:30:00.000Z"],
    );
    // The appointment id: SCH-2, SCH-1, PV1-19, else the patient and the start.
    let ids = [
        (
            Some(with(SCH, &[(2, "")])),
            vec![],
            "hl7:RRV:appointment:P1:P100",
        ),
        (
            Some(with(SCH, &[(1, ""), (2, "")])),
            vec![(19, "V9")],
            "hl7:RRV:appointment:V9:P100",
        ),
        (
            None,
            vec![],
            "hl7:RRV:appointment:9434765919@20240310090000:P100",
        ),
    ];
    for (sch, pv1, expected) in ids {
        let facts = facts(&siu("S12", sch.as_deref(), &pv1, Some(&one(&[])))).expect("maps");
        assert!(line(&facts[1]).contains(expected), "{}", line(&facts[1]));
    }
    // No start anywhere.
    reject(
        &siu("S12", Some(&[(2, "F1")]), &[], Some(&one(&[(6, "")]))),
        "missing_appointment_time",
    );
    reject(
        &siu("S12", Some(SCH), &[], Some(AIP)).replace("\rPID|", "\rXXX|"),
        "missing_patient",
    );
}
