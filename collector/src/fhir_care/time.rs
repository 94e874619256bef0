//! FHIR `date`, `dateTime` and `instant` values as careaudit times. FHIR allows partial dates
//! (`2020`, `2020-03`, `2020-03-04`); a partial value names a whole period, which starts at the
//! beginning of that period in UTC. A period's end is inclusive at its precision in FHIR (an
//! encounter that ends `2013-03-20` lasts through that day), while careaudit's `valid_to` is
//! exclusive, so an end maps to the start of the *next* year, month or day.

use chrono::{Datelike, NaiveDate};
use domain::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Year,
    Month,
    Day,
    Time,
}

/// A parsed FHIR date or dateTime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FhirDateTime {
    start: Timestamp,
    /// The first day of the named period, as written (before any zone conversion).
    first_day: NaiveDate,
    precision: Precision,
}

impl FhirDateTime {
    /// Parses `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or a dateTime with a time and zone. A time
    /// without a zone is refused, as FHIR requires one whenever hours are given.
    pub(super) fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let (first_day, precision) = match raw.len() {
            4 => (NaiveDate::from_ymd_opt(year(raw)?, 1, 1)?, Precision::Year),
            7 if raw.as_bytes()[4] == b'-' => (
                NaiveDate::from_ymd_opt(year(&raw[..4])?, number(&raw[5..7])?, 1)?,
                Precision::Month,
            ),
            10 => (calendar_date(raw)?, Precision::Day),
            _ => {
                let (date, rest) = raw.split_at_checked(10)?;
                if !rest.starts_with('T') {
                    return None;
                }
                let start = Timestamp::parse_rfc3339(raw)?;
                let first_day = calendar_date(date)?;
                return Some(Self {
                    start,
                    first_day,
                    precision: Precision::Time,
                });
            }
        };
        Some(Self {
            start: midnight_utc(first_day)?,
            first_day,
            precision,
        })
    }

    /// The first instant of the named period.
    pub(super) fn start(self) -> Timestamp {
        self.start
    }

    /// The first instant after the named period (the instant itself for a full dateTime).
    pub(super) fn end_exclusive(self) -> Timestamp {
        let next = match self.precision {
            Precision::Time => return self.start,
            Precision::Year => NaiveDate::from_ymd_opt(self.first_day.year() + 1, 1, 1),
            Precision::Month => self.first_day.checked_add_months(chrono::Months::new(1)),
            Precision::Day => self.first_day.succ_opt(),
        };
        next.and_then(midnight_utc).unwrap_or(self.start)
    }

    /// The calendar date the value names, when it names a whole day (a birth or death date);
    /// `None` for a year or month alone, rather than inventing a day.
    pub(super) fn calendar_date(self) -> Option<NaiveDate> {
        match self.precision {
            Precision::Day | Precision::Time => Some(self.first_day),
            Precision::Year | Precision::Month => None,
        }
    }
}

fn year(raw: &str) -> Option<i32> {
    if raw.len() != 4 || !raw.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

fn number(raw: &str) -> Option<u32> {
    if raw.len() != 2 || !raw.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

fn calendar_date(raw: &str) -> Option<NaiveDate> {
    let bytes = raw.as_bytes();
    if raw.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(year(&raw[..4])?, number(&raw[5..7])?, number(&raw[8..10])?)
}

fn midnight_utc(day: NaiveDate) -> Option<Timestamp> {
    Some(Timestamp::from_millis(
        day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(value: Option<Timestamp>) -> String {
        value.map(|ts| ts.to_string()).unwrap_or_default()
    }

    #[test]
    fn partial_dates_name_whole_periods() {
        // raw, start, exclusive end, calendar date
        let cases = [
            (
                "2020",
                "2020-01-01T00:00:00.000Z",
                "2021-01-01T00:00:00.000Z",
                None,
            ),
            (
                "2020-03",
                "2020-03-01T00:00:00.000Z",
                "2020-04-01T00:00:00.000Z",
                None,
            ),
            (
                "2020-12",
                "2020-12-01T00:00:00.000Z",
                "2021-01-01T00:00:00.000Z",
                None,
            ),
            (
                "2020-03-04",
                "2020-03-04T00:00:00.000Z",
                "2020-03-05T00:00:00.000Z",
                Some("2020-03-04"),
            ),
            (
                "2020-02-29",
                "2020-02-29T00:00:00.000Z",
                "2020-03-01T00:00:00.000Z",
                Some("2020-02-29"),
            ),
            (
                "2017-02-01T07:15:00+10:00",
                "2017-01-31T21:15:00.000Z",
                "2017-01-31T21:15:00.000Z",
                Some("2017-02-01"),
            ),
            (
                "2013-12-09T09:00:00.250Z",
                "2013-12-09T09:00:00.250Z",
                "2013-12-09T09:00:00.250Z",
                Some("2013-12-09"),
            ),
        ];
        for (raw, start, end, date) in cases {
            let parsed = FhirDateTime::parse(raw).unwrap_or_else(|| panic!("{raw} parses"));
            assert_eq!(parsed.start().to_string(), start, "{raw}");
            assert_eq!(parsed.end_exclusive().to_string(), end, "{raw}");
            assert_eq!(
                parsed.calendar_date().map(|day| day.to_string()).as_deref(),
                date,
                "{raw}"
            );
        }
    }

    #[test]
    fn malformed_dates_are_refused() {
        for raw in [
            "",
            "20",
            "2020-13",
            "2020-02-30",
            "2020/03/04",
            "2020-3-4",
            "2020-03-04T10:00:00",
            "2020-03-04 10:00:00Z",
            "yesterday",
            "２０２０",
        ] {
            assert_eq!(
                show(FhirDateTime::parse(raw).map(FhirDateTime::start)),
                "",
                "{raw:?}"
            );
        }
    }
}
