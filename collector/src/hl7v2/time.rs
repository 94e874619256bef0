//! HL7 v2 dates and times: `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]` (TS/DTM) and the
//! date part of one (DT).
//!
//! Without an offset a time is taken as UTC. English hospitals mostly send Europe/London local
//! time without an offset, so such times are an hour late in summer; that is a known
//! simplification (careaudit's windows are far wider than an hour), recorded here so that it is
//! not mistaken for a bug.

use chrono::{Days, FixedOffset, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use domain::Timestamp;

/// A time as HL7 states it: to a precision. `start` is the instant written; `end` is where
/// the stated precision ends (`20130211` runs to midnight, `201302111000` to 10:01), which is
/// the right bound when the time closes an interval (a discharge "at 10:00" happened before
/// 10:01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hl7Time {
    pub start: Timestamp,
    pub end: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
}

/// Reads a TS/DTM; `None` when it is empty, `""` or not a real time.
pub(crate) fn parse_hl7_time(raw: &str) -> Option<Hl7Time> {
    let raw = raw.trim();
    let (digits_and_fraction, offset) = split_offset(raw)?;
    let (digits, fraction) = match digits_and_fraction.split_once('.') {
        Some((digits, fraction)) => (digits, Some(fraction)),
        None => (digits_and_fraction, None),
    };
    if !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        match digits.get(range) {
            Some(text) if !text.is_empty() => text.parse().ok(),
            _ => None,
        }
    };
    let precision = match digits.len() {
        4 => Precision::Year,
        6 => Precision::Month,
        8 => Precision::Day,
        10 => Precision::Hour,
        12 => Precision::Minute,
        14 => Precision::Second,
        _ => return None,
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    let month = number(4..6).unwrap_or(1);
    let day = number(6..8).unwrap_or(1);
    let hour = number(8..10).unwrap_or(0);
    let minute = number(10..12).unwrap_or(0);
    let second = number(12..14).unwrap_or(0);
    let (millis, precision) = match fraction {
        None => (0, precision),
        Some(fraction) if precision == Precision::Second => {
            (fraction_millis(fraction)?, Precision::Millisecond)
        }
        Some(_) => return None,
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = NaiveTime::from_hms_milli_opt(hour, minute, second, millis)?;
    let local = NaiveDateTime::new(date, time);
    let utc_start =
        local.checked_sub_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))?;
    let utc_end = match precision {
        Precision::Year => utc_start.checked_add_months(Months::new(12)),
        Precision::Month => utc_start.checked_add_months(Months::new(1)),
        Precision::Day => utc_start.checked_add_days(Days::new(1)),
        Precision::Hour => utc_start.checked_add_signed(TimeDelta::hours(1)),
        Precision::Minute => utc_start.checked_add_signed(TimeDelta::minutes(1)),
        Precision::Second => utc_start.checked_add_signed(TimeDelta::seconds(1)),
        Precision::Millisecond => utc_start.checked_add_signed(TimeDelta::milliseconds(1)),
    }?;
    Some(Hl7Time {
        start: Timestamp::from(utc_start.and_utc()),
        end: Timestamp::from(utc_end.and_utc()),
    })
}

/// `+HHMM`/`-HHMM` at the end, if any (UTC otherwise).
fn split_offset(raw: &str) -> Option<(&str, FixedOffset)> {
    let Some(sign_at) = raw.rfind(['+', '-']) else {
        return Some((raw, FixedOffset::east_opt(0)?));
    };
    let (time, offset) = raw.split_at(sign_at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let digits = offset.get(1..)?;
    if digits.len() != 4 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits.get(..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..)?.parse().ok()?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some((
        time,
        FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))?,
    ))
}

/// One to four fractional digits of a second, as milliseconds.
fn fraction_millis(fraction: &str) -> Option<u32> {
    if fraction.is_empty()
        || fraction.len() > 4
        || !fraction.bytes().all(|byte| byte.is_ascii_digit())
    {
        return None;
    }
    let padded = format!("{fraction:0<3}");
    padded.get(..3)?.parse().ok()
}

/// The date a DT or TS names, as written (no zone conversion: a birth date is a calendar
/// date); `None` unless it gives at least year, month and day.
pub(crate) fn parse_hl7_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    let digits = raw.get(..8)?;
    if !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    // The rest must still be a TS, so that `196203520` (nine digits) is not read as a date.
    if raw.len() > 8 && parse_hl7_time(raw).is_none() {
        return None;
    }
    let year = digits.get(..4)?.parse().ok()?;
    let month = digits.get(4..6)?.parse().ok()?;
    let day = digits.get(6..8)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
#[path = "time_tests.rs"]
mod tests;
