//! The identifiers the simulator hands out: NHS numbers (valid check digits, in the 9xx range
//! no real patient has), SDS user ids, event ids that encode their view, and the ids of the
//! care resources. Every id is a pure function of an index, so the region needs no id tables.

/// The NHS number of patient `index`: nine digits `900000000 + 2 × index` (or the next number
/// when that one has no valid check digit; the two differ only in the last digit, so at most one
/// of them lacks a check digit) and the modulus 11 check digit.
pub fn nhs_number(index: u32) -> String {
    let base = 900_000_000_u64 + 2 * u64::from(index);
    for candidate in [base, base + 1] {
        if let Some(check) = check_digit(candidate) {
            return format!("{candidate}{check}");
        }
    }
    // Unreachable: consecutive bases differ by 2 in the weighted sum, so one has a check digit.
    format!("{base}0")
}

fn check_digit(nine_digits: u64) -> Option<u64> {
    let digits = nine_digits.to_string();
    let sum: u64 = digits
        .chars()
        .filter_map(|c| c.to_digit(10))
        .zip((2..=10).rev())
        .map(|(digit, weight)| u64::from(digit) * weight)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        check => Some(check),
    }
}

/// The SDS user id of staff member `index` (twelve digits, as NHS smartcard ids are).
pub fn user_id(index: u32) -> String {
    format!("{}", 555_000_000_000_u64 + u64::from(index))
}

/// The id of audit event `n` of view `view`: `sim-<seed>-<view>-<n>`. Views are numbered in
/// the order they are written, so an event id names the view it belongs to.
pub fn event_id(seed: u64, view: u64, n: u32) -> String {
    format!("sim-{seed}-{view}-{n}")
}

/// The view an event id of this seed names (`None` for ids of other forms or seeds).
pub fn view_of_event(seed: u64, event_id: &str) -> Option<u64> {
    let rest = event_id.strip_prefix("sim-")?;
    let (seed_part, rest) = rest.split_once('-')?;
    if seed_part.parse::<u64>().ok()? != seed {
        return None;
    }
    let (view, _) = rest.split_once('-')?;
    view.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::is_valid_nhs_number;

    #[test]
    fn nhs_numbers_are_valid_and_distinct() {
        let numbers: Vec<String> = (0..5_000).map(nhs_number).collect();
        assert!(numbers.iter().all(|number| is_valid_nhs_number(number)));
        let mut unique = numbers.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), numbers.len());
        assert!(is_valid_nhs_number(&nhs_number(40_000_000)));
    }

    #[test]
    fn event_ids_name_their_view() {
        let id = event_id(7, 12_345, 3);
        assert_eq!(id, "sim-7-12345-3");
        assert_eq!(view_of_event(7, &id), Some(12_345));
        assert_eq!(view_of_event(8, &id), None);
        assert_eq!(view_of_event(7, "urn:uuid:x"), None);
    }
}
