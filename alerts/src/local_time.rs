//! Local time. Officers read digests and staff read warnings in England, so the schedules of the
//! digests ("07:00 every day") and the day a warning names are in Europe/London time, summer
//! time included, not UTC. Instants stay UTC everywhere else; only these two ask for the
//! wall clock, and both get their instant from the `Clock` they were given.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The time zone of the organisations careaudit serves.
pub const LOCAL_TIMEZONE: &str = "Europe/London";

/// The local time zone, from the system's time zone database.
pub(crate) fn timezone() -> Result<jiff::tz::TimeZone, String> {
    jiff::tz::TimeZone::get(LOCAL_TIMEZONE)
        .map_err(|error| format!("the time zone {LOCAL_TIMEZONE} is not available: {error}"))
}

/// The wall-clock time in `tz` at the instant `at`.
pub(crate) fn to_local(tz: &jiff::tz::TimeZone, at: DateTime<Utc>) -> Option<NaiveDateTime> {
    let nanos = i32::try_from(at.timestamp_subsec_nanos()).ok()?;
    let local = jiff::Timestamp::new(at.timestamp(), nanos)
        .ok()?
        .to_zoned(tz.clone())
        .datetime();
    NaiveDate::from_ymd_opt(
        i32::from(local.year()),
        u32::try_from(local.month()).ok()?,
        u32::try_from(local.day()).ok()?,
    )?
    .and_hms_nano_opt(
        u32::try_from(local.hour()).ok()?,
        u32::try_from(local.minute()).ok()?,
        u32::try_from(local.second()).ok()?,
        u32::try_from(local.subsec_nanosecond()).ok()?,
    )
}

/// The instant of wall-clock time `local` in `tz` (in the hour the clocks go back, the first
/// of the two; in the hour they skip, the time after the gap).
pub(crate) fn from_local(tz: &jiff::tz::TimeZone, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    use chrono::{Datelike, Timelike};
    let civil = jiff::civil::DateTime::new(
        i16::try_from(local.year()).ok()?,
        i8::try_from(local.month()).ok()?,
        i8::try_from(local.day()).ok()?,
        i8::try_from(local.hour()).ok()?,
        i8::try_from(local.minute()).ok()?,
        i8::try_from(local.second()).ok()?,
        i32::try_from(local.nanosecond()).ok()?,
    )
    .ok()?;
    let instant = civil.to_zoned(tz.clone()).ok()?.timestamp();
    DateTime::from_timestamp(
        instant.as_second(),
        u32::try_from(instant.subsec_nanosecond()).ok()?,
    )
}

/// The local calendar day of the instant `at` (falling back to the UTC day, logged, if the
/// time zone database is missing).
pub(crate) fn local_day(at: DateTime<Utc>) -> NaiveDate {
    match timezone().map(|tz| to_local(&tz, at)) {
        Ok(Some(local)) => local.date(),
        Ok(None) => at.date_naive(),
        Err(error) => {
            tracing::error!(error, "using the UTC day");
            at.date_naive()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn london_is_utc_in_winter_and_an_hour_ahead_in_summer() {
        let tz = timezone().expect("Europe/London");
        let cases = [
            ("2026-01-15T07:00:00Z", "2026-01-15T07:00:00"),
            ("2026-06-15T06:00:00Z", "2026-06-15T07:00:00"),
            ("2026-06-04T23:30:00Z", "2026-06-05T00:30:00"),
            // The clocks go forward at 01:00 UTC on 29 March 2026 and back on 25 October.
            ("2026-03-29T00:59:59Z", "2026-03-29T00:59:59"),
            ("2026-03-29T01:00:00Z", "2026-03-29T02:00:00"),
            ("2026-10-25T00:30:00Z", "2026-10-25T01:30:00"),
            ("2026-10-25T01:30:00Z", "2026-10-25T01:30:00"),
        ];
        for (instant, wall_clock) in cases {
            let local = to_local(&tz, at(instant)).expect("local");
            assert_eq!(local.to_string().replace(' ', "T"), wall_clock, "{instant}");
        }
        let back = [
            ("2026-06-15T07:00:00", "2026-06-15T06:00:00Z"),
            ("2026-01-15T07:00:00", "2026-01-15T07:00:00Z"),
            ("2026-10-25T01:30:00", "2026-10-25T00:30:00Z"),
            ("2026-03-29T01:30:00", "2026-03-29T01:30:00Z"),
        ];
        for (wall_clock, instant) in back {
            let local =
                NaiveDateTime::parse_from_str(wall_clock, "%Y-%m-%dT%H:%M:%S").expect("time");
            assert_eq!(from_local(&tz, local), Some(at(instant)), "{wall_clock}");
        }
        assert_eq!(
            local_day(at("2026-06-04T23:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 6, 5).expect("day")
        );
        assert_eq!(
            local_day(at("2026-12-04T23:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 12, 4).expect("day")
        );
    }
}
