//! The RFC 5424 parser against IPF's parser vectors (`shared/testdata/syslog`). Every vector has
//! an expected outcome below; IPF's "invalid" ones are either rejected with a stated reason or,
//! where careaudit is deliberately more tolerant than IPF, accepted with a named deviation and a
//! comment saying why. The test data lives beside the repository (CI checks out `shared/` next
//! to it); a missing directory fails the test rather than skipping it.

use collector::{parse_syslog, SyslogMessage};
use domain::Timestamp;
use std::collections::BTreeMap;
use std::path::PathBuf;

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata");

fn read_testdata(relative: &str) -> Vec<u8> {
    let path = PathBuf::from(TESTDATA).join(relative);
    std::fs::read(&path).unwrap_or_else(|error| {
        panic!(
            "test data {} is missing ({error}); shared/testdata must be checked out beside the repository",
            path.display()
        )
    })
}

enum Expected {
    /// The message parses; `summary` is what [`summary`] renders for it.
    Parsed(&'static str),
    Rejected(&'static str),
}

fn summary(message: &SyslogMessage) -> String {
    let pri = match (message.facility, message.severity) {
        (Some(facility), Some(severity)) => format!("{facility}.{severity}"),
        _ => "-".to_owned(),
    };
    let timestamp = message
        .timestamp
        .map_or_else(|| "-".to_owned(), |timestamp| timestamp.to_string());
    format!(
        "{pri} {timestamp} host={} app={} proc={} msgid={} sd={} msg={:?} {:?}",
        message.hostname,
        message.app_name,
        message.proc_id,
        message.msg_id,
        message.structured_data,
        String::from_utf8_lossy(&message.message),
        message.deviations,
    )
}

fn expectations() -> BTreeMap<&'static str, Expected> {
    use Expected::{Parsed, Rejected};
    BTreeMap::from([
        (
            "shouldParseSimpleSyslogMessage",
            Parsed(
                r#"4.2 2023-04-18T14:32:52.000Z host=host app=app1 proc=1234 msgid=ID47 sd= msg="Hello World I'm here" []"#,
            ),
        ),
        (
            "shouldParseStructuredDataCorrectly",
            Parsed(
                r#"20.5 2023-04-18T14:32:52.000Z host=testhost app=app2 proc=8888 msgid=MSGID99 sd=[sdID@123 event="test" user="admin"] msg="Done." []"#,
            ),
        ),
        (
            "shouldParseMessageWithoutStructuredData",
            Parsed(
                r#"1.5 2023-04-18T14:32:52.000Z host=localhost app=logger proc=321 msgid=ID10 sd= msg="Just a log message" []"#,
            ),
        ),
        (
            // The BOM is legal RFC 5424; it is removed from MSG and recorded.
            "shouldParseMessageWithBom",
            Parsed(
                r#"1.5 2023-04-18T14:32:52.000Z host=localhost app=logger proc=321 msgid=ID10 sd= msg="A UTF-8 message with BOM🐧" ["bom"]"#,
            ),
        ),
        (
            "shouldParseMultilineMessage",
            Parsed(
                r#"1.5 2023-04-18T14:32:52.000Z host=localhost app=logger proc=321 msgid=ID10 sd= msg="First line\nSecond line\r\nThird line" []"#,
            ),
        ),
        (
            // Tolerated: header fields never contain spaces, so a run of spaces still separates
            // exactly the same fields; rejecting would lose an audit record over whitespace.
            "shouldThrowWithExtraSpaces",
            Parsed(
                r#"1.5 2023-04-18T14:32:52.000Z host=localhost app=logger proc=321 msgid=ID10 sd= msg="Just a log message" ["extra_spaces"]"#,
            ),
        ),
        (
            // Rejected: a version other than 1 announces a format careaudit does not know.
            "shouldThrowWhenVersionIsInvalid",
            Rejected("unsupported_version"),
        ),
        (
            // Tolerated: VERSION and an RFC 3339 timestamp make the header unmistakable; only
            // facility and severity are unknown, and the audit record does not need them.
            "shouldThrowWhenPriorityIsMissing",
            Parsed(
                r#"- 2023-04-18T14:32:52.000Z host=localhost app=logger proc=321 msgid=ID10 sd= msg="Missing PRI" ["missing_pri"]"#,
            ),
        ),
        (
            // Tolerated: a full date followed by a time is one timestamp split by a space (as
            // some loggers write it); there is no zone, so UTC is assumed and recorded.
            "shouldThrowForInvalidTimestamp",
            Parsed(
                r#"4.2 2023-04-18T14:32:52.000Z host=localhost app=logger proc=321 msgid=ID10 sd= msg="Invalid timestamp format" ["timestamp_with_space", "timestamp_without_zone"]"#,
            ),
        ),
        (
            // Tolerated without a timestamp: the field boundaries are clear and the syslog
            // timestamp is only the relay's clock; the ATNA record carries EventDateTime.
            "shouldThrowForInconsistentTimestamp",
            Parsed(
                r#"4.2 - host=localhost app=logger proc=321 msgid=ID10 sd= msg="Invalid timestamp format" ["invalid_timestamp"]"#,
            ),
        ),
        (
            // Rejected: unterminated structured data leaves no way to tell where MSG starts.
            "shouldThrowForMalformedStructuredData",
            Rejected("invalid_structured_data"),
        ),
        (
            // Rejected: without PROCID and MSGID the header is cut short; nothing says what the
            // remaining text would have been.
            "shouldThrowWhenTooFewFieldsPresent",
            Rejected("too_few_fields"),
        ),
        (
            // Tolerated: the PRI is shaped right but out of range; facility and severity are
            // unknown, the rest of the message is intact.
            "shouldThrowWhenPriorityFormatIsInvalid",
            Parsed(
                r#"- 2023-04-18T14:32:52.000Z host=host app=app1 proc=1234 msgid=ID47 sd= msg="Message" ["wrong_pri"]"#,
            ),
        ),
    ])
}

#[test]
fn ipf_rfc5424_parser_vectors() {
    let vectors: Vec<serde_json::Value> =
        serde_json::from_slice(&read_testdata("syslog/ipf-rfc5424-parser-vectors.json"))
            .expect("the vectors are JSON");
    assert_eq!(vectors.len(), 13, "IPF's 13 vectors");
    let mut expectations = expectations();
    let now = Timestamp::from_millis(1_795_291_200_000);
    for vector in &vectors {
        let name = vector["test"].as_str().expect("each vector has a name");
        let frame = vector["message"]
            .as_str()
            .expect("each vector has a message");
        let expected = expectations
            .remove(name)
            .unwrap_or_else(|| panic!("vector {name} has no expectation in this test"));
        match (parse_syslog(frame.as_bytes(), now), expected) {
            (Ok(message), Expected::Parsed(expected)) => {
                assert_eq!(summary(&message), expected, "{name}");
            }
            (Err(error), Expected::Rejected(reason_code)) => {
                assert_eq!(error.reason_code, reason_code, "{name}: {error}");
            }
            (Ok(message), Expected::Rejected(reason_code)) => {
                panic!(
                    "{name}: expected {reason_code}, parsed {}",
                    summary(&message)
                )
            }
            (Err(error), Expected::Parsed(_)) => panic!("{name}: rejected: {error}"),
        }
    }
    assert!(
        expectations.is_empty(),
        "expectations without a vector: {:?}",
        expectations.keys()
    );
}
