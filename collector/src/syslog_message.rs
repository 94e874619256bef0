//! One syslog message (a frame from [`crate::SyslogFramer`]) to its parts: RFC 5424, tolerant
//! where the meaning is clear, and RFC 3164 headers as old senders and relays still write them.
//!
//! What is tolerated is recorded by name in [`SyslogMessage::deviations`], so a sender's
//! peculiarities can be counted and reported to it without rejecting its audit records:
//! - `wrong_pri`: PRI out of range or longer than three digits (facility and severity unknown);
//! - `missing_pri`: no PRI before a recognisable header;
//! - `missing_version`: `<PRI>` directly followed by an RFC 5424 timestamp;
//! - `extra_spaces`: more than one space between header fields;
//! - `timestamp_without_zone`: no offset (taken as UTC); fractional seconds may have any length;
//! - `timestamp_with_space`: `2023-04-18 14:32:52`, a date and a time split by a space;
//! - `invalid_timestamp`: a date-time in the TIMESTAMP position that is not a real instant (the
//!   timestamp is then `None`; the audit record carries its own time);
//! - `missing_msgid`: MSGID is NILVALUE or absent (ITI-20 requires `IHE+RFC-3881`/`IHE+DICOM`);
//! - `missing_structured_data`: no SD field, MSG follows MSGID directly;
//! - `missing_space_before_msg`: MSG follows structured data without a space;
//! - `bom`: MSG started with a UTF-8 BOM, which was removed (RFC 5424 allows it; recorded
//!   because the bytes of `message` then differ from the wire);
//! - `leading_whitespace`: whitespace or a BOM before PRI;
//! - `rfc3164_header`: a BSD-style `Mmm dd hh:mm:ss host tag[pid]:` header; it has no year (the
//!   one that puts the timestamp nearest to `now` is used) and no zone (UTC is assumed);
//! - `missing_header`: a PRI followed by no recognisable header; everything after PRI is MSG.
//!
//! What is not syslog at all (an empty frame, no PRI and no recognisable header), a version other
//! than 1, structured data that does not end, or a header cut short is rejected with a specific
//! [`SyslogError`]. Reasons never quote the frame, so they can be logged.
//!
//! NILVALUE (`-`) header fields are represented as empty strings.

use domain::Timestamp;

mod rfc3164;

/// The parts of one syslog message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogMessage {
    /// `None` when PRI was missing or out of range.
    pub facility: Option<u8>,
    pub severity: Option<u8>,
    /// `None` for NILVALUE or an invalid timestamp (see `deviations`).
    pub timestamp: Option<Timestamp>,
    pub hostname: String,
    pub app_name: String,
    pub proc_id: String,
    pub msg_id: String,
    /// The structured data as sent (brackets and escapes included), empty for NILVALUE.
    pub structured_data: String,
    /// MSG without a leading BOM and without trailing line terminators.
    pub message: Vec<u8>,
    /// What was tolerated, by name (see the module documentation).
    pub deviations: Vec<&'static str>,
}

/// Why a frame is not a syslog message careaudit can read. `Display` is the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct SyslogError {
    /// A short machine-readable reason for the quarantine table and metrics.
    pub reason_code: &'static str,
    pub reason: String,
}

impl SyslogError {
    fn new(reason_code: &'static str, reason: impl Into<String>) -> Self {
        Self {
            reason_code,
            reason: reason.into(),
        }
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// Parses one frame. `now` is only used to give RFC 3164 timestamps (which have no year) one.
pub fn parse_syslog(frame: &[u8], now: Timestamp) -> Result<SyslogMessage, SyslogError> {
    let mut message = SyslogMessage {
        facility: None,
        severity: None,
        timestamp: None,
        hostname: String::new(),
        app_name: String::new(),
        proc_id: String::new(),
        msg_id: String::new(),
        structured_data: String::new(),
        message: Vec::new(),
        deviations: Vec::new(),
    };
    let trimmed = trim_leading(trim_line_end(frame));
    if trimmed.len() != trim_line_end(frame).len() {
        message.deviations.push("leading_whitespace");
    }
    if trimmed.is_empty() {
        return Err(SyslogError::new("empty_frame", "the frame is empty"));
    }
    let mut cursor = Cursor::new(trimmed);

    let has_pri = match parse_pri(&mut cursor) {
        Pri::Valid(value) => {
            message.facility = Some(value / 8);
            message.severity = Some(value % 8);
            true
        }
        Pri::Wrong => {
            message.deviations.push("wrong_pri");
            true
        }
        Pri::Absent => false,
    };

    let rest = cursor.rest();
    // Without a PRI, digits only count as a VERSION if a timestamp (or NILVALUE) follows.
    let version = leading_version(rest).filter(|version| {
        let after = rest.get(version.len() + 1..).unwrap_or_default();
        has_pri || looks_like_rfc3339_date(after) || after.starts_with(b"- ")
    });
    if let Some(version) = version {
        if version != b"1" {
            return Err(SyslogError::new(
                "unsupported_version",
                "the syslog version is not 1 (RFC 5424)",
            ));
        }
        if !has_pri {
            message.deviations.push("missing_pri");
        }
        cursor.advance(version.len());
        parse_rfc5424(&mut cursor, &mut message)?;
    } else if looks_like_rfc3339_date(rest) {
        if !has_pri {
            message.deviations.push("missing_pri");
        }
        message.deviations.push("missing_version");
        parse_rfc5424_after_version(&mut cursor, &mut message)?;
    } else if rfc3164::starts_with_month(rest) {
        if !has_pri {
            message.deviations.push("missing_pri");
        }
        message.deviations.push("rfc3164_header");
        rfc3164::parse_header(&mut cursor, &mut message, now)?;
    } else if has_pri {
        message.deviations.push("missing_header");
        message.message = rest.to_vec();
    } else {
        return Err(SyslogError::new(
            "not_syslog",
            "the frame has neither a PRI nor a recognisable syslog header",
        ));
    }

    if let Some(without_bom) = message.message.strip_prefix(UTF8_BOM) {
        message.message = without_bom.to_vec();
        message.deviations.push("bom");
    }
    Ok(message)
}

enum Pri {
    Valid(u8),
    Wrong,
    Absent,
}

/// `<` 1 to 5 digits `>`; up to 3 digits and at most 191 is a valid PRIVAL (RFC 5424 6.2.1).
fn parse_pri(cursor: &mut Cursor) -> Pri {
    let rest = cursor.rest();
    let Some(after_open) = rest.strip_prefix(b"<") else {
        return Pri::Absent;
    };
    let digits = after_open
        .iter()
        .take_while(|byte| byte.is_ascii_digit())
        .count();
    if !(1..=5).contains(&digits) || after_open.get(digits) != Some(&b'>') {
        return Pri::Absent;
    }
    cursor.advance(digits + 2);
    let value = after_open
        .iter()
        .take(digits)
        .fold(0_u32, |value, digit| value * 10 + u32::from(digit - b'0'));
    match u8::try_from(value) {
        Ok(value) if digits <= 3 && value <= 191 => Pri::Valid(value),
        _ => Pri::Wrong,
    }
}

/// The VERSION field: digits followed by a space (or the end of the frame).
fn leading_version(rest: &[u8]) -> Option<&[u8]> {
    let digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
    if digits == 0 || digits > 2 {
        return None;
    }
    match rest.get(digits) {
        None | Some(b' ') => rest.get(..digits),
        Some(_) => None,
    }
}

fn parse_rfc5424(cursor: &mut Cursor, message: &mut SyslogMessage) -> Result<(), SyslogError> {
    if !cursor.skip_separator(&mut message.deviations) {
        return Err(too_few_fields());
    }
    parse_rfc5424_after_version(cursor, message)
}

fn parse_rfc5424_after_version(
    cursor: &mut Cursor,
    message: &mut SyslogMessage,
) -> Result<(), SyslogError> {
    let timestamp = cursor.token().ok_or_else(too_few_fields)?;
    message.timestamp = parse_header_timestamp(timestamp, cursor, &mut message.deviations)?;

    let mut fields = [
        &mut message.hostname,
        &mut message.app_name,
        &mut message.proc_id,
    ];
    for field in &mut fields {
        if !cursor.skip_separator(&mut message.deviations) {
            return Err(too_few_fields());
        }
        let token = cursor.token().ok_or_else(too_few_fields)?;
        **field = nil_or_text(token);
    }

    if !cursor.skip_separator(&mut message.deviations) {
        return Err(too_few_fields());
    }
    // A missing MSGID shows as structured data where MSGID should be.
    if cursor.rest().starts_with(b"[") {
        message.deviations.push("missing_msgid");
    } else {
        let msg_id = cursor.token().ok_or_else(too_few_fields)?;
        message.msg_id = nil_or_text(msg_id);
        if message.msg_id.is_empty() {
            message.deviations.push("missing_msgid");
        }
        if !cursor.skip_separator(&mut message.deviations) {
            message.deviations.push("missing_structured_data");
            return Ok(());
        }
    }

    let rest = cursor.rest();
    if rest.starts_with(b"[") {
        let length = structured_data_length(rest)?;
        message.structured_data =
            String::from_utf8_lossy(rest.get(..length).unwrap_or(rest)).into();
        cursor.advance(length);
    } else if rest == b"-" || rest.starts_with(b"- ") {
        cursor.advance(1);
    } else {
        message.deviations.push("missing_structured_data");
        message.message = rest.to_vec();
        return Ok(());
    }

    let rest = cursor.rest();
    message.message = match rest.split_first() {
        None => Vec::new(),
        Some((b' ', msg)) => msg.to_vec(),
        Some(_) => {
            message.deviations.push("missing_space_before_msg");
            rest.to_vec()
        }
    };
    Ok(())
}

/// The TIMESTAMP field (its first token is already read).
fn parse_header_timestamp(
    token: &[u8],
    cursor: &mut Cursor,
    deviations: &mut Vec<&'static str>,
) -> Result<Option<Timestamp>, SyslogError> {
    if token == b"-" {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(token);
    if let Some(parsed) = parse_timestamp(&text) {
        if !parsed.has_zone {
            deviations.push("timestamp_without_zone");
        }
        return Ok(Some(parsed.timestamp));
    }
    // `2023-04-18 14:32:52`: a date alone, then a time.
    if token.len() == 10 && looks_like_rfc3339_date(token) {
        let mut lookahead = cursor.clone();
        let mut ignored = Vec::new();
        if lookahead.skip_separator(&mut ignored) {
            if let Some(time) = lookahead.token() {
                let joined = format!("{text}T{}", String::from_utf8_lossy(time));
                if let Some(parsed) = parse_timestamp(&joined) {
                    *cursor = lookahead;
                    deviations.push("timestamp_with_space");
                    if !parsed.has_zone {
                        deviations.push("timestamp_without_zone");
                    }
                    return Ok(Some(parsed.timestamp));
                }
            }
        }
    }
    if looks_like_rfc3339_date(token) {
        deviations.push("invalid_timestamp");
        return Ok(None);
    }
    Err(SyslogError::new(
        "invalid_timestamp",
        "the timestamp is neither an RFC 3339 date-time nor NILVALUE",
    ))
}

/// The length of the SD-ELEMENTs at the start of `bytes` (RFC 5424 6.3), honouring quoted
/// PARAM-VALUEs and their `\"`, `\\` and `\]` escapes so that MSG is found where it begins.
fn structured_data_length(bytes: &[u8]) -> Result<usize, SyslogError> {
    let invalid = |reason: &str| SyslogError::new("invalid_structured_data", reason);
    let mut position = 0;
    while bytes.get(position) == Some(&b'[') {
        position += 1;
        let id_length = bytes
            .iter()
            .skip(position)
            .take_while(|byte| is_sd_name_byte(**byte))
            .count();
        if id_length == 0 {
            return Err(invalid("a structured data element has no SD-ID"));
        }
        position += id_length;
        loop {
            match bytes.get(position) {
                Some(b']') => {
                    position += 1;
                    break;
                }
                Some(b' ') => position += 1,
                None => return Err(invalid("a structured data element does not end")),
                Some(_) => return Err(invalid("a structured data parameter is malformed")),
            }
            let name_length = bytes
                .iter()
                .skip(position)
                .take_while(|byte| is_sd_name_byte(**byte))
                .count();
            position += name_length;
            if name_length == 0 || bytes.get(position..position + 2) != Some(b"=\"") {
                return Err(invalid("a structured data parameter is malformed"));
            }
            position += 2;
            position += quoted_value_length(bytes.get(position..).unwrap_or_default())
                .ok_or_else(|| invalid("a structured data element does not end"))?;
        }
    }
    Ok(position)
}

/// The length of a PARAM-VALUE including its closing quote, or `None` if it does not close.
fn quoted_value_length(bytes: &[u8]) -> Option<usize> {
    let mut position = 0;
    loop {
        match bytes.get(position)? {
            b'\\' => position += 2,
            b'"' => return Some(position + 1),
            _ => position += 1,
        }
    }
}

/// SD-NAME: printable US-ASCII except `=`, space, `]` and `"`.
fn is_sd_name_byte(byte: u8) -> bool {
    byte.is_ascii_graphic() && !matches!(byte, b'=' | b']' | b'"')
}

/// A parsed date-time and whether it carried a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParsedTimestamp {
    pub timestamp: Timestamp,
    pub has_zone: bool,
}

/// An RFC 3339 / `xsd:dateTime` date-time with fractional seconds of any length; without a zone
/// it is taken as UTC. Shared with the ATNA mapper (`EventDateTime`).
pub(crate) fn parse_timestamp(raw: &str) -> Option<ParsedTimestamp> {
    let raw = raw.trim();
    if has_zone(raw) {
        let timestamp = Timestamp::parse_rfc3339(raw)?;
        return Some(ParsedTimestamp {
            timestamp,
            has_zone: true,
        });
    }
    let timestamp = Timestamp::parse_rfc3339(&format!("{raw}Z"))?;
    Some(ParsedTimestamp {
        timestamp,
        has_zone: false,
    })
}

/// Whether a date-time ends in `Z` or a `±hh:mm` offset.
fn has_zone(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    if matches!(bytes.last(), Some(b'Z' | b'z')) {
        return true;
    }
    // The offset comes after the time, so it is never within the first 16 bytes (the date's
    // hyphens must not be taken for a negative offset).
    let length = bytes.len();
    length > 16
        && matches!(bytes.get(length - 6), Some(b'+' | b'-'))
        && bytes.get(length - 3) == Some(&b':')
}

/// `YYYY-MM-DD` at the start (values not checked).
fn looks_like_rfc3339_date(bytes: &[u8]) -> bool {
    let pattern = b"dddd-dd-dd";
    bytes.len() >= pattern.len()
        && pattern
            .iter()
            .zip(bytes)
            .all(|(expected, byte)| match expected {
                b'd' => byte.is_ascii_digit(),
                _ => byte == expected,
            })
}

fn nil_or_text(token: &[u8]) -> String {
    if token == b"-" {
        return String::new();
    }
    String::from_utf8_lossy(token).into()
}

fn too_few_fields() -> SyslogError {
    SyslogError::new(
        "too_few_fields",
        "the header ends before TIMESTAMP, HOSTNAME, APP-NAME and PROCID",
    )
}

fn trim_line_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|byte| !matches!(byte, b'\r' | b'\n' | 0))
        .map_or(0, |last| last + 1);
    bytes.get(..end).unwrap_or(bytes)
}

fn trim_leading(mut bytes: &[u8]) -> &[u8] {
    loop {
        if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
            bytes = rest;
            continue;
        }
        match bytes.split_first() {
            Some((byte, rest)) if byte.is_ascii_whitespace() || *byte == 0 => bytes = rest,
            _ => return bytes,
        }
    }
}

/// A read position in the frame.
#[derive(Debug, Clone)]
struct Cursor<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, position: 0 }
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.position..).unwrap_or_default()
    }

    fn advance(&mut self, count: usize) {
        self.position = self.position.saturating_add(count).min(self.bytes.len());
    }

    /// The bytes up to the next space or the end, without consuming them; `None` if empty.
    fn peek_token(&self) -> Option<&'a [u8]> {
        let rest = self.rest();
        let length = rest
            .iter()
            .position(|byte| *byte == b' ')
            .unwrap_or(rest.len());
        rest.get(..length).filter(|token| !token.is_empty())
    }

    fn token(&mut self) -> Option<&'a [u8]> {
        let token = self.peek_token()?;
        self.advance(token.len());
        Some(token)
    }

    /// Consumes the space between two header fields; more than one is tolerated and recorded.
    /// Returns false when there is no space (the end of the frame, or a field runs on).
    fn skip_separator(&mut self, deviations: &mut Vec<&'static str>) -> bool {
        let spaces = self.rest().iter().take_while(|byte| **byte == b' ').count();
        if spaces == 0 {
            return false;
        }
        if spaces > 1 && !deviations.contains(&"extra_spaces") {
            deviations.push("extra_spaces");
        }
        self.advance(spaces);
        !self.rest().is_empty()
    }
}

#[cfg(test)]
#[path = "syslog_message_tests.rs"]
mod tests;
