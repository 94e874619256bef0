//! A window of ClickHouse stored time (`access_arrivals.stored_at`, whole seconds): the unit of
//! work of both analyzer paths.

use crate::sql::{BindValue, Binds};

/// The half-open window `[start, end)` of stored time, in seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: u32,
    pub end: u32,
}

impl Window {
    /// The binds every windowed query takes.
    pub fn binds(self) -> Binds {
        Binds::from([
            ("window_start", BindValue::UInt(u64::from(self.start))),
            ("window_end", BindValue::UInt(u64::from(self.end))),
        ])
    }

    pub fn is_empty(self) -> bool {
        self.end <= self.start
    }
}
