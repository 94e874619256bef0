//! When staff work: office hours, 24/7 rotas of day and night shifts, out-of-hours sessions.
//! Legitimate views happen inside the viewer's own shifts (a learned working pattern is what
//! the after-hours rule compares with), so these intervals are the ground truth of "usual".

use crate::config::{Millis, DAY, HOUR, MINUTE};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shift {
    /// Weekdays from `start` to `end` (minutes after midnight), Saturdays too when `saturday`.
    Office {
        start: u16,
        end: u16,
        saturday: bool,
    },
    /// A 24/7 rota: an 8-day cycle of two long days (07:30–20:00), two nights (19:30–08:00)
    /// and four days off, shifted by `offset` days.
    Rota { offset: u8 },
    /// Out-of-hours: weekday evenings and nights (18:30–08:00) and weekend days.
    OutOfHours { offset: u8 },
}

impl Shift {
    pub const GP: Self = Self::Office {
        start: 8 * 60,
        end: 18 * 60 + 30,
        saturday: false,
    };
    pub const CLINIC: Self = Self::Office {
        start: 9 * 60,
        end: 17 * 60 + 30,
        saturday: false,
    };
    pub const COMMUNITY: Self = Self::Office {
        start: 8 * 60,
        end: 18 * 60,
        saturday: true,
    };

    /// The intervals worked that begin on `day` (day 0 is a Monday when the period starts on
    /// one; `weekday` is 0 for Monday), as milliseconds from the start of `day`. A night shift
    /// runs past midnight.
    pub fn duty(self, day: i32, weekday: u32) -> Vec<(Millis, Millis)> {
        let at = |hours: i64, minutes: i64| hours * HOUR + minutes * MINUTE;
        match self {
            Self::Office {
                start,
                end,
                saturday,
            } => {
                let works = weekday < 5 || (saturday && weekday == 5);
                if works {
                    vec![(i64::from(start) * MINUTE, i64::from(end) * MINUTE)]
                } else {
                    Vec::new()
                }
            }
            Self::Rota { offset } => match (day + i32::from(offset)).rem_euclid(8) {
                0 | 1 => vec![(at(7, 30), at(20, 0))],
                2 | 3 => vec![(at(19, 30), DAY + at(8, 0))],
                _ => Vec::new(),
            },
            Self::OutOfHours { offset } => {
                if (day + i32::from(offset)).rem_euclid(3) != 0 {
                    return Vec::new();
                }
                if weekday < 5 {
                    vec![(at(18, 30), DAY + at(8, 0))]
                } else {
                    vec![(at(8, 0), at(20, 0))]
                }
            }
        }
    }

    /// Whether the shift is mostly worked at night (a night-time view is usual for it).
    pub fn works_nights(self) -> bool {
        !matches!(self, Self::Office { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rota_has_days_nights_and_rest() {
        let rota = Shift::Rota { offset: 0 };
        let worked: Vec<usize> = (0..8).map(|day| rota.duty(day, 0).len()).collect();
        assert_eq!(worked, [1, 1, 1, 1, 0, 0, 0, 0]);
        assert!(rota.duty(2, 0)[0].1 > DAY);
    }

    #[test]
    fn office_hours_skip_weekends() {
        assert_eq!(Shift::GP.duty(5, 5), Vec::new());
        assert_eq!(Shift::GP.duty(0, 0).len(), 1);
        assert_eq!(Shift::COMMUNITY.duty(5, 5).len(), 1);
    }
}
