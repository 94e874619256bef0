//! The HL7 acknowledgement (original mode) the MLLP server sends back for each message: MSH
//! with sender and receiver swapped, the same version and delimiters, message type
//! `ACK^<trigger>^ACK`; MSA with the code and the original control id; ERR for AE and AR.
//!
//! ERR is written the way the message's version reads it: ERR-3 (error code), ERR-4
//! (severity) and ERR-8 (user message) from v2.5 on; ERR-1 (`^^^code&text&HL70357`) and the
//! message in MSA-3 before it, where those fields were the only ones.

use super::{escape, Delimiters, Hl7Message};
use domain::Timestamp;

/// MSA-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// AA: accepted.
    Accept,
    /// AE: read, but it could not be processed (resend after fixing the data).
    Error,
    /// AR: rejected (not readable, or a kind of message careaudit does not take).
    Reject,
}

impl AckCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "AA",
            Self::Error => "AE",
            Self::Reject => "AR",
        }
    }
}

/// HL7 table 0357, the message error condition codes careaudit uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    SegmentSequenceError,
    RequiredFieldMissing,
    DataTypeError,
    UnsupportedMessageType,
    ApplicationInternalError,
}

impl ErrorCode {
    pub fn code(self) -> u16 {
        match self {
            Self::SegmentSequenceError => 100,
            Self::RequiredFieldMissing => 101,
            Self::DataTypeError => 102,
            Self::UnsupportedMessageType => 200,
            Self::ApplicationInternalError => 207,
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Self::SegmentSequenceError => "Segment sequence error",
            Self::RequiredFieldMissing => "Required field missing",
            Self::DataTypeError => "Data type error",
            Self::UnsupportedMessageType => "Unsupported message type",
            Self::ApplicationInternalError => "Application internal error",
        }
    }
}

/// What the ERR segment says: the code and a message for the sender's interface team (never
/// patient data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckError<'a> {
    pub code: ErrorCode,
    pub message: &'a str,
}

/// The acknowledgement of `original`, segments ended by CR (MLLP framing is the caller's).
/// Without an original (input so broken that no MSH could be read) the ACK is built from
/// defaults: `|^~\&`, version 2.5, empty sender and receiver and MSA-2. Its own control id is
/// `ACK` and the time to the millisecond (20 characters, the limit before v2.7); MSA-2 is what
/// ties it to the original.
pub fn ack(
    original: Option<&Hl7Message>,
    code: AckCode,
    error: Option<&AckError<'_>>,
    now: Timestamp,
) -> Vec<u8> {
    let delimiters = original.map(Hl7Message::delimiters).unwrap_or_default();
    let field_separator = delimiters.field.to_string();
    let raw_field =
        |index: usize| -> &str { original.map_or("", |message| message.field("MSH", index).raw()) };
    let encoding_characters = match original {
        Some(message) => message.field("MSH", 2).raw().to_owned(),
        None => "^~\\&".to_owned(),
    };
    let version = match raw_field(12) {
        "" => "2.5",
        version => version,
    };
    let processing_id = match raw_field(11) {
        "" => "P",
        processing_id => processing_id,
    };
    let trigger = original.map_or("", |message| message.field("MSH", 9).component(2).raw());
    let message_type = match trigger {
        "" => "ACK".to_owned(),
        trigger => format!("ACK{0}{trigger}{0}ACK", delimiters.component),
    };
    let time = now.to_datetime();
    let msh = [
        format!("MSH{field_separator}{encoding_characters}"),
        raw_field(5).to_owned(),
        raw_field(6).to_owned(),
        raw_field(3).to_owned(),
        raw_field(4).to_owned(),
        time.format("%Y%m%d%H%M%S+0000").to_string(),
        String::new(),
        message_type,
        time.format("ACK%Y%m%d%H%M%S%3f").to_string(),
        processing_id.to_owned(),
        version.to_owned(),
    ];

    let legacy_err = is_before_2_5(&original.map(Hl7Message::version).unwrap_or_default());
    let error = error.filter(|_| code != AckCode::Accept);
    let mut msa = vec![
        "MSA".to_owned(),
        code.as_str().to_owned(),
        raw_field(10).to_owned(),
    ];
    if let (Some(error), true) = (error, legacy_err) {
        msa.push(escape(error.message, &delimiters));
    }

    let mut segments = vec![msh.join(&field_separator), msa.join(&field_separator)];
    if let Some(error) = error {
        segments.push(err_segment(error, &delimiters, legacy_err));
    }
    let mut bytes = Vec::new();
    for segment in segments {
        bytes.extend_from_slice(segment.as_bytes());
        bytes.push(b'\r');
    }
    bytes
}

fn err_segment(error: &AckError<'_>, delimiters: &Delimiters, legacy: bool) -> String {
    let separator = delimiters.field.to_string();
    let component = delimiters.component;
    let code = error.code.code();
    let text = error.code.text();
    if legacy {
        // ERR-1 ELD: segment^sequence^field position^code, the code a CE in subcomponents.
        let coded = match delimiters.subcomponent {
            Some(subcomponent) => format!("{code}{subcomponent}{text}{subcomponent}HL70357"),
            None => code.to_string(),
        };
        return [
            "ERR".to_owned(),
            format!("{component}{component}{component}{coded}"),
        ]
        .join(&separator);
    }
    [
        "ERR".to_owned(),
        String::new(),
        String::new(),
        format!("{code}{component}{text}{component}HL70357"),
        "E".to_owned(),
        String::new(),
        String::new(),
        String::new(),
        escape(error.message, delimiters),
    ]
    .join(&separator)
}

/// Whether a version id (`2.3.1`) is older than 2.5; an unreadable one is taken as current.
fn is_before_2_5(version: &str) -> bool {
    let mut parts = version.split('.').map(|part| part.trim().parse::<u32>());
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => (major, minor) < (2, 5),
        (Some(Ok(major)), None) => major < 2,
        _ => false,
    }
}

#[cfg(test)]
#[path = "ack_tests.rs"]
mod tests;
