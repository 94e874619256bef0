//! Parser tests: inputs and a one-line summary of each message they split into, through
//! `check_split`; field paths and their text through `check_fields`; escape sequences in a
//! table; property tests that no input panics and that escaped text comes back unchanged.
//! Times are tested in `hl7v2/time_tests.rs`, acknowledgements in `hl7v2/ack_tests.rs`.

use super::escape::unescape;
use super::*;
use proptest::collection::vec;
use proptest::prelude::*;

const NOW: i64 = 1_795_291_200_123;

const ADT: &str = "MSH|^~\\&|APP|FAC|||20240101||ADT^A01|1|P|2.5";

fn summary(result: &Result<Hl7Message, Hl7Error>) -> String {
    let message = match result {
        Ok(message) => message,
        Err(error) => return format!("error:{}", error.reason_code),
    };
    let ids: Vec<&str> = message.segments().map(|segment| segment.id()).collect();
    let mut summary = format!(
        "{} {} {}",
        message.message_type(),
        message.control_id(),
        ids.join(",")
    );
    if !message.deviations.is_empty() {
        summary.push(' ');
        summary.push_str(&message.deviations.join(","));
    }
    summary
}

fn check_split(input: &[u8], expected: &[&str]) {
    let summaries: Vec<String> = split_messages(input).iter().map(summary).collect();
    assert_eq!(summaries, expected, "{:?}", String::from_utf8_lossy(input));
}

fn only_message(input: &[u8]) -> Hl7Message {
    let mut results = split_messages(input);
    assert_eq!(results.len(), 1, "{:?}", String::from_utf8_lossy(input));
    match results.remove(0) {
        Ok(message) => message,
        Err(error) => panic!("{:?}: {error}", String::from_utf8_lossy(input)),
    }
}

#[test]
fn splits_segments_at_cr_lf_and_crlf() {
    check_split(
        format!("{ADT}\rPID|||1\r").as_bytes(),
        &["ADT^A01 1 MSH,PID"],
    );
    check_split(format!("{ADT}\rPID|||1").as_bytes(), &["ADT^A01 1 MSH,PID"]);
    check_split(
        format!("{ADT}\nPID|||1\n").as_bytes(),
        &["ADT^A01 1 MSH,PID lf_segment_separators"],
    );
    check_split(
        format!("{ADT}\r\n\r\nPID|||1\r\n \r\n").as_bytes(),
        &["ADT^A01 1 MSH,PID lf_segment_separators,blank_lines"],
    );
    check_split(
        format!("\u{feff}{ADT}\rPID|||1\r").as_bytes(),
        &["ADT^A01 1 MSH,PID bom"],
    );
    check_split(b"", &[]);
    check_split(b"\r\n \x0b\x1c\r", &[]);
}

#[test]
fn splits_files_and_batches_into_messages() {
    let second = ADT.replace("|1|P|", "|2|P|");
    check_split(
        format!("{ADT}\rPID|||1\r{second}\rPID|||2\r").as_bytes(),
        &["ADT^A01 1 MSH,PID", "ADT^A01 2 MSH,PID"],
    );
    check_split(
        format!("FHS|^~\\&\rBHS|^~\\&\r{ADT}\rPID|||1\r{second}\rBTS|2\rFTS|1\r").as_bytes(),
        &["ADT^A01 1 MSH,PID", "ADT^A01 2 MSH"],
    );
    // Missing headers and trailers are tolerated.
    check_split(
        format!("BHS|^~\\&\r{ADT}\rPID|||1\r").as_bytes(),
        &["ADT^A01 1 MSH,PID"],
    );
    check_split(
        format!("{ADT}\rPID|||1\rBTS|1\rFTS|1\r").as_bytes(),
        &["ADT^A01 1 MSH,PID"],
    );
    check_split(
        format!("FHS|^~\\&\rBHS|^~\\&\rBTS|0\rBHS|^~\\&\r{ADT}\rBTS|1\rFTS|2\r").as_bytes(),
        &["ADT^A01 1 MSH"],
    );
}

#[test]
fn reports_what_belongs_to_no_message() {
    check_split(
        b"BHS|^~\\&\rPID|||1\rBTS|1\r",
        &["error:segment_before_msh"],
    );
    check_split(
        format!("{ADT}\rBTS|1\rPID|||1\r").as_bytes(),
        &["ADT^A01 1 MSH", "error:segment_before_msh"],
    );
    check_split(b"hello world\r", &["error:not_hl7"]);
    check_split(b"MSHX|^~\\&|\r", &["error:not_hl7"]);
    check_split(
        format!("BHS|^~\\&\r{ADT}\rBHS|^~\\&\rPID|||1\rBTS|1\r").as_bytes(),
        &[
            "ADT^A01 1 MSH",
            "error:repeated_batch_header",
            "error:segment_before_msh",
        ],
    );
    check_split(
        format!("FHS|^~\\&\r{ADT}\rFHS|^~\\&\rFTS|1\r").as_bytes(),
        &["ADT^A01 1 MSH", "error:repeated_file_header"],
    );
}

#[test]
fn rejects_unreadable_delimiters_for_that_message_only() {
    let good = format!("{ADT}\rPID|||1\r");
    for bad in [
        "MSH",
        "MSH|",
        "MSH||x",
        "MSH|^^~\\&|",
        "MSH|^~\\&A|",
        "MSH 123",
    ] {
        let input = format!("{bad}\rPID|||1\r{good}");
        check_split(
            input.as_bytes(),
            &["error:invalid_delimiters", "ADT^A01 1 MSH,PID"],
        );
    }
}

#[test]
fn keeps_lines_that_are_not_segments_in_the_previous_segment() {
    let message = only_message(format!("{ADT}\rNTE|1||first\rsecond\rPID|||1\r").as_bytes());
    assert_eq!(message.deviations, ["continuation_lines"]);
    assert_eq!(message.field("NTE", 3).text(), "first\nsecond");
    assert_eq!(message.field("PID", 3).text(), "1");
    assert_eq!(
        message.raw(),
        format!("{ADT}\rNTE|1||first\rsecond\rPID|||1\r").as_bytes()
    );
}

#[test]
fn reads_text_as_utf8_or_latin1() {
    let message = only_message(format!("{ADT}\rPID|||1||M\u{fc}ller\r").as_bytes());
    assert_eq!(message.field("PID", 5).text(), "M\u{fc}ller");
    assert!(message.deviations.is_empty());

    let mut latin1 = format!("{ADT}\rPID|||1||M").into_bytes();
    latin1.extend_from_slice(b"\xfcller\r");
    let message = only_message(&latin1);
    assert_eq!(message.field("PID", 5).text(), "M\u{fc}ller");
    assert_eq!(message.deviations, ["latin1_text"]);

    // MSH-18 says ISO 8859-1: bytes that would be UTF-8 are read as declared.
    let declared = "MSH|^~\\&|A|F|||20240101||ADT^A01|1|P|2.5||||||8859/1\rPID|||1||\u{e9}\r";
    let message = only_message(declared.as_bytes());
    assert_eq!(message.field("PID", 5).text(), "\u{c3}\u{a9}");
}

/// A message with non-default delimiters (`$%~\&`) and one of everything.
const CUSTOM: &str = "MSH$%~\\&$APP%1.2.3%ISO$FAC$$$20240101$$ADT%A01%ADT_A01$42$P$2.5.1\r\
    PID$1$$A1%%%HOSP&1.2.3&ISO%MR~B2%%%OTHER~$$DOE%JOHN%Q$$19700101\r\
    NTE$1$$a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f";

/// `SEG-F`, `SEG-F(R)` (1-based repetition), `.C` component, `.S` subcomponent.
fn read_path<'a>(message: &'a Hl7Message, path: &str) -> String {
    let (segment, rest) = path.split_once('-').expect("SEG-F");
    let mut parts = rest.split('.');
    let field_part = parts.next().expect("field");
    let (field_index, repetition) = match field_part.split_once('(') {
        Some((field, repetition)) => (
            field,
            repetition.trim_end_matches(')').parse::<usize>().ok(),
        ),
        None => (field_part, None),
    };
    let mut field: Field<'a> = message.field(segment, field_index.parse().expect("number"));
    if let Some(repetition) = repetition {
        let chosen = field.repetitions().nth(repetition - 1);
        field = chosen.unwrap_or(Field::empty(field.syntax));
    }
    if let Some(component) = parts.next() {
        field = field.component(component.parse().expect("number"));
    }
    if let Some(subcomponent) = parts.next() {
        field = field.subcomponent(subcomponent.parse().expect("number"));
    }
    field.text()
}

fn check_fields(input: &str, cases: &[(&str, &str)]) {
    let message = only_message(input.as_bytes());
    for (path, expected) in cases {
        assert_eq!(read_path(&message, path), *expected, "{path}");
    }
}

#[test]
fn reads_fields_repetitions_components_and_subcomponents() {
    check_fields(
        CUSTOM,
        &[
            ("MSH-0", "MSH"),
            ("MSH-1", "$"),
            ("MSH-2", "%~\\&"),
            ("MSH-2.1", "%~\\&"),
            ("MSH-3", "APP%1.2.3%ISO"),
            ("MSH-3.2", "1.2.3"),
            ("MSH-9.2", "A01"),
            ("MSH-10", "42"),
            ("MSH-30", ""),
            ("PID-1", "1"),
            ("PID-3.1", "A1"),
            ("PID-3.4", "HOSP&1.2.3&ISO"),
            ("PID-3.4.2", "1.2.3"),
            ("PID-3.4.4", ""),
            ("PID-3.5", "MR"),
            ("PID-3(2).1", "B2"),
            ("PID-3(2).4.1", "OTHER"),
            ("PID-3(3)", ""),
            ("PID-3(4)", ""),
            ("PID-5.2", "JOHN"),
            ("PID-5.9", ""),
            ("PID-5.0", ""),
            ("PID-7", "19700101"),
            ("PID-99", ""),
            ("NTE-3", "a$b%c&d~e\\f"),
            ("ZZZ-1", ""),
        ],
    );
    let message = only_message(CUSTOM.as_bytes());
    assert_eq!(message.field("PID", 3).repetitions().count(), 3);
    assert_eq!(message.field("PID", 2).repetitions().count(), 0);
    assert_eq!(message.message_type().to_string(), "ADT^A01");
    assert_eq!(message.message_type().structure, "ADT_A01");
    assert_eq!(message.sending_application(), "APP");
    assert_eq!(message.sending_facility(), "FAC");
    assert_eq!(message.version(), "2.5.1");
    assert_eq!(message.control_id(), "42");
    assert_eq!(
        message.timestamp().map(|time| time.to_string()),
        Some("2024-01-01T00:00:00.000Z".to_owned())
    );
    assert_eq!(
        message.delimiters(),
        Delimiters {
            field: '$',
            component: '%',
            repetition: Some('~'),
            escape: Some('\\'),
            subcomponent: Some('&'),
        }
    );
}

#[test]
fn reads_messages_with_fewer_encoding_characters() {
    // No escape character and no subcomponents: `\` and `&` are plain text.
    check_fields(
        "MSH|^~|A|F|||20240101||ADT^A04|7|P|2.3\rPID|||X\\F\\&Y~Z",
        &[
            ("PID-3", "X\\F\\&Y~Z"),
            ("PID-3(2)", "Z"),
            ("PID-3.1.1", "X\\F\\&Y"),
        ],
    );
    check_fields(
        "MSH|^|A|F|||20240101||ADT^A04|7|P|2.3\rPID|||X~Y",
        &[("PID-3(1)", "X~Y")],
    );
}

#[test]
fn takes_the_trigger_from_evn_when_msh_9_has_none() {
    let message = only_message(b"MSH|^~\\&|A|F|||20240101||adt|7|P|2.3\rEVN|a03|20240101");
    assert_eq!(message.message_type().to_string(), "ADT^A03");
}

#[test]
fn resolves_escape_sequences() {
    let utf8 = Syntax {
        delimiters: Delimiters::default(),
        charset: Charset::Utf8,
    };
    let latin1 = Syntax {
        charset: Charset::Latin1,
        ..utf8
    };
    let cases = [
        (utf8, "\\F\\\\S\\\\T\\\\R\\\\E\\", "|^&~\\"),
        (utf8, "A\\T\\E", "A&E"),
        (utf8, "\\X41\\\\X42\\", "AB"),
        (utf8, "\\X4142\\", "AB"),
        (utf8, "caf\\XC3\\\\XA9\\", "caf\u{e9}"),
        (utf8, "OPERA\\XC7\\\\XC3\\O", "OPERA\u{c7}\u{c3}O"),
        (latin1, "caf\\XC3\\\\XA9\\", "caf\u{c3}\u{a9}"),
        (utf8, "\\X0D0A\\", "\r\n"),
        (utf8, "\\H\\bold\\N\\", "bold"),
        (utf8, "line\\.br\\next", "line\nnext"),
        (utf8, "\\.in+4\\x\\.ce\\", "x"),
        (utf8, "\\C2842\\x\\M2442\\", "x"),
        (utf8, "\\Zlocal\\", "\\Zlocal\\"),
        (utf8, "\\X4\\ \\Xzz\\ \\X\\", "\\X4\\ \\Xzz\\ \\X\\"),
        (utf8, "open \\F", "open \\F"),
        (utf8, "\\F\\ then \\S", "| then \\S"),
        (utf8, "\\\\", "\\\\"),
        (utf8, "plain", "plain"),
    ];
    for (syntax, raw, expected) in cases {
        assert_eq!(unescape(raw, syntax), expected, "{raw}");
    }
}

#[test]
fn escapes_delimiters_and_line_breaks() {
    let default = Delimiters::default();
    assert_eq!(
        escape("a|b^c&d~e\\f", &default),
        "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f"
    );
    assert_eq!(escape("one\r\ntwo", &default), "one\\X0D\\\\X0A\\two");
    let without_escape = Delimiters {
        escape: None,
        subcomponent: None,
        ..default
    };
    assert_eq!(escape("a|b^c&d\ne", &without_escape), "a b c&d e");
}

fn custom_delimiters() -> Delimiters {
    Delimiters {
        field: '$',
        component: '%',
        repetition: Some('!'),
        escape: Some('/'),
        subcomponent: Some('#'),
    }
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..600)) {
        for message in split_messages(&bytes).into_iter().flatten() {
            for segment in message.segments() {
                for index in 0..4 {
                    let field = segment.field(index);
                    let _ = field.text();
                    for repetition in field.repetitions() {
                        let _ = repetition.component(2).subcomponent(2).text();
                    }
                }
            }
            let _ = (message.message_type(), message.timestamp(), message.version());
            let _ = ack(Some(&message), AckCode::Error, None, Timestamp::from_millis(NOW));
        }
    }

    #[test]
    fn never_panics_on_mangled_messages(
        tokens in vec(proptest::sample::select(vec![
            "MSH|^~\\&|", "MSH^~|\\&^", "MSH|^|", "BHS|^~\\&", "FHS|^~\\&", "BTS", "FTS", "PID|",
            "|", "^", "~", "&", "\\", "\\X", "\\XC3\\", "\\F\\", "\r", "\n", "\r\n", "\u{feff}",
            "2024", "+0100", ".", "ADT^A01",
        ]), 0..40),
    ) {
        let input = tokens.concat();
        for message in split_messages(input.as_bytes()).into_iter().flatten() {
            for segment in message.segments() {
                let _ = segment.field(3).component(1).text();
            }
            let _ = parse_hl7_time(&message.field("MSH", 7).text());
        }
    }

    #[test]
    fn escaped_text_comes_back_unchanged(text in any::<String>(), custom in any::<bool>()) {
        let delimiters = if custom { custom_delimiters() } else { Delimiters::default() };
        let escaped = escape(&text, &delimiters);
        let mut forbidden = vec![delimiters.field, delimiters.component, '\r', '\n'];
        forbidden.extend(delimiters.repetition);
        forbidden.extend(delimiters.subcomponent);
        prop_assert!(!escaped.contains(forbidden.as_slice()), "{escaped:?}");
        let syntax = Syntax { delimiters, charset: Charset::Utf8 };
        prop_assert_eq!(unescape(&escaped, syntax), text);
    }

    #[test]
    fn escaped_components_survive_a_message(components in vec("[ -~\u{e9}\r\n]{0,12}", 1..6)) {
        let delimiters = Delimiters::default();
        let escaped: Vec<String> = components.iter().map(|text| escape(text, &delimiters)).collect();
        let input = format!("{ADT}\rPID|||1||{}\r", escaped.join("^"));
        let message = only_message(input.as_bytes());
        for (index, expected) in components.iter().enumerate() {
            prop_assert_eq!(&message.field("PID", 5).component(index + 1).text(), expected);
        }
    }
}
