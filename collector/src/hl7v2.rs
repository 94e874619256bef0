//! HL7 v2 messages as hospitals send them (over MLLP, or as batch files) to segments, fields,
//! repetitions, components and subcomponents, read tolerantly:
//! - the delimiters are each message's own (MSH-1 and MSH-2, e.g. `MSH^~|\&^`); MSH-2 may
//!   name fewer than four encoding characters, the ones it leaves out are then absent;
//! - segments end with CR as the standard says, or with LF or CRLF as files and some senders
//!   write them; blank lines are skipped;
//! - text is UTF-8 unless MSH-18 declares ISO 8859 or the bytes are not UTF-8, which are then
//!   read as ISO 8859-1; escape sequences (`\F\ \S\ \T\ \R\ \E\ \X..\`, formatting) are
//!   resolved by [`Field::text`], never while splitting, so escaped delimiters stay data;
//! - several messages in one input (a file of MSH messages, FHS/BHS/BTS/FTS envelopes around
//!   them) are split into one [`Hl7Message`] each by [`split_messages`]. Missing trailers and
//!   headers are tolerated; a second FHS (BHS) while a file (batch) is open, and segments
//!   that belong to no MSH, are errors of their own in the result list.
//!
//! What was tolerated is named in [`Hl7Message::deviations`]: `bom` (a UTF-8 byte order mark
//! before the first segment), `lf_segment_separators` (LF or CRLF ended the segments),
//! `blank_lines`, `continuation_lines` (a line that is not a segment, kept as a line break in
//! the previous segment's last field, as senders that put raw newlines into text fields
//! produce), `latin1_text` (the bytes were not UTF-8).
//!
//! Errors carry a `reason_code` and a reason that never quotes the message, so they can be
//! logged; [`Hl7Error::ack_code`] and [`Hl7Error::ack_error`] say how to answer them with
//! [`ack()`].

use domain::Timestamp;

mod ack;
mod escape;
mod split;
mod time;

pub use ack::{ack, AckCode, AckError, ErrorCode};
pub use escape::escape;
pub(crate) use time::{parse_hl7_date, parse_hl7_time, Hl7Time};

pub use split::split_messages;

/// The delimiters of one message, from MSH-1 and MSH-2. Only the field separator and the
/// component separator are required; a sender may leave the others out of MSH-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    pub field: char,
    pub component: char,
    pub repetition: Option<char>,
    pub escape: Option<char>,
    pub subcomponent: Option<char>,
}

impl Default for Delimiters {
    /// `|^~\&`, the delimiters almost everyone uses.
    fn default() -> Self {
        Self {
            field: '|',
            component: '^',
            repetition: Some('~'),
            escape: Some('\\'),
            subcomponent: Some('&'),
        }
    }
}

/// How text bytes become characters (MSH-18, or what the bytes allow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Charset {
    Utf8,
    Latin1,
}

/// What reading text needs: the delimiters and the character set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Syntax {
    pub delimiters: Delimiters,
    pub charset: Charset,
}

/// One HL7 v2 message: its segments (as text, delimiters unresolved) and its syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hl7Message {
    syntax: Syntax,
    /// The segments in order, the first one MSH, each without its terminator.
    segments: Vec<String>,
    /// The segments' bytes as received, each ended by CR (whatever ended it in the input).
    raw: Vec<u8>,
    /// What was tolerated, by name (see the module documentation).
    pub deviations: Vec<&'static str>,
}

/// Why input could not be read as HL7 v2, or why a message cannot be used. `Display` is the
/// reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Hl7Error {
    /// A short machine-readable reason for the quarantine table, metrics and the ACK.
    pub reason_code: &'static str,
    pub reason: String,
}

impl Hl7Error {
    pub(crate) fn new(reason_code: &'static str, reason: impl Into<String>) -> Self {
        Self {
            reason_code,
            reason: reason.into(),
        }
    }

    /// How the sender should be answered: AR (reject) when the input cannot be read, its header
    /// lacks a required field, or it is not a kind of message careaudit takes; AE (error) when
    /// it is one careaudit takes but lacks what the care context needs (a patient, a time).
    pub fn ack_code(&self) -> AckCode {
        match self.reason_code {
            "missing_patient"
            | "missing_merged_patient"
            | "missing_event_time"
            | "missing_appointment_time" => AckCode::Error,
            _ => AckCode::Reject,
        }
    }

    /// The ERR segment for this error: the HL7 error code (table 0357) and the reason.
    pub fn ack_error(&self) -> AckError<'_> {
        let code = match self.reason_code {
            "unsupported_message_type" => ErrorCode::UnsupportedMessageType,
            "segment_before_msh" | "repeated_batch_header" | "repeated_file_header" => {
                ErrorCode::SegmentSequenceError
            }
            "not_hl7" | "invalid_delimiters" => ErrorCode::DataTypeError,
            "missing_patient"
            | "missing_merged_patient"
            | "missing_message_type"
            | "missing_control_id"
            | "missing_event_time"
            | "missing_appointment_time" => ErrorCode::RequiredFieldMissing,
            _ => ErrorCode::ApplicationInternalError,
        };
        AckError {
            code,
            message: &self.reason,
        }
    }
}

/// MSH-9: the message code, the trigger event and the message structure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageType {
    pub code: String,
    pub trigger: String,
    pub structure: String,
}

impl std::fmt::Display for MessageType {
    /// `ADT^A01`, or `ADT` without a trigger.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.trigger.is_empty() {
            return f.write_str(&self.code);
        }
        write!(f, "{}^{}", self.code, self.trigger)
    }
}

impl Hl7Message {
    pub fn delimiters(&self) -> Delimiters {
        self.syntax.delimiters
    }

    /// The message's bytes as received, segment by segment, each segment ended by CR (the
    /// standard terminator, whatever the input used) and blank lines left out: what to keep as
    /// the original of this one message when it arrived in a batch.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Every segment, in order (the first is MSH).
    pub fn segments(&self) -> impl Iterator<Item = Segment<'_>> + '_ {
        self.segments.iter().map(|text| Segment {
            text,
            syntax: self.syntax,
        })
    }

    /// The first segment named `id`.
    pub fn segment(&self, id: &str) -> Option<Segment<'_>> {
        self.segments().find(|segment| segment.id() == id)
    }

    /// Field `index` (1-based, as HL7 counts: MSH-1 is the field separator) of the first segment
    /// named `segment_id`; an empty field when there is no such segment or field.
    pub fn field(&self, segment_id: &str, index: usize) -> Field<'_> {
        match self.segment(segment_id) {
            Some(segment) => segment.field(index),
            None => Field::empty(self.syntax),
        }
    }

    /// MSH-9 (the trigger falls back to EVN-1 for senders that leave it out of MSH-9).
    pub fn message_type(&self) -> MessageType {
        let field = self.field("MSH", 9);
        let mut trigger = field.component(2).text();
        if trigger.trim().is_empty() {
            trigger = self.field("EVN", 1).component(1).text();
        }
        MessageType {
            code: field.component(1).text().trim().to_ascii_uppercase(),
            trigger: trigger.trim().to_ascii_uppercase(),
            structure: field.component(3).text().trim().to_owned(),
        }
    }

    /// MSH-10, the message control id (empty when missing).
    pub fn control_id(&self) -> String {
        self.field("MSH", 10).text().trim().to_owned()
    }

    /// MSH-3: the namespace id of the sending application, else its universal id.
    pub fn sending_application(&self) -> String {
        hierarchic_designator(self.field("MSH", 3))
    }

    /// MSH-4: the namespace id of the sending facility, else its universal id.
    pub fn sending_facility(&self) -> String {
        hierarchic_designator(self.field("MSH", 4))
    }

    /// MSH-12, the version id (`2.5.1`).
    pub fn version(&self) -> String {
        self.field("MSH", 12).component(1).text().trim().to_owned()
    }

    /// MSH-7, when the message was created.
    pub fn timestamp(&self) -> Option<Timestamp> {
        parse_hl7_time(&self.field("MSH", 7).component(1).text()).map(|time| time.start)
    }
}

/// An HD (`namespace^universal id^type`, or the same as subcomponents inside a PL): the
/// namespace id, else the universal id.
pub(crate) fn hierarchic_designator(field: Field<'_>) -> String {
    let parts = if field.raw().contains(field.syntax.delimiters.component) {
        [field.component(1).text(), field.component(2).text()]
    } else {
        [field.subcomponent(1).text(), field.subcomponent(2).text()]
    };
    parts
        .into_iter()
        .map(|part| part.trim().to_owned())
        .find(|part| !part.is_empty() && part != "\"\"")
        .unwrap_or_default()
}

/// One segment of a message.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    text: &'a str,
    syntax: Syntax,
}

impl<'a> Segment<'a> {
    /// The segment id (`PID`).
    pub fn id(&self) -> &'a str {
        self.text.get(..3).unwrap_or(self.text)
    }

    /// Field `index`, 1-based as HL7 counts (so that `MSH-9` is `field(9)` of MSH, whose first
    /// field is the field separator itself); empty when the segment is shorter.
    pub fn field(&self, index: usize) -> Field<'a> {
        let separator = self.syntax.delimiters.field;
        if self.id() == "MSH" {
            // MSH-1 is the separator and MSH-2 the encoding characters, both read literally.
            let raw = match index {
                0 => self.id(),
                1 => self
                    .text
                    .get(3..3 + separator.len_utf8())
                    .unwrap_or_default(),
                _ => self
                    .text
                    .split(separator)
                    .nth(index - 1)
                    .unwrap_or_default(),
            };
            return Field {
                raw,
                syntax: self.syntax,
                verbatim: index <= 2,
            };
        }
        Field {
            raw: self.text.split(separator).nth(index).unwrap_or_default(),
            syntax: self.syntax,
            verbatim: false,
        }
    }
}

/// A field, or a repetition, component or subcomponent of one: the raw text between
/// delimiters, read with [`Field::text`].
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    raw: &'a str,
    syntax: Syntax,
    /// MSH-1 and MSH-2 are not split or unescaped.
    verbatim: bool,
}

impl<'a> Field<'a> {
    fn empty(syntax: Syntax) -> Self {
        Self {
            raw: "",
            syntax,
            verbatim: false,
        }
    }

    fn part(&self, raw: &'a str) -> Self {
        Self {
            raw,
            syntax: self.syntax,
            verbatim: false,
        }
    }

    /// The text as sent, escape sequences and delimiters included.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The text with escape sequences resolved.
    pub fn text(&self) -> String {
        if self.verbatim {
            return self.raw.to_owned();
        }
        escape::unescape(self.raw, self.syntax)
    }

    /// The repetitions (one for a field that does not repeat, none for an empty one).
    pub fn repetitions(&self) -> impl Iterator<Item = Field<'a>> + 'a {
        let this = *self;
        let separator = self.syntax.delimiters.repetition.filter(|_| !self.verbatim);
        let count = if self.raw.is_empty() { 0 } else { usize::MAX };
        self.raw
            .split(move |character| Some(character) == separator)
            .take(count)
            .map(move |raw| this.part(raw))
    }

    /// Component `index` (1-based) of the first repetition; empty when there is none.
    pub fn component(&self, index: usize) -> Field<'a> {
        if self.verbatim {
            return *self;
        }
        let first_repetition = match self.syntax.delimiters.repetition {
            Some(repetition) => self.raw.split(repetition).next().unwrap_or_default(),
            None => self.raw,
        };
        let raw = match index {
            0 => "",
            _ => first_repetition
                .split(self.syntax.delimiters.component)
                .nth(index - 1)
                .unwrap_or_default(),
        };
        self.part(raw)
    }

    /// Subcomponent `index` (1-based) of the first component.
    pub fn subcomponent(&self, index: usize) -> Field<'a> {
        let component = self.component(1).raw;
        let raw = match (index, self.syntax.delimiters.subcomponent) {
            (0, _) => "",
            (_, Some(subcomponent)) => component
                .split(subcomponent)
                .nth(index - 1)
                .unwrap_or_default(),
            (1, None) => component,
            (_, None) => "",
        };
        self.part(raw)
    }
}

#[cfg(test)]
#[path = "hl7v2_tests.rs"]
mod tests;
