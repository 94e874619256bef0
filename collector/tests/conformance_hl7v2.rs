//! The HL7 v2 parser and the care-context mapping against the public messages in
//! `shared/testdata/hl7v2`: Microsoft's FHIR converter samples (LF separators), HAPI's (one
//! with custom delimiters and CRLF), dcm4che's, python-hl7's batch and file samples (FHS/BHS
//! envelopes, valid and deliberately broken) and UCLH's NHS-style Epic messages (GPL-3.0: read
//! here at test time, never copied). Each file has its expected outcome, message by message, in
//! a table below, written by reading the file; a file without an entry (or an entry without a
//! file) fails the test, so new test data cannot go unchecked. Every message must also be
//! answerable with an ACK. The relationships of representative messages are checked row by row
//! in `conformance_hl7v2_mapping.rs`. The test data lives beside the repository (CI checks out
//! `shared/` next to it); a missing directory fails, never skips.

#[path = "support/testdata.rs"]
mod support;
use support::{files_under, read};

use collector::{ack, hl7_care_facts as care_facts, split_messages, AckCode, Hl7Error, Hl7Message};
use domain::{CareFact, Timestamp};
use std::collections::BTreeMap;

/// 2026-11-21T20:00:00Z, the `now` of the acknowledgements.
const NOW: i64 = 1_795_291_200_000;

const GHH: &str = "2.16.1|PATID1234";
const GHH_VISIT: &str = "patient encounter clinician×4";
const VINAH_A04: &str = "ADT^A04 patient=100|0000112234 facts=patient encounter";
const UCLH_NHS: &str = "9999999999";

/// Every file, and what each message in it becomes: `<type> patient=<key> facts=<kinds>`, or
/// `<type> error:<reason_code>` when the message cannot be mapped, or `error:<reason_code>` for
/// input that is not a message at all.
#[rustfmt::skip] // One row per file reads better than rustfmt's layout.
fn expectations() -> BTreeMap<&'static str, Vec<String>> {
    let ghh = |trigger: &str, facts: &str| format!("{trigger} patient={GHH} facts={facts}");
    let uclh = |trigger: &str, facts: &str| format!("{trigger} patient={UCLH_NHS} facts={facts}");
    let owned = |lines: &[&str]| lines.iter().map(|line| (*line).to_owned()).collect::<Vec<_>>();
    BTreeMap::from([
        // dcm4che: CR separators, v2.5.1, MSH-18 8859/1.
        ("hl7v2/dcm4che/ADT_A31-UpdatePersonInfo-Veterinary.hl7", owned(&["ADT^A31 patient=ADT1|PID_1 facts=patient"])),
        ("hl7v2/dcm4che/ADT_A31-UpdatePersonInfo.hl7", owned(&["ADT^A31 patient=ADT1|PID_1 facts=patient"])),
        ("hl7v2/dcm4che/ADT_A40-PatientMerge.hl7", owned(&["ADT^A40 patient=ADT1|NEW_PID_1 facts=patient merge"])),
        ("hl7v2/dcm4che/ADT_A47-ChangePatientID.hl7", owned(&["ADT^A47 error:unsupported_message_type"])),
        // Named ORM^O01, but MSH-9 says OMI^O23 (an imaging order): not care context either way.
        ("hl7v2/dcm4che/ORM_O01-GeneralOrder.hl7", owned(&["OMI^O23 error:unsupported_message_type"])),
        // No SCH: the appointment is PV1-19 and starts at AIS-4; `\XC7\\XC3\` in AIS-3.
        ("hl7v2/dcm4che/SIU_S12-NewAppointmentBooking.hl7", owned(&["SIU^S12 patient=ADT1|PID_1 facts=patient appointment"])),
        // PID-2 `9999999999^^` is unmarked and passes the NHS check; PV1-7 `^MOUSE^MICKEY` has
        // no id. The file ends without a segment terminator.
        ("hl7v2/hapi/ADT_A01.hl7", owned(&["ADT^A01 patient=9999999999 facts=patient encounter"])),
        ("hl7v2/hapi/adt_a03.hl7", owned(&["ADT^A03 patient=PK|5520255 facts=patient encounter clinician×2"])),
        // `MSH^~|\&^`, CRLF, two PIDs: read, then refused as A24 (link patients).
        ("hl7v2/hapi/segmentfinder_a24-custom-delimiters.hl7", owned(&["ADT^A24 error:unsupported_message_type"])),
        // Microsoft: LF separators, one clinician per role (PV1-7, -8, -9, -17).
        ("hl7v2/microsoft-fhir-converter/ADT-A01-01.hl7", vec![ghh("ADT^A01", GHH_VISIT)]),
        ("hl7v2/microsoft-fhir-converter/ADT-A01-02.hl7", vec![ghh("ADT^A01", GHH_VISIT)]),
        // PV1-6 names the prior ward: closed at the transfer, the new one opened.
        ("hl7v2/microsoft-fhir-converter/ADT-A02-01.hl7", vec![ghh("ADT^A02", "patient encounter×2 clinician×4")]),
        ("hl7v2/microsoft-fhir-converter/ADT-A03-01.hl7", vec![ghh("ADT^A03", GHH_VISIT)]),
        ("hl7v2/microsoft-fhir-converter/ADT-A03-02.hl7", vec![ghh("ADT^A03", GHH_VISIT)]),
        ("hl7v2/microsoft-fhir-converter/ADT-A04-01.hl7", vec![ghh("ADT^A04", GHH_VISIT)]),
        ("hl7v2/microsoft-fhir-converter/ADT-A04-02.hl7", vec![ghh("ADT^A04", GHH_VISIT)]),
        // No PV1-44: the visit starts at EVN-6.
        ("hl7v2/microsoft-fhir-converter/ADT-A05-01.hl7", vec![ghh("ADT^A05", GHH_VISIT)]),
        ("hl7v2/microsoft-fhir-converter/ADT-A08-01.hl7", vec![ghh("ADT^A08", GHH_VISIT)]),
        ("hl7v2/microsoft-fhir-converter/ADT-A08-02.hl7", vec![ghh("ADT^A08", GHH_VISIT)]),
        ("hl7v2/microsoft-fhir-converter/ADT-A11-01.hl7", vec![ghh("ADT^A11", "patient encounter cancelled clinician cancelled×4")]),
        ("hl7v2/microsoft-fhir-converter/ADT-A13-01.hl7", vec![ghh("ADT^A13", GHH_VISIT)]),
        ("hl7v2/microsoft-fhir-converter/ADT-A28-01.hl7", vec![ghh("ADT^A28", "patient")]),
        ("hl7v2/microsoft-fhir-converter/ADT-A28-02.hl7", vec![ghh("ADT^A28", "patient")]),
        ("hl7v2/microsoft-fhir-converter/ADT-A31-01.hl7", vec![ghh("ADT^A31", "patient")]),
        ("hl7v2/microsoft-fhir-converter/ADT-A31-02.hl7", vec![ghh("ADT^A31", "patient")]),
        ("hl7v2/microsoft-fhir-converter/ADT-A40-01.hl7", owned(&["ADT^A40 patient=BCBS|12345 facts=patient merge"])),
        // A UTF-8 BOM before MSH; the same doctor attending and admitting.
        ("hl7v2/microsoft-fhir-converter/ADT01-23.hl7", owned(&["ADT^A01 patient=1|10006579 facts=patient encounter clinician×2"])),
        // No assigning authority: the bare MRN; no visit number: patient and admit time.
        ("hl7v2/microsoft-fhir-converter/ADT04-251.hl7", owned(&["ADT^A04 patient=MRN12345 facts=patient encounter clinician"])),
        ("hl7v2/microsoft-fhir-converter/SIU-S12-01.hl7", vec![ghh("SIU^S12", "patient appointment")]),
        ("hl7v2/microsoft-fhir-converter/SIU-S13-01.hl7", vec![ghh("SIU^S13", "patient appointment")]),
        ("hl7v2/microsoft-fhir-converter/SIU-S14-01.hl7", vec![ghh("SIU^S14", "patient appointment")]),
        ("hl7v2/microsoft-fhir-converter/SIU-S15-01.hl7", vec![ghh("SIU^S15", "patient appointment cancelled")]),
        ("hl7v2/microsoft-fhir-converter/SIU-S26-01.hl7", vec![ghh("SIU^S26", "patient appointment cancelled")]),
        // python-hl7: lab results are not care context.
        ("hl7v2/python-hl7/rep_sample_hl7.hl7", owned(&["ORU^R01 error:unsupported_message_type"])),
        ("hl7v2/python-hl7/sample_hl7.hl7", owned(&["ORU^R01 error:unsupported_message_type"])),
        // A Cerner-style A01: five PID-3 repetitions, one doctor in three roles, PV1-16 ` U`.
        ("hl7v2/python-hl7/sample_msh.hl7", owned(&["ADT^A01 patient=MSH_MRN|2148790 facts=patient encounter clinician×3"])),
        // VINAH batches and files: every envelope shape python-hl7 accepts (headers or trailers
        // missing) gives its messages; no PV1-19 and no PV1-44, so each visit is the patient at
        // EVN-2.
        ("hl7v2/python-hl7/sample_batch.hl7", owned(&[VINAH_A04])),
        ("hl7v2/python-hl7/sample_batch1.hl7", owned(&[VINAH_A04, VINAH_A04])),
        ("hl7v2/python-hl7/sample_batch2.hl7", owned(&[VINAH_A04, VINAH_A04])),
        ("hl7v2/python-hl7/sample_batch3.hl7", owned(&[VINAH_A04])),
        ("hl7v2/python-hl7/sample_batch4.hl7", owned(&[VINAH_A04])),
        ("hl7v2/python-hl7/sample_file.hl7", owned(&[VINAH_A04])),
        ("hl7v2/python-hl7/sample_file1.hl7", owned(&[VINAH_A04, VINAH_A04, VINAH_A04])),
        ("hl7v2/python-hl7/sample_file2.hl7", owned(&[VINAH_A04, VINAH_A04])),
        ("hl7v2/python-hl7/sample_file3.hl7", owned(&[VINAH_A04])),
        ("hl7v2/python-hl7/sample_file4.hl7", owned(&[VINAH_A04])),
        ("hl7v2/python-hl7/sample_file5.hl7", owned(&[VINAH_A04])),
        ("hl7v2/python-hl7/sample_file6.hl7", owned(&[VINAH_A04])),
        // The broken ones, for python-hl7's reasons. A batch (or file) whose segments follow no
        // MSH ("Segment received before message header"):
        ("hl7v2/python-hl7/sample_bad_batch.hl7", owned(&["error:segment_before_msh"])),
        ("hl7v2/python-hl7/sample_bad_file.hl7", owned(&["error:segment_before_msh"])),
        ("hl7v2/python-hl7/sample_bad_file3.hl7", owned(&["error:segment_before_msh"])),
        // A second BHS (FHS) cuts a message after EVN ("Batch cannot have more than one BHS
        // segment", "File cannot have more than one FHS segment"): the MSH+EVN before it has no
        // patient, the header is an error of its own, the PID..PV1 after it belong to no MSH.
        ("hl7v2/python-hl7/sample_bad_batch1.hl7", owned(&["ADT^A04 error:missing_patient", "error:repeated_batch_header", "error:segment_before_msh"])),
        ("hl7v2/python-hl7/sample_bad_file1.hl7", owned(&["ADT^A04 error:missing_patient", "error:repeated_batch_header", "error:segment_before_msh"])),
        ("hl7v2/python-hl7/sample_bad_file2.hl7", owned(&["ADT^A04 error:missing_patient", "error:repeated_file_header", "error:segment_before_msh"])),
        // UCLH: PID-3 `9999999999^^^NHS^HN`; each doctor in three schemes (CONS, CDS, PROVID).
        ("hl7v2/uclh-emap-GPL-3.0/generic/A01.hl7", vec![uclh("ADT^A01", "patient encounter clinician×9")]),
        // PV1-6 is the same ward as PV1-3 (a bed move).
        ("hl7v2/uclh-emap-GPL-3.0/generic/A02.hl7", vec![uclh("ADT^A02", "patient encounter clinician×7")]),
        // PV1-45 (to the minute) is 52 s before PV1-44: its minute ends after the admission.
        ("hl7v2/uclh-emap-GPL-3.0/generic/A03.hl7", vec![uclh("ADT^A03", "patient encounter clinician×3")]),
        ("hl7v2/uclh-emap-GPL-3.0/generic/A04.hl7", vec![uclh("ADT^A04", "patient encounter clinician×9")]),
        ("hl7v2/uclh-emap-GPL-3.0/generic/A08_v1.hl7", vec![uclh("ADT^A08", "patient encounter clinician×9")]),
        ("hl7v2/uclh-emap-GPL-3.0/generic/A11.hl7", vec![uclh("ADT^A11", "patient encounter cancelled clinician cancelled×9")]),
        ("hl7v2/uclh-emap-GPL-3.0/generic/A13.hl7", vec![uclh("ADT^A13", "patient encounter clinician×3")]),
        // A17 swaps two patients' beds: two PID/PV1 groups, not taken.
        ("hl7v2/uclh-emap-GPL-3.0/generic/A17.hl7", owned(&["ADT^A17 error:unsupported_message_type"])),
        ("hl7v2/uclh-emap-GPL-3.0/generic/A40.hl7", vec![uclh("ADT^A40", "patient merge")]),
        ("hl7v2/uclh-emap-GPL-3.0/generic/A47.hl7", owned(&["ADT^A47 error:unsupported_message_type"])),
        ("hl7v2/uclh-emap-GPL-3.0/sequence-CancelAdmit/01_A01.hl7", vec![uclh("ADT^A01", "patient encounter clinician×9")]),
        ("hl7v2/uclh-emap-GPL-3.0/sequence-CancelAdmit/02_A11.hl7", vec![uclh("ADT^A11", "patient encounter cancelled clinician cancelled×9")]),
        ("hl7v2/uclh-emap-GPL-3.0/sequence-CancelAdmit/03_A01.hl7", vec![uclh("ADT^A01", "patient encounter clinician×9")]),
        ("hl7v2/uclh-emap-GPL-3.0/sequence-CancelAdmit/04_A02.hl7", vec![uclh("ADT^A02", "patient encounter clinician×9")]),
        ("hl7v2/uclh-emap-GPL-3.0/sequence-CancelAdmit/05_A03.hl7", vec![uclh("ADT^A03", "patient encounter clinician×3")]),
    ])
}

/// `patient encounter clinician×4`: the kinds of the facts, runs counted.
fn kinds(facts: &[CareFact]) -> String {
    let mut counted: Vec<(String, usize)> = Vec::new();
    for fact in facts {
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

fn outcome(result: &Result<Hl7Message, Hl7Error>) -> String {
    let message = match result {
        Ok(message) => message,
        Err(error) => return format!("error:{}", error.reason_code),
    };
    let message_type = message.message_type();
    match care_facts(message) {
        Err(error) => format!("{message_type} error:{}", error.reason_code),
        Ok(facts) => {
            let patient = match facts.first() {
                Some(CareFact::Patient(patient)) => patient.patient_id.clone(),
                _ => String::new(),
            };
            format!("{message_type} patient={patient} facts={}", kinds(&facts))
        }
    }
}

#[test]
fn every_hl7_file_splits_and_maps_as_expected() {
    let mut expectations = expectations();
    let files = files_under("hl7v2", ".hl7");
    assert!(
        files.len() >= 69,
        "expected at least 69 HL7 v2 files, found {}",
        files.len()
    );
    for file in &files {
        let expected = expectations.remove(file.as_str()).unwrap_or_else(|| {
            panic!("{file} has no expectation in this test: read it and add one")
        });
        let outcomes: Vec<String> = split_messages(&read(file)).iter().map(outcome).collect();
        assert_eq!(outcomes, expected, "{file}");
    }
    assert!(
        expectations.is_empty(),
        "expectations without a file: {:?}",
        expectations.keys()
    );
}

/// Every message in the corpus gets an acknowledgement that is itself readable HL7, in the
/// message's own delimiters, naming the message it answers.
#[test]
fn every_message_can_be_acknowledged() {
    for file in files_under("hl7v2", ".hl7") {
        for result in split_messages(&read(&file)) {
            let (original, code, error) = match &result {
                Ok(message) => match care_facts(message) {
                    Ok(_) => (Some(message), AckCode::Accept, None),
                    Err(error) => (Some(message), error.ack_code(), Some(error.clone())),
                },
                Err(error) => (None, error.ack_code(), Some(error.clone())),
            };
            let ack_error = error.as_ref().map(Hl7Error::ack_error);
            let bytes = ack(
                original,
                code,
                ack_error.as_ref(),
                Timestamp::from_millis(NOW),
            );
            let mut acks = split_messages(&bytes);
            assert_eq!(acks.len(), 1, "{file}");
            let answer = acks
                .remove(0)
                .unwrap_or_else(|error| panic!("{file}: {error}"));
            assert_eq!(answer.message_type().code, "ACK", "{file}");
            assert_eq!(answer.field("MSA", 1).text(), code.as_str(), "{file}");
            let control_id = original.map(Hl7Message::control_id).unwrap_or_default();
            assert_eq!(answer.field("MSA", 2).text(), control_id, "{file}");
            if let Some(original) = original {
                assert_eq!(answer.delimiters(), original.delimiters(), "{file}");
                assert_eq!(answer.version(), original.version(), "{file}");
                assert_eq!(answer.sending_facility(), hd(original, 6), "{file}");
            }
            assert_eq!(
                answer.segment("ERR").is_some(),
                code != AckCode::Accept,
                "{file}"
            );
        }
    }
}

/// MSH-`index` read as an HD (namespace id, else universal id).
fn hd(message: &Hl7Message, index: usize) -> String {
    let field = message.field("MSH", index);
    [field.component(1).text(), field.component(2).text()]
        .into_iter()
        .map(|part| part.trim().to_owned())
        .find(|part| !part.is_empty())
        .unwrap_or_default()
}
