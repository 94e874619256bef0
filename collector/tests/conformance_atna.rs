//! The ATNA mapper, and the whole syslog path (framer → parser → mapper), against the public
//! material in `shared/testdata`: every ATNA XML file of OpenATNA and IPF, the openhim syslog
//! fixtures and the byte captures of real syslog clients. Each file has its expected outcome in
//! a table below, written by reading the file; a file without an entry (or an entry without a
//! file) fails the test, so new test data cannot go unchecked. The test data lives beside the
//! repository (CI checks out `shared/` next to it); a missing directory fails, never skips.

#[path = "support/testdata.rs"]
mod support;
use support::{files_under, read};

use collector::{map_atna_message, parse_syslog, Framing, MappedAtnaMessage, SyslogFramer};
use domain::{Action, Channel, Provenance, Timestamp};
use std::collections::BTreeMap;
use Action::{Create, Delete, Execute, Read, Update};

#[derive(Debug)]
enum Expected {
    /// Mapped: `id|system` of the patient, the user id, the action, how many further patients.
    Access(&'static str, &'static str, Action, usize),
    /// Refused with this reason code.
    Rejected(&'static str),
}
use Expected::{Access, Rejected};

/// Every ATNA XML file: OpenATNA (RFC 3881) and IPF (DICOM, and IPF's ATNA→FHIR inputs).
#[rustfmt::skip] // One row per file reads better than rustfmt's layout.
fn atna_expectations() -> BTreeMap<&'static str, Expected> {
    BTreeMap::from([
        // Application start by a person (smm), login, start: not record accesses.
        ("atna/openatna/msgs/11115.xml", Rejected("no_patient")),
        ("atna/openatna/msgs/application-login.xml", Rejected("no_patient")),
        ("atna/openatna/msgs/application-start.xml", Rejected("no_patient")),
        // Two requestors, both systems (HL7 facility|application): the first is the user.
        ("atna/openatna/msgs/create-patient-record.xml",
            Access("101|urn:oid:1.3.6.1.4.1.21367.2010.1.2.300", "ENTERPRISE_SYS_NAME|SYS_NAME", Create, 0)),
        ("atna/openatna/msgs/dicom.xml",
            Access("102|urn:oid:1.3.6.1.4.1.21367.2010.1.2.300", "ENTERPRISE_SYS_NAME|SYS_NAME", Create, 0)),
        // `user@realm` is not an ODS code: no organisation.
        ("atna/openatna/msgs/dup.xml",
            Access("82|urn:oid:1.3.6.1.4.1.21367.2010.1.2.330", "CEZ@QCPR.quadramed", Update, 0)),
        // The CX is escaped twice (`&amp;amp;`); the identifier is still read.
        ("atna/openatna/msgs/no-source.xml",
            Access("SELF-5|urn:oid:1.3.6.1.4.1.21367.2005.3.7", "CAREFX APPLICATION", Create, 0)),
        // "asaip" (role Physician) is preferred over "me" (DICOM Source role).
        ("atna/openatna/msgs/partid.xml",
            Access("221325|urn:oid:1.3.6.1.4.1.21367.2010.1.2.300", "asaip", Read, 0)),
        ("atna/openatna/samples/Registry-ITI-18.xml",
            Access("4500098|urn:oid:1.3.6.1.4.1.21367.2010.1.2.300", "http://www.w3.org/2005/08/addressing/anonymous", Execute, 0)),
        // A bare ParticipantObjectID: no identifier system.
        ("atna/openatna/samples/Registry-ITI-42.xml",
            Access("178|", "http://www.w3.org/2005/08/addressing/anonymous", Create, 0)),
        ("atna/openatna/samples/Repository-ITI-41.xml",
            Access("1856|", "http://www.w3.org/2005/08/addressing/anonymous", Create, 0)),
        // Document retrieves that name only the document (role 3, report): no patient.
        ("atna/openatna/samples/Repository-ITI-42.xml", Rejected("no_patient")),
        ("atna/openatna/samples/Repository-ITI-43.xml", Rejected("no_patient")),
        // PDQ response: four patients returned, the first is the event's.
        ("atna/ipf/audit/pdq.xml",
            Access("24|urn:oid:2.16.840.1.113883.3.37.4.1.1.2.1.1", "MESA_DEPARTMENT|MESA_PD_CONSUMER", Execute, 3)),
        // A PDQm search that returned nobody.
        ("atna/ipf/audit/pdqm.xml", Rejected("no_patient")),
        ("atna/ipf/audit/pdqmread.xml",
            Access("IHERED-2340|reference", "/app-gateway/fhir/Patient/IHERED-2340", Execute, 0)),
        ("atna/ipf/audit/pdqv3.xml",
            Access("IHERED-2340|urn:oid:1.3.6.1.4.1.21367.13.20.1000", "unknown", Execute, 5)),
        ("atna/ipf/audit/pixfeed.xml",
            Access("7627199|urn:oid:2.16.840.1.113883.3.37.4.1.1.2.411.1", "PKL|SAP-ISH", Create, 0)),
        ("atna/ipf/audit/pixfeedmerge.xml",
            Access("MW-10001|urn:oid:2.16.840.1.113883.3.72.5.9.1", "NIST|NIST_SENDER", Delete, 0)),
        // One repeating CX with six identifiers.
        ("atna/ipf/audit/pixfeedmergesource.xml",
            Access("IHERED-2340|urn:oid:1.3.6.1.4.1.21367.13.20.1000", "BLA|IHE_SYS_IHERED", Update, 5)),
        ("atna/ipf/audit/pixfeedsource.xml",
            Access("IHERED-2342|urn:oid:1.3.6.1.4.1.21367.13.20.1000", "BLA|IHE_SYS_IHERED", Update, 2)),
        // A FHIR token `system|value` as ParticipantObjectID.
        ("atna/ipf/audit/pixm.xml",
            Access("IHEBLUE-2340|urn:oid:1.3.6.1.4.1.21367.13.20.3000", "/app-gateway/fhir/Patient/$ihe-pix", Execute, 0)),
        ("atna/ipf/audit/pixquery.xml",
            Access("27|urn:oid:2.16.840.1.113883.3.37.4.1.1.2.1.1", "MESA_DEPARTMENT|MESA_PIX_CLIENT", Execute, 1)),
        ("atna/ipf/audit/pixupdatesource.xml",
            Access("IHERED-2342|urn:oid:1.3.6.1.4.1.21367.13.20.1000", "BLA|IHE_SYS_IHERED", Read, 2)),
        ("atna/ipf/audit/pixv3feed.xml",
            Access("JW-824-v3|urn:oid:2.16.840.1.113883.3.72.5.9.1", "unknown", Create, 0)),
        ("atna/ipf/audit/pixv3query.xml",
            Access("JW-824-v3|urn:oid:2.16.840.1.113883.3.72.5.9.1", "unknown", Execute, 0)),
        // The only requestor has UserID="" (its pid is in AlternativeUserID).
        ("atna/ipf/audit/pixv3sourcefeed.xml", Rejected("no_user")),
        ("atna/ipf/audit/start.xml", Rejected("no_patient")),
        ("atna/ipf/audit/stop.xml", Rejected("no_patient")),
        ("atna/ipf/audit/xcpd.xml",
            Access("IHERED-1040|urn:oid:1.3.6.1.4.1.21367.13.20.1000", "unknown", Execute, 0)),
        ("atna/ipf/audit/xpidsource.xml",
            Access("IHEGREEN-2340|urn:oid:1.3.6.1.4.1.21367.13.20.2000", "BLA|IHE_SYS_IHERED", Update, 3)),
        // RFC 3881 dialect, EventDateTime without zone (taken as UTC).
        ("atna/ipf/atna2fhir/atna-record-1.xml",
            Access("ptid12345|", "smitty@readingroom.hospital.org", Create, 0)),
        // Four participants, one requestor with a name and two roles.
        ("atna/ipf/atna2fhir/atna-record-2.xml",
            Access("PATIENT1|urn:oid:2.16.756.5.30.1.191.1.0.2.1", "7601002860123", Create, 0)),
        ("atna/ipf/atna2fhir/audit-message-iti55.xml", Rejected("no_patient")),
    ])
}

/// What one syslog frame should give: its MSGID, the parser's deviations, the ATNA outcome.
type FrameExpectation = (&'static str, &'static [&'static str], Expected);

/// The openhim fixtures (unframed RFC 5424 with multi-line XML) and the client captures
/// (octet-counted, exactly as each client put them on the wire).
#[rustfmt::skip] // One row per file reads better than rustfmt's layout.
fn syslog_expectations() -> BTreeMap<&'static str, Vec<FrameExpectation>> {
    const LOGIN: Expected = Rejected("no_patient");
    const NONE: &[&str] = &[];
    BTreeMap::from([
        // openhim's negative tests: "non-xml message" and "unexpected type of xml message".
        ("syslog/openhim/negative-nonxml-payload.syslog", vec![("IHE+RFC-3881", NONE, Rejected("invalid_xml"))]),
        ("syslog/openhim/negative-unexpected-xml-payload.syslog", vec![("IHE+RFC-3881", NONE, Rejected("not_audit_message"))]),
        ("syslog/openhim/testAuditIHEDICOM.syslog", vec![("IHE+DICOM", NONE, LOGIN)]),
        ("syslog/openhim/testAuditIHERFC3881.syslog", vec![("IHE+RFC-3881", NONE, LOGIN)]),
        ("syslog/openhim/testAuditMessage.syslog", vec![("IHE+RFC-3881", NONE,
            Access("fc133984036647e|urn:oid:1.3.6.1.4.1.21367.2005.13.20.3000", "openhim-mediator-ohie-xds|openhim", Execute, 0))]),
        ("syslog/client-captures/npm-atna-audit_userLogin_tls_octet-count.bin", vec![("IHE+RFC-3881", NONE, LOGIN)]),
        // IPF start.xml relayed by rsyslog, which turned TABs into `#011` (still well-formed).
        ("syslog/client-captures/rsyslog-omfwd-gtls_octet-counted_SyslogProtocol23.bin",
            vec![("IHE+DICOM", NONE, Rejected("no_patient"))]),
        // loggen: zero-padded lengths, no zone in TIMESTAMP, a BOM before MSG.
        ("syslog/client-captures/syslog-ng-loggen_ssl_syslog-proto_3frames.bin", vec![
            ("IHE+RFC-3881", &["timestamp_without_zone", "bom"], LOGIN),
            ("IHE+RFC-3881", &["timestamp_without_zone", "bom"], LOGIN),
            ("IHE+RFC-3881", &["timestamp_without_zone", "bom"], LOGIN),
        ]),
        // IPF pixquery.xml relayed by syslog-ng.
        ("syslog/client-captures/syslog-ng-syslog-driver-tls_relay_of_logger.bin", vec![("IHE+RFC-3881", NONE,
            Access("27|urn:oid:2.16.840.1.113883.3.37.4.1.1.2.1.1", "MESA_DEPARTMENT|MESA_PIX_CLIENT", Execute, 1))]),
        // IPF pdqmread.xml sent by logger.
        ("syslog/client-captures/util-linux-logger_rfc5424_octet-count_tcp.bin", vec![("IHE+RFC-3881", NONE,
            Access("IHERED-2340|reference", "/app-gateway/fhir/Patient/IHERED-2340", Execute, 0))]),
    ])
}

fn provenance() -> Provenance {
    Provenance {
        source_node: "conformance".to_owned(),
        channel: Channel::SyslogTls,
        authenticated_as: String::new(),
        received_at: Timestamp::from_millis(1_795_291_200_000),
    }
}

fn assert_outcome(context: &str, xml: &[u8], expected: &Expected) {
    let result = map_atna_message(xml, provenance(), || format!("{context}-id"));
    match (result, expected) {
        (Ok(mapped), Access(patient, user, action, additional)) => {
            let MappedAtnaMessage {
                event,
                additional_patients,
                ..
            } = mapped;
            let mapped_patient = format!("{}|{}", event.patient_id, event.patient_id_system);
            assert_eq!(mapped_patient, *patient, "{context}: patient");
            assert_eq!(event.user_id.as_str(), *user, "{context}: user");
            assert_eq!(event.action, *action, "{context}: action");
            assert_eq!(
                additional_patients.len(),
                *additional,
                "{context}: further patients"
            );
        }
        (Err(error), Rejected(reason_code)) => {
            assert_eq!(error.reason_code, *reason_code, "{context}: {error}");
        }
        (Ok(mapped), Rejected(reason_code)) => {
            panic!(
                "{context}: expected {reason_code}, mapped {:?}",
                mapped.event
            )
        }
        (Err(error), Access(..)) => {
            panic!(
                "{context}: expected an access, got {}: {error}",
                error.reason_code
            )
        }
    }
}

#[test]
fn every_atna_xml_file_maps_as_expected() {
    let mut expectations = atna_expectations();
    let files: Vec<String> = ["atna/openatna/msgs", "atna/openatna/samples", "atna/ipf"]
        .iter()
        .flat_map(|directory| files_under(directory, ".xml"))
        .collect();
    assert!(
        files.len() >= 34,
        "expected at least 34 ATNA files, found {}",
        files.len()
    );
    for file in &files {
        let expected = expectations.remove(file.as_str()).unwrap_or_else(|| {
            panic!("{file} has no expectation in this test: read it and add one")
        });
        assert_outcome(file, &read(file), &expected);
    }
    assert!(
        expectations.is_empty(),
        "expectations without a file: {:?}",
        expectations.keys()
    );
}

#[test]
fn every_syslog_file_frames_parses_and_maps_as_expected() {
    let mut expectations = syslog_expectations();
    let files: Vec<String> = files_under("syslog/openhim", ".syslog")
        .into_iter()
        .chain(files_under("syslog/client-captures", ".bin"))
        .collect();
    assert_eq!(files.len(), 10, "openhim fixtures and client captures");
    let now = Timestamp::from_millis(1_795_291_200_000);
    for file in &files {
        let expected_frames = expectations.remove(file.as_str()).unwrap_or_else(|| {
            panic!("{file} has no expectation in this test: read it and add one")
        });
        let mut stream = read(file);
        if file.starts_with("syslog/openhim/") {
            // The fixtures are single unframed messages with LFs inside the XML: only octet
            // counting can carry them, so frame them that way, as an ATNA sender must.
            let mut framed = format!("{} ", stream.len()).into_bytes();
            framed.append(&mut stream);
            stream = framed;
        }
        let mut framer = SyslogFramer::new(64 * 1024);
        let mut frames = Vec::new();
        framer.push(&stream, &mut frames);
        frames.extend(framer.finish());
        assert_eq!(framer.framing(), Some(Framing::OctetCounting), "{file}");
        assert_eq!(frames.len(), expected_frames.len(), "{file}: frames");
        for (index, (frame, (msg_id, deviations, expected))) in
            frames.into_iter().zip(&expected_frames).enumerate()
        {
            let context = format!("{file} frame {index}");
            let frame = frame.unwrap_or_else(|error| panic!("{context}: {error}"));
            let message =
                parse_syslog(&frame, now).unwrap_or_else(|error| panic!("{context}: {error}"));
            assert_eq!(message.msg_id, *msg_id, "{context}: MSGID");
            assert_eq!(message.deviations, *deviations, "{context}: deviations");
            assert!(message.timestamp.is_some(), "{context}: timestamp");
            assert_outcome(&context, &message.message, expected);
        }
    }
    assert!(
        expectations.is_empty(),
        "expectations without a file: {:?}",
        expectations.keys()
    );
}
