//! Time tests: HL7 TS values and what they mean, start and end of their precision, in
//! tables.

use super::*;

#[test]
fn reads_hl7_times_to_their_precision() {
    let cases = [
        (
            "2024",
            Some(("2024-01-01T00:00:00.000Z", "2025-01-01T00:00:00.000Z")),
        ),
        (
            "202402",
            Some(("2024-02-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z")),
        ),
        (
            "20240229",
            Some(("2024-02-29T00:00:00.000Z", "2024-03-01T00:00:00.000Z")),
        ),
        (
            "2024022910",
            Some(("2024-02-29T10:00:00.000Z", "2024-02-29T11:00:00.000Z")),
        ),
        (
            "202402291030",
            Some(("2024-02-29T10:30:00.000Z", "2024-02-29T10:31:00.000Z")),
        ),
        (
            "20240229103015",
            Some(("2024-02-29T10:30:15.000Z", "2024-02-29T10:30:16.000Z")),
        ),
        (
            "20240229103015.1",
            Some(("2024-02-29T10:30:15.100Z", "2024-02-29T10:30:15.101Z")),
        ),
        (
            "20240229103015.1234",
            Some(("2024-02-29T10:30:15.123Z", "2024-02-29T10:30:15.124Z")),
        ),
        (
            "20240229103015+0100",
            Some(("2024-02-29T09:30:15.000Z", "2024-02-29T09:30:16.000Z")),
        ),
        (
            "202402291030-0500",
            Some(("2024-02-29T15:30:00.000Z", "2024-02-29T15:31:00.000Z")),
        ),
        (
            " 20240229 ",
            Some(("2024-02-29T00:00:00.000Z", "2024-03-01T00:00:00.000Z")),
        ),
        ("20230229", None),
        ("2024022", None),
        ("20240229250000", None),
        ("202402291030.5", None),
        ("20240229103015.12345", None),
        ("20240229+01", None),
        ("20240229+2400", None),
        ("2024-02-29", None),
        ("", None),
        ("\"\"", None),
        ("+0100", None),
    ];
    for (raw, expected) in cases {
        let parsed = parse_hl7_time(raw).map(|time| (time.start.to_string(), time.end.to_string()));
        let expected = expected.map(|(start, end)| (start.to_owned(), end.to_owned()));
        assert_eq!(parsed, expected, "{raw:?}");
    }
}

#[test]
fn reads_dates_as_written() {
    let cases = [
        ("19800101", Some("1980-01-01")),
        // The calendar date as written: no conversion to UTC.
        ("198808180126+0215", Some("1988-08-18")),
        ("19800601141210", Some("1980-06-01")),
        ("196203520", None),
        ("1980", None),
        ("19800230", None),
        ("19800101xyz", None),
        ("", None),
    ];
    for (raw, expected) in cases {
        assert_eq!(
            parse_hl7_date(raw).map(|date| date.to_string()),
            expected.map(str::to_owned),
            "{raw:?}"
        );
    }
}
