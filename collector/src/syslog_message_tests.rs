//! Parser tests: each frame and a one-line summary of what it parses to, through `check`;
//! rejections through `reject`; a property test that no input panics.

use super::*;
use proptest::collection::vec;
use proptest::prelude::*;

/// 2026-11-21T20:00:00Z, the `now` of every test.
const NOW: i64 = 1_795_291_200_000;

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

fn check(frame: &str, expected: &str) {
    match parse_syslog(frame.as_bytes(), Timestamp::from_millis(NOW)) {
        Ok(message) => assert_eq!(summary(&message), expected, "{frame:?}"),
        Err(error) => panic!("{frame:?} rejected: {error}"),
    }
}

fn reject(frame: &[u8], reason_code: &str) {
    match parse_syslog(frame, Timestamp::from_millis(NOW)) {
        Ok(message) => panic!("{frame:?} accepted: {}", summary(&message)),
        Err(error) => assert_eq!(error.reason_code, reason_code, "{frame:?}: {error}"),
    }
}

#[test]
fn parses_rfc5424() {
    check(
        "<34>1 2023-04-18T14:32:52Z host app1 1234 ID47 - Hello",
        r#"4.2 2023-04-18T14:32:52.000Z host=host app=app1 proc=1234 msgid=ID47 sd= msg="Hello" []"#,
    );
    check(
        "<85>1 2026-11-21T19:34:37.393409+00:00 vm ATNA - IHE+DICOM [timeQuality tzKnown=\"1\"] <AuditMessage/>\n",
        r#"10.5 2026-11-21T19:34:37.393Z host=vm app=ATNA proc= msgid=IHE+DICOM sd=[timeQuality tzKnown="1"] msg="<AuditMessage/>" []"#,
    );
    // Escaped quote, backslash and bracket inside a value; two elements; MSG starts after them.
    check(
        r#"<13>1 - - - - - [a@1 x="q\"b\\c\]d" y=""][b@2] m]"#,
        r#"1.5 - host= app= proc= msgid= sd=[a@1 x="q\"b\\c\]d" y=""][b@2] msg="m]" ["missing_msgid"]"#,
    );
    check(
        "<13>1 2023-04-18T14:32:52.1234567-06:00 h a p m -",
        r#"1.5 2023-04-18T20:32:52.123Z host=h app=a proc=p msgid=m sd= msg="" []"#,
    );
    check(
        "<0>1 - h a p m",
        r#"0.0 - host=h app=a proc=p msgid=m sd= msg="" ["missing_structured_data"]"#,
    );
}

#[test]
fn tolerates_what_real_senders_do() {
    // syslog-ng's loggen: no zone and a BOM before MSG.
    check(
        "<85>1 2026-11-21T19:35:45 cabig-h1 OHT 521 IHE+RFC-3881 - \u{feff}<?xml?>",
        r#"10.5 2026-11-21T19:35:45.000Z host=cabig-h1 app=OHT proc=521 msgid=IHE+RFC-3881 sd= msg="<?xml?>" ["timestamp_without_zone", "bom"]"#,
    );
    check(
        "<13>1 2023-04-18T14:32:52Z  localhost  logger 321 ID10 - Just",
        r#"1.5 2023-04-18T14:32:52.000Z host=localhost app=logger proc=321 msgid=ID10 sd= msg="Just" ["extra_spaces"]"#,
    );
    check(
        "<999>1 2023-04-18T14:32:52Z h a p m - x",
        r#"- 2023-04-18T14:32:52.000Z host=h app=a proc=p msgid=m sd= msg="x" ["wrong_pri"]"#,
    );
    check(
        "1 2023-04-18T14:32:52Z h a p m - x",
        r#"- 2023-04-18T14:32:52.000Z host=h app=a proc=p msgid=m sd= msg="x" ["missing_pri"]"#,
    );
    check(
        "<13>2023-04-18T14:32:52Z h a p m - x",
        r#"1.5 2023-04-18T14:32:52.000Z host=h app=a proc=p msgid=m sd= msg="x" ["missing_version"]"#,
    );
    check(
        "<34>1 2023-04-18 14:32:52 h a p m - x",
        r#"4.2 2023-04-18T14:32:52.000Z host=h app=a proc=p msgid=m sd= msg="x" ["timestamp_with_space", "timestamp_without_zone"]"#,
    );
    check(
        "<34>1 2023-37-12T14:32:52Z h a p m - x",
        r#"4.2 - host=h app=a proc=p msgid=m sd= msg="x" ["invalid_timestamp"]"#,
    );
    check(
        "<34>1 - h a p [x@1] y",
        r#"4.2 - host=h app=a proc=p msgid= sd=[x@1] msg="y" ["missing_msgid"]"#,
    );
    check(
        "<34>1 - h a p m Hello world",
        r#"4.2 - host=h app=a proc=p msgid=m sd= msg="Hello world" ["missing_structured_data"]"#,
    );
    check(
        "<34>1 - h a p m [x@1]y",
        r#"4.2 - host=h app=a proc=p msgid=m sd=[x@1] msg="y" ["missing_space_before_msg"]"#,
    );
    check(
        "\u{feff} <34>1 - h a p m - x\r\n\0",
        r#"4.2 - host=h app=a proc=p msgid=m sd= msg="x" ["leading_whitespace"]"#,
    );
    check(
        "<13>hello",
        r#"1.5 - host= app= proc= msgid= sd= msg="hello" ["missing_header"]"#,
    );
}

#[test]
fn parses_rfc3164_headers_with_the_nearest_year() {
    check(
        "<34>Oct 11 22:14:15 mymachine su[42]: 'su root' failed",
        r#"4.2 2026-10-11T22:14:15.000Z host=mymachine app=su proc=42 msgid= sd= msg="'su root' failed" ["rfc3164_header"]"#,
    );
    // In November, a January timestamp is from the coming year (clocks differ around new year).
    check(
        "<13>Jan  2 00:00:01 host app: x",
        r#"1.5 2027-01-02T00:00:01.000Z host=host app=app proc= msgid= sd= msg="x" ["rfc3164_header"]"#,
    );
    check(
        "Dec 24 10:00:00 app: x",
        r#"- 2026-12-24T10:00:00.000Z host= app=app proc= msgid= sd= msg="x" ["missing_pri", "rfc3164_header"]"#,
    );
    // No Feb 29 in 2025..=2027: the timestamp is unknown, the message is still read.
    check(
        "<13>Feb 29 10:00:00 host free text",
        r#"1.5 - host=host app= proc= msgid= sd= msg="free text" ["rfc3164_header", "invalid_timestamp"]"#,
    );
}

#[test]
fn rejects_what_is_not_syslog() {
    reject(b"", "empty_frame");
    reject(b" \r\n\0", "empty_frame");
    reject(b"hello world", "not_syslog");
    reject(
        b"<AuditMessage><EventIdentification/></AuditMessage>",
        "not_syslog",
    );
    reject(
        b"<13>0 2023-04-18T14:32:52Z h a p m - x",
        "unsupported_version",
    );
    reject(b"<13>1 yesterday h a p m - x", "invalid_timestamp");
    reject(b"<13>Oct x1 22:14:15 h x", "invalid_timestamp");
    reject(b"<13>Oct 11 22:14 h x", "invalid_timestamp");
    reject(
        b"<165>1 2023-04-18T14:32:52Z h a 1 M [id broken=\"value\" missingEnd",
        "invalid_structured_data",
    );
    reject(
        b"<165>1 - h a 1 M [id x=unquoted] m",
        "invalid_structured_data",
    );
    reject(b"<165>1 - h a 1 M [] m", "invalid_structured_data");
    reject(b"<34>1 2023-04-18T14:32:52Z host app1", "too_few_fields");
    reject(b"<34>1", "too_few_fields");
}

#[test]
fn parses_timestamps_with_and_without_zone() {
    let cases = [
        ("2009-11-29T15:15:19", Some((1_259_507_719_000, false))),
        ("2009-11-29T15:15:19.5z", Some((1_259_507_719_500, true))),
        (
            "2025-01-21T11:05:39.3842263+01:00",
            Some((1_737_453_939_384, true)),
        ),
        ("2010-02-08T14:13:47-06:00", Some((1_265_660_027_000, true))),
        ("2010-02-08", None),
        ("2023-37-12T14:32:52Z", None),
        ("", None),
    ];
    for (raw, expected) in cases {
        let parsed =
            parse_timestamp(raw).map(|parsed| (parsed.timestamp.as_millis(), parsed.has_zone));
        assert_eq!(parsed, expected, "{raw}");
    }
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(frame in vec(any::<u8>(), 0..400)) {
        let _ = parse_syslog(&frame, Timestamp::from_millis(NOW));
    }

    #[test]
    fn never_panics_on_mangled_messages(
        prefix in proptest::sample::select(vec!["<34>1 ", "<34>", "1 ", "<999>", "<34>Oct 11 ", ""]),
        fields in vec(proptest::sample::select(vec![
            "2023-04-18T14:32:52Z", "2023-04-18", "14:32:52", "-", " ", "[", "]", "\"", "\\",
            "[a x=\"", "h", "=", "\u{feff}", "\n", "Feb 29", "su[1]:",
        ]), 0..12),
    ) {
        let frame = format!("{prefix}{}", fields.concat());
        let _ = parse_syslog(frame.as_bytes(), Timestamp::from_millis(NOW));
    }
}
