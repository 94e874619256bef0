//! RFC 3164 ("BSD syslog") headers, as old senders and some relays still write them:
//! `Mmm dd hh:mm:ss host tag[pid]: content`. They carry no year and no zone; the year that puts
//! the timestamp nearest to the receiver's clock is taken, and UTC is assumed.

use super::{Cursor, SyslogError, SyslogMessage};
use domain::Timestamp;

const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// The average Gregorian year, to guess the year of an RFC 3164 timestamp.
const MILLIS_PER_YEAR: i64 = 31_556_952_000;

pub(super) fn starts_with_month(bytes: &[u8]) -> bool {
    MONTHS
        .iter()
        .any(|month| bytes.starts_with(month) && bytes.get(month.len()) == Some(&b' '))
}

/// `Mmm dd hh:mm:ss host tag[pid]: content` (RFC 3164 4.1.2, 4.1.3).
pub(super) fn parse_header(
    cursor: &mut Cursor,
    message: &mut SyslogMessage,
    now: Timestamp,
) -> Result<(), SyslogError> {
    let invalid = || {
        SyslogError::new(
            "invalid_timestamp",
            "the RFC 3164 timestamp is not Mmm dd hh:mm:ss",
        )
    };
    let month = cursor.token().ok_or_else(invalid)?;
    let month_number = MONTHS
        .iter()
        .position(|name| *name == month)
        .ok_or_else(invalid)?
        + 1;
    let mut ignored = Vec::new();
    cursor.skip_separator(&mut ignored);
    let day = cursor.token().ok_or_else(invalid)?;
    cursor.skip_separator(&mut ignored);
    let time = cursor.token().ok_or_else(invalid)?;
    let day: u32 = std::str::from_utf8(day)
        .ok()
        .filter(|day| (1..=2).contains(&day.len()))
        .and_then(|day| day.parse().ok())
        .ok_or_else(invalid)?;
    let time = std::str::from_utf8(time)
        .ok()
        .filter(|time| time.len() == 8)
        .ok_or_else(invalid)?;
    message.timestamp = nearest_year(month_number, day, time, now);
    if message.timestamp.is_none() {
        // Shaped right but not a date in the years around now (Feb 29, Oct 32, 25:00:00).
        message.deviations.push("invalid_timestamp");
    }

    if !cursor.skip_separator(&mut ignored) {
        return Ok(());
    }
    // The hostname may be missing: then the tag comes first.
    if let Some(token) = cursor.peek_token() {
        if !token.ends_with(b":") && !token.contains(&b'[') {
            message.hostname = String::from_utf8_lossy(token).into();
            cursor.advance(token.len());
            if !cursor.skip_separator(&mut ignored) {
                return Ok(());
            }
        }
    }
    if let Some((app_name, proc_id, length)) = rfc3164_tag(cursor.rest()) {
        message.app_name = String::from_utf8_lossy(app_name).into();
        message.proc_id = String::from_utf8_lossy(proc_id).into();
        cursor.advance(length);
        if cursor.rest().starts_with(b" ") {
            cursor.advance(1);
        }
    }
    message.message = cursor.rest().to_vec();
    Ok(())
}

/// `app[pid]:` or `app:` at the start of `bytes`: the app name, the pid and the length used.
fn rfc3164_tag(bytes: &[u8]) -> Option<(&[u8], &[u8], usize)> {
    let name_length = bytes
        .iter()
        .take_while(|byte| byte.is_ascii_graphic() && !matches!(byte, b'[' | b':'))
        .count();
    let (name, rest) = bytes.split_at(name_length);
    if name.is_empty() {
        return None;
    }
    if rest.starts_with(b":") {
        return Some((name, b"", name_length + 1));
    }
    let pid_and_rest = rest.strip_prefix(b"[")?;
    let pid_length = pid_and_rest.iter().position(|byte| *byte == b']')?;
    let (pid, after_pid) = pid_and_rest.split_at(pid_length);
    if !after_pid.starts_with(b"]:") {
        return None;
    }
    Some((name, pid, name_length + pid_length + 3))
}

/// The instant in UTC for `Mmm dd hh:mm:ss` in the year that puts it nearest to `now`.
fn nearest_year(month: usize, day: u32, time: &str, now: Timestamp) -> Option<Timestamp> {
    let approximate_year = 1970 + now.as_millis().div_euclid(MILLIS_PER_YEAR);
    (approximate_year - 1..=approximate_year + 1)
        .filter_map(|year| {
            Timestamp::parse_rfc3339(&format!("{year:04}-{month:02}-{day:02}T{time}Z"))
        })
        .min_by_key(|candidate| (candidate.as_millis() - now.as_millis()).abs())
}
