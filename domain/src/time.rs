//! Time to the millisecond, in one representation. Storage splits it into a `DateTime` and a
//! millisecond column because ClickHouse 18.16 has no `DateTime64`; that split happens here and
//! nowhere else.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A UTC instant with millisecond precision, stored as milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    pub fn now() -> Self {
        Self(Utc::now().timestamp_millis())
    }

    pub fn as_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch and the millisecond remainder (0..=999), the layout of the
    /// ClickHouse `DateTime` + `UInt16` column pair. Instants before 1970 are not representable in
    /// a ClickHouse `DateTime`, so they are clamped to the epoch.
    pub fn to_seconds_and_millis(self) -> (u32, u16) {
        let millis = self.0.max(0);
        let seconds = u32::try_from(millis / 1000).unwrap_or(u32::MAX);
        let remainder = u16::try_from(millis % 1000).unwrap_or(0);
        (seconds, remainder)
    }

    pub fn from_seconds_and_millis(seconds: u32, millis: u16) -> Self {
        Self(i64::from(seconds) * 1000 + i64::from(millis.min(999)))
    }

    /// Parses an RFC 3339 / FHIR `instant` (which always carries a zone).
    pub fn parse_rfc3339(raw: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(raw.trim())
            .ok()
            .map(|parsed| Self(parsed.with_timezone(&Utc).timestamp_millis()))
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.0)
            .single()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self(value.timestamp_millis())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &self
                .to_datetime()
                .to_rfc3339_opts(SecondsFormat::Millis, true),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_joins_milliseconds() {
        for millis in [0_i64, 1, 999, 1000, 1_588_153_740_123] {
            let ts = Timestamp::from_millis(millis);
            let (seconds, ms) = ts.to_seconds_and_millis();
            assert_eq!(Timestamp::from_seconds_and_millis(seconds, ms), ts);
        }
    }

    #[test]
    fn parses_fhir_instants_with_any_zone() {
        let cases = [
            ("2020-04-29T09:49:00.000Z", Some(1_588_153_740_000)),
            ("2020-04-29T10:49:00.123+01:00", Some(1_588_153_740_123)),
            ("2020-04-29T09:49:00", None),
            ("yesterday", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                Timestamp::parse_rfc3339(raw).map(Timestamp::as_millis),
                expected,
                "{raw}"
            );
        }
    }

    #[test]
    fn displays_as_rfc3339_millis() {
        assert_eq!(
            Timestamp::from_millis(1_588_153_740_123).to_string(),
            "2020-04-29T09:49:00.123Z"
        );
    }
}
