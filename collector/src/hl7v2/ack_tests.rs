//! Acknowledgement tests: the ACK built for a message (or for none), byte for byte, and how
//! each error reason is answered.

use super::super::{split_messages, Hl7Error};
use super::*;

/// 2026-11-21T20:00:00.123Z, the `now` of every acknowledgement.
const NOW: i64 = 1_795_291_200_123;

fn only_message(input: &str) -> Hl7Message {
    let mut results = split_messages(input.as_bytes());
    assert_eq!(results.len(), 1, "{input:?}");
    match results.remove(0) {
        Ok(message) => message,
        Err(error) => panic!("{input:?}: {error}"),
    }
}

fn ack_text(original: Option<&str>, code: AckCode, error: Option<(ErrorCode, &str)>) -> String {
    let message = original.map(only_message);
    let error = error.map(|(code, message)| AckError { code, message });
    let bytes = ack(
        message.as_ref(),
        code,
        error.as_ref(),
        Timestamp::from_millis(NOW),
    );
    String::from_utf8(bytes).expect("ACKs are UTF-8")
}

#[test]
fn acknowledges_with_the_message_own_header_and_delimiters() {
    let v25 = "MSH|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC|20240101120000||ADT^A01^ADT_A01|MSG1|T|2.5\rPID|||1";
    let header = "MSH|^~\\&|RECVAPP|RECVFAC|SENDAPP|SENDFAC|20261121200000+0000||ACK^A01^ACK|ACK20261121200000123|T|2.5\r";
    assert_eq!(
        ack_text(Some(v25), AckCode::Accept, None),
        format!("{header}MSA|AA|MSG1\r")
    );
    // An accept carries no ERR even when asked to.
    assert_eq!(
        ack_text(
            Some(v25),
            AckCode::Accept,
            Some((ErrorCode::DataTypeError, "x"))
        ),
        format!("{header}MSA|AA|MSG1\r")
    );
    assert_eq!(
        ack_text(
            Some(v25),
            AckCode::Error,
            Some((ErrorCode::RequiredFieldMissing, "PID|3 ^missing^"))
        ),
        format!(
            "{header}MSA|AE|MSG1\rERR|||101^Required field missing^HL70357|E||||PID\\F\\3 \\S\\missing\\S\\\r"
        )
    );

    // Before v2.5: the code in ERR-1 and the text in MSA-3.
    let v24 = "MSH|^~\\&|A|F|B|G|20240101||ORU^R01|X9|P|2.4";
    assert_eq!(
        ack_text(
            Some(v24),
            AckCode::Reject,
            Some((ErrorCode::UnsupportedMessageType, "not taken"))
        ),
        "MSH|^~\\&|B|G|A|F|20261121200000+0000||ACK^R01^ACK|ACK20261121200000123|P|2.4\r\
         MSA|AR|X9|not taken\rERR|^^^200&Unsupported message type&HL70357\r"
    );

    // HAPI's custom delimiters: `^` separates fields, `~` components.
    let custom =
        "MSH^~|\\&^SENDING^200M^RECEIVING^200^20120918173931-0500^^ADT~A24^2003582144^T^2.4";
    assert_eq!(
        ack_text(
            Some(custom),
            AckCode::Reject,
            Some((ErrorCode::UnsupportedMessageType, "ADT^A24"))
        ),
        "MSH^~|\\&^RECEIVING^200^SENDING^200M^20261121200000+0000^^ACK~A24~ACK^ACK20261121200000123^T^2.4\r\
         MSA^AR^2003582144^ADT\\F\\A24\rERR^~~~200&Unsupported message type&HL70357\r"
    );
}

#[test]
fn acknowledges_unreadable_input_from_defaults() {
    assert_eq!(
        ack_text(
            None,
            AckCode::Reject,
            Some((ErrorCode::SegmentSequenceError, "no MSH"))
        ),
        "MSH|^~\\&|||||20261121200000+0000||ACK|ACK20261121200000123|P|2.5\r\
         MSA|AR|\rERR|||100^Segment sequence error^HL70357|E||||no MSH\r"
    );
}

#[test]
fn maps_errors_to_acknowledgement_codes() {
    let cases = [
        ("unsupported_message_type", AckCode::Reject, 200),
        ("missing_message_type", AckCode::Reject, 101),
        ("missing_control_id", AckCode::Reject, 101),
        ("segment_before_msh", AckCode::Reject, 100),
        ("repeated_batch_header", AckCode::Reject, 100),
        ("repeated_file_header", AckCode::Reject, 100),
        ("not_hl7", AckCode::Reject, 102),
        ("invalid_delimiters", AckCode::Reject, 102),
        ("missing_patient", AckCode::Error, 101),
        ("missing_merged_patient", AckCode::Error, 101),
        ("missing_event_time", AckCode::Error, 101),
        ("missing_appointment_time", AckCode::Error, 101),
        ("anything_else", AckCode::Reject, 207),
    ];
    for (reason_code, ack_code, error_code) in cases {
        let error = Hl7Error::new(reason_code, "reason");
        assert_eq!(error.ack_code(), ack_code, "{reason_code}");
        assert_eq!(error.ack_error().code.code(), error_code, "{reason_code}");
        assert_eq!(error.ack_error().message, "reason");
    }
}
