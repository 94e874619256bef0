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

/// The end of the next step of a catch-up from `done` toward `end` (seconds of stored time)
/// when a window may span at most `limit` seconds: `end` itself when it is within reach, else
/// `limit` past the first access stored at or after `done` (`first`: a stretch of stored time
/// without any is crossed in one step, not walked a window at a time), and `end` when nothing
/// is stored before it (pure; always past `done` while `done < end`).
pub fn step_end(done: u32, end: u32, limit: u32, first: Option<u32>) -> u32 {
    if end.saturating_sub(done) <= limit {
        return end;
    }
    match first {
        None => end,
        Some(first) => first.max(done).saturating_add(limit.max(1)).min(end),
    }
}

#[cfg(test)]
mod tests {
    use super::step_end;

    #[test]
    fn a_long_catch_up_is_cut_into_bounded_steps_past_the_first_access() {
        let day = 86_400;
        // Within reach: one step.
        assert_eq!(step_end(1_000, 1_000 + day, day, Some(1_000)), 1_000 + day);
        // A month from the first access: a day at a time.
        assert_eq!(
            step_end(1_000, 1_000 + 30 * day, day, Some(1_000)),
            1_000 + day
        );
        // A new installation (watermark 0): the first step starts at the first access.
        let first = 1_764_547_200;
        assert_eq!(step_end(0, first + 30 * day, day, Some(first)), first + day);
        // Nothing stored before the end: straight to it.
        assert_eq!(step_end(0, first, day, None), first);
        // Never beyond the end, always past the watermark.
        assert_eq!(step_end(5, 5 + day + 1, day, Some(5 + day)), 5 + day + 1);
        assert!(step_end(5, 10, 1, Some(0)) > 5);
    }
}
