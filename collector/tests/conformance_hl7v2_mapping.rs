//! The care-context mapping of representative messages in `shared/testdata/hl7v2`, row by row:
//! an admission with its doctors, a transfer, discharges, the UCLH cancel-admit sequence
//! replayed as storage would, merges and appointments; and agreement with Microsoft's FHIR
//! converter, whose expected bundles show what the same fields mean. (Every file's outcome is
//! in `conformance_hl7v2.rs`.) The test data lives beside the repository; a missing file fails,
//! never skips.

#[path = "support/testdata.rs"]
mod support;
use support::{files_under, read};

use collector::{hl7_care_facts as care_facts, split_messages, Hl7Message};
use domain::{CareFact, RelationshipKind, RelationshipRecord, Timestamp};
use std::collections::BTreeMap;

const UCLH_NHS: &str = "9999999999";

/// The messages of a file that split cleanly.
fn messages(relative: &str) -> Vec<Hl7Message> {
    split_messages(&read(relative))
        .into_iter()
        .map(|result| result.unwrap_or_else(|error| panic!("{relative}: {error}")))
        .collect()
}

fn facts(relative: &str) -> Vec<CareFact> {
    let messages = messages(relative);
    assert_eq!(messages.len(), 1, "{relative}");
    care_facts(&messages[0]).unwrap_or_else(|error| panic!("{relative}: {error}"))
}

/// One relationship as a row: id, patient, kind, user, team, organisation, window, cancelled.
fn row(relationship: &RelationshipRecord) -> String {
    format!(
        "{} | {} | {} | {} | {} | {} | {} | {} | {}",
        relationship.relationship_id,
        relationship.patient_id,
        relationship.kind.as_str(),
        relationship.user_id,
        relationship.team,
        relationship.org_code,
        relationship.valid_from,
        relationship
            .valid_to
            .map_or_else(|| "open".to_owned(), |valid_to| valid_to.to_string()),
        if relationship.cancelled {
            "cancelled"
        } else {
            "active"
        },
    )
}

fn relationships(facts: &[CareFact]) -> Vec<&RelationshipRecord> {
    facts
        .iter()
        .filter_map(|fact| match fact {
            CareFact::Relationship(relationship) => Some(relationship),
            _ => None,
        })
        .collect()
}

fn rows(facts: &[CareFact]) -> Vec<String> {
    relationships(facts).into_iter().map(row).collect()
}

#[test]
fn an_admission_binds_its_ward_and_doctors_from_the_admit_time() {
    // PV1-44 `20150208113419+0110`; PV1-3 `HUH AE OMU&9.8&ISO^...`; MSH-4 `GHHSFacility^...`.
    assert_eq!(
        rows(&facts("hl7v2/microsoft-fhir-converter/ADT-A01-01.hl7")),
        [
            "hl7:GHHSFacility:40007716:encounter:HUH AE OMU | 2.16.1|PATID1234 | encounter |  | HUH AE OMU | GHHSFacility | 2015-02-08T10:24:19.000Z | open | active",
            "hl7:GHHSFacility:40007716:attending:1122334 | 2.16.1|PATID1234 | clinician | 1122334 |  | GHHSFacility | 2015-02-08T10:24:19.000Z | open | active",
            "hl7:GHHSFacility:40007716:referring:C006 | 2.16.1|PATID1234 | clinician | C006 |  | GHHSFacility | 2015-02-08T10:24:19.000Z | open | active",
            "hl7:GHHSFacility:40007716:consulting:C008 | 2.16.1|PATID1234 | clinician | C008 |  | GHHSFacility | 2015-02-08T10:24:19.000Z | open | active",
            "hl7:GHHSFacility:40007716:admitting:37 | 2.16.1|PATID1234 | clinician | 37 |  | GHHSFacility | 2015-02-08T10:24:19.000Z | open | active",
        ]
    );
    // The NHS-style one: the NHS number is the key, each doctor counted in every scheme.
    let uclh = facts("hl7v2/uclh-emap-GPL-3.0/generic/A01.hl7");
    let Some(CareFact::Patient(patient)) = uclh.first() else {
        panic!("no patient first");
    };
    assert_eq!(patient.patient_id, UCLH_NHS);
    assert_eq!(patient.nhs_number, UCLH_NHS);
    assert_eq!(
        patient.identifiers,
        [
            ("MRENTR".to_owned(), "40800000".to_owned()),
            (domain::NHS_NUMBER_SYSTEM.to_owned(), UCLH_NHS.to_owned())
        ]
    );
    let users: Vec<(&str, &str)> = relationships(&uclh)
        .iter()
        .map(|relationship| {
            let role = relationship.relationship_id.split(':').nth(3).unwrap_or("");
            (role, relationship.user_id.as_str())
        })
        .collect();
    assert_eq!(
        users,
        [
            ("encounter", ""),
            ("attending", "HB"),
            ("attending", "C1111111"),
            ("attending", "752"),
            ("consulting", "TYS"),
            ("consulting", "C1111111"),
            ("consulting", "752"),
            ("admitting", "TYS"),
            ("admitting", "C1111111"),
            ("admitting", "752"),
        ]
    );
    assert!(relationships(&uclh).iter().all(|relationship| {
        relationship.valid_from.to_string() == "2013-02-11T10:00:52.000Z"
            && relationship.org_code == "UCLH"
            && relationship.valid_to.is_none()
    }));
}

#[test]
fn a_transfer_and_a_discharge_move_and_close_the_visit() {
    assert_eq!(
        rows(&facts("hl7v2/microsoft-fhir-converter/ADT-A02-01.hl7"))[..2],
        [
            "hl7:GHHSFacility:40007716:encounter:4 East, room 136, bed B 4E | 2.16.1|PATID1234 | encounter |  | 4 East, room 136, bed B 4E | GHHSFacility | 2015-02-08T10:24:19.000Z | 2021-08-17T13:19:43.400Z | active",
            "hl7:GHHSFacility:40007716:encounter:HUH AE OMU | 2.16.1|PATID1234 | encounter |  | HUH AE OMU | GHHSFacility | 2021-08-17T13:19:43.400Z | open | active",
        ]
    );
    // PV1-45 `201302111000` is to the minute, 52 s before PV1-44: the visit ends with its minute.
    assert_eq!(
        rows(&facts("hl7v2/uclh-emap-GPL-3.0/generic/A03.hl7"))[0],
        "hl7:UCLH:123412341234:encounter:T11E | 9999999999 | encounter |  | T11E | UCLH | 2013-02-11T10:00:52.000Z | 2013-02-11T10:01:00.000Z | active"
    );
    // No PV1-45 in HAPI's A03: the discharge is EVN-6, to the minute.
    assert_eq!(
        rows(&facts("hl7v2/hapi/adt_a03.hl7")),
        [
            "hl7:SANTER:2008003369:encounter:6402DH | PK|5520255 | encounter |  | 6402DH | SANTER | 2008-03-03T15:08:00.000Z | 2008-03-03T15:09:00.000Z | active",
            "hl7:SANTER:2008003369:attending:13936 | PK|5520255 | clinician | 13936 |  | SANTER | 2008-03-03T15:08:00.000Z | 2008-03-03T15:09:00.000Z | active",
            "hl7:SANTER:2008003369:admitting:5068 | PK|5520255 | clinician | 5068 |  | SANTER | 2008-03-03T15:08:00.000Z | 2008-03-03T15:09:00.000Z | active",
        ]
    );
}

#[test]
fn the_cancel_admit_sequence_leaves_the_last_stay_discharged() {
    // What storage does: the latest fact per relationship id wins. The A03 names only the
    // attending doctor, so the consulting and admitting doctors of the A01 stay open: a message
    // closes what it restates (see `hl7v2_care/visit.rs`); closing the rest of the visit needs
    // storage to act on the relationship id prefix `hl7:UCLH:123412341234:`.
    let mut state: BTreeMap<String, RelationshipRecord> = BTreeMap::new();
    for file in files_under("hl7v2/uclh-emap-GPL-3.0/sequence-CancelAdmit", ".hl7") {
        for relationship in relationships(&facts(&file)) {
            state.insert(relationship.relationship_id.clone(), relationship.clone());
        }
    }
    let rows: Vec<String> = state.values().map(row).collect();
    assert_eq!(
        rows,
        [
            "hl7:UCLH:123412341234:admitting:752 | 9999999999 | clinician | 752 |  | UCLH | 2013-02-11T13:00:52.000Z | open | active",
            "hl7:UCLH:123412341234:admitting:C1111111 | 9999999999 | clinician | C1111111 |  | UCLH | 2013-02-11T13:00:52.000Z | open | active",
            "hl7:UCLH:123412341234:admitting:TYS | 9999999999 | clinician | TYS |  | UCLH | 2013-02-11T13:00:52.000Z | open | active",
            "hl7:UCLH:123412341234:attending:752 | 9999999999 | clinician | 752 |  | UCLH | 2013-02-11T13:00:52.000Z | 2013-02-11T15:00:53.000Z | active",
            "hl7:UCLH:123412341234:attending:C1111111 | 9999999999 | clinician | C1111111 |  | UCLH | 2013-02-11T13:00:52.000Z | 2013-02-11T15:00:53.000Z | active",
            "hl7:UCLH:123412341234:attending:HB | 9999999999 | clinician | HB |  | UCLH | 2013-02-11T13:00:52.000Z | 2013-02-11T15:00:53.000Z | active",
            "hl7:UCLH:123412341234:consulting:752 | 9999999999 | clinician | 752 |  | UCLH | 2013-02-11T13:00:52.000Z | open | active",
            "hl7:UCLH:123412341234:consulting:C1111111 | 9999999999 | clinician | C1111111 |  | UCLH | 2013-02-11T13:00:52.000Z | open | active",
            "hl7:UCLH:123412341234:consulting:TYS | 9999999999 | clinician | TYS |  | UCLH | 2013-02-11T13:00:52.000Z | open | active",
            "hl7:UCLH:123412341234:encounter:ED | 9999999999 | encounter |  | ED | UCLH | 2013-02-11T13:00:52.000Z | 2013-02-11T15:00:53.000Z | active",
        ]
    );
}

#[test]
fn a_merge_names_the_surviving_and_the_merged_patient() {
    let merges = |file: &str| -> Vec<(String, String)> {
        facts(file)
            .into_iter()
            .filter_map(|fact| match fact {
                CareFact::PatientMerge { surviving, merged } => Some((surviving, merged)),
                _ => None,
            })
            .collect()
    };
    let pair = |surviving: &str, merged: &str| vec![(surviving.to_owned(), merged.to_owned())];
    assert_eq!(
        merges("hl7v2/uclh-emap-GPL-3.0/generic/A40.hl7"),
        pair(UCLH_NHS, "MRENTR|40800000")
    );
    assert_eq!(
        merges("hl7v2/dcm4che/ADT_A40-PatientMerge.hl7"),
        pair("ADT1|NEW_PID_1", "ADT1|OLD_PID_1")
    );
    assert_eq!(
        merges("hl7v2/microsoft-fhir-converter/ADT-A40-01.hl7"),
        pair("BCBS|12345", "BCBS|56789")
    );
}

#[test]
fn an_appointment_binds_the_person_booked() {
    // TQ1-7/8 09:30–10:20 +0215; AIP-3 `1210^GE^Robert^C` for 50 minutes; AIL-3 `055^Room01`.
    assert_eq!(
        rows(&facts("hl7v2/microsoft-fhir-converter/SIU-S12-01.hl7")),
        ["hl7:GHHSFacility:appointment:36996:1210 | 2.16.1|PATID1234 | appointment | 1210 | 055 | GHHSFacility | 2021-09-17T07:15:00.000Z | 2021-10-01T08:05:00.000Z | active"]
    );
    // No SCH: PV1-19 names the appointment; AIP-6 and an hour in seconds; AIL-3 `UCI^R1`.
    assert_eq!(
        rows(&facts("hl7v2/dcm4che/SIU_S12-NewAppointmentBooking.hl7")),
        ["hl7:XYZ_RADIOLOGY:appointment:AdmissionIDFromVisitNo:12345 | ADT1|PID_1 | appointment | 12345 | UCI | XYZ_RADIOLOGY | 2020-10-16T08:30:00.000Z | 2020-10-30T09:30:00.000Z | active"]
    );
    // Booking, reschedule, modification, cancellation and no-show: one relationship id.
    let ids: Vec<String> = ["S12", "S13", "S14", "S15", "S26"]
        .iter()
        .flat_map(|trigger| {
            let file = format!("hl7v2/microsoft-fhir-converter/SIU-{trigger}-01.hl7");
            rows(&facts(&file))
        })
        .map(|row| row.split(" | ").next().unwrap_or_default().to_owned())
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
}

/// The resources of Microsoft's expected FHIR bundle for `stem`, in order.
fn expected_fhir(stem: &str) -> Vec<serde_json::Value> {
    let relative = format!("hl7v2/microsoft-fhir-converter/expected-fhir/{stem}-expected.json");
    let bundle: serde_json::Value = serde_json::from_slice(&read(&relative))
        .unwrap_or_else(|error| panic!("{relative}: {error}"));
    bundle["entry"]
        .as_array()
        .unwrap_or_else(|| panic!("{relative}: no entries"))
        .iter()
        .map(|entry| entry["resource"].clone())
        .collect()
}

fn of_type<'a>(resources: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    resources
        .iter()
        .filter(|resource| resource["resourceType"] == kind)
        .collect()
}

fn instant(value: &serde_json::Value) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(value.as_str()?)
}

/// Microsoft's converter reads the same fields into FHIR: its Encounter's participants (by v2
/// role) and period, its Patient's identifiers and birth date, its Appointment's times, must
/// agree with the relationships and patient mapped here.
#[test]
fn agrees_with_microsofts_fhir_conversion() {
    let role_codes = [
        ("attending", "ATND"),
        ("referring", "REF"),
        ("consulting", "CON"),
        ("admitting", "ADM"),
    ];
    // (file, whether Microsoft's period end is a discharge): in ADT-A04-01 it is PV2-9, the
    // *expected* discharge, which is a plan and ends nothing here.
    let visits = [
        ("ADT-A01-01", true),
        ("ADT-A01-02", true),
        ("ADT-A03-01", true),
        ("ADT-A03-02", true),
        ("ADT-A04-01", false),
        ("ADT-A04-02", true),
        ("ADT-A08-01", true),
        ("ADT-A08-02", true),
        ("ADT-A13-01", true),
        ("ADT01-23", true),
    ];
    for (stem, end_is_discharge) in visits {
        let facts = facts(&format!("hl7v2/microsoft-fhir-converter/{stem}.hl7"));
        let resources = expected_fhir(stem);
        let practitioner_ids: BTreeMap<String, String> = of_type(&resources, "Practitioner")
            .into_iter()
            .map(|practitioner| {
                let id = practitioner["id"].as_str().unwrap_or_default().to_owned();
                let value = practitioner["identifier"][0]["value"]
                    .as_str()
                    .unwrap_or_default();
                (format!("Practitioner/{id}"), value.to_owned())
            })
            .collect();
        let encounters = of_type(&resources, "Encounter");
        let encounter = encounters
            .first()
            .unwrap_or_else(|| panic!("{stem}: no Encounter"));
        let participants: Vec<(String, String)> = encounter["participant"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|participant| {
                let role = participant["type"][0]["coding"][0]["code"].as_str()?;
                let reference = participant["individual"]["reference"].as_str()?;
                Some((role.to_owned(), practitioner_ids.get(reference)?.clone()))
            })
            .collect();
        let period_start = instant(&encounter["period"]["start"]);
        let period_end = instant(&encounter["period"]["end"]);
        for relationship in relationships(&facts) {
            assert_eq!(Some(relationship.valid_from), period_start, "{stem}: start");
            // PV1-45 is to the second, and a window ends where the stated second does.
            let end = period_end.map(|end| Timestamp::from_millis(end.as_millis() + 1000));
            if end_is_discharge {
                assert_eq!(relationship.valid_to, end, "{stem}: end");
            } else {
                assert_eq!(relationship.valid_to, None, "{stem}: end");
            }
            if relationship.kind != RelationshipKind::Clinician {
                continue;
            }
            let role = relationship.relationship_id.split(':').nth(3).unwrap_or("");
            let code = role_codes
                .iter()
                .find(|(name, _)| *name == role)
                .map(|(_, code)| (*code).to_owned())
                .unwrap_or_default();
            let participant = (code, relationship.user_id.clone());
            assert!(
                participants.contains(&participant),
                "{stem}: {participant:?} not among {participants:?}"
            );
        }
        let Some(CareFact::Patient(patient)) = facts.first() else {
            panic!("{stem}: no patient");
        };
        let fhir_patient = of_type(&resources, "Patient")[0];
        let fhir_identifiers: Vec<&str> = fhir_patient["identifier"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|identifier| identifier["value"].as_str())
            .collect();
        for (_, value) in &patient.identifiers {
            assert!(
                fhir_identifiers.contains(&value.as_str()),
                "{stem}: {value}"
            );
        }
        assert_eq!(
            patient.birth_date.map(|date| date.to_string()).as_deref(),
            fhir_patient["birthDate"].as_str(),
            "{stem}"
        );
    }

    for (stem, cancelled) in [
        ("SIU-S12-01", false),
        ("SIU-S15-01", true),
        ("SIU-S26-01", true),
    ] {
        let facts = facts(&format!("hl7v2/microsoft-fhir-converter/{stem}.hl7"));
        let resources = expected_fhir(stem);
        let appointment = of_type(&resources, "Appointment")[0];
        let week = 7 * 24 * 60 * 60 * 1000;
        let start = instant(&appointment["start"]).expect("Appointment.start");
        let end = instant(&appointment["end"]).expect("Appointment.end");
        let relationship = relationships(&facts)[0].clone();
        assert_eq!(
            relationship.valid_from.as_millis(),
            start.as_millis() - week,
            "{stem}"
        );
        assert_eq!(
            relationship.valid_to.map(Timestamp::as_millis),
            Some(end.as_millis() + week),
            "{stem}"
        );
        assert_eq!(relationship.cancelled, cancelled, "{stem}");
        let status = appointment["status"].as_str().unwrap_or_default();
        assert_eq!(cancelled, status != "booked", "{stem}: {status}");
    }
}
