//! Robust z-scores against a peer group: the median and the median absolute deviation resist
//! the outliers (the very snoopers being looked for) that would inflate a mean and a standard
//! deviation.

/// 1 / Φ⁻¹(3/4): scales the MAD to the standard deviation of a normal distribution.
const MAD_SCALE: f64 = 1.4826;

/// The median of `values` (sorted in place); `None` when empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    })
}

/// `(x − median) / (1.4826 · MAD)` of `peers`. A MAD of zero (most peers alike) is floored at
/// `min_scale`, so a count one above a uniform group is not infinitely unusual. `None` with
/// fewer than three peers: no group to compare with.
pub fn robust_z(x: f64, peers: &[f64], min_scale: f64) -> Option<f64> {
    if peers.len() < 3 {
        return None;
    }
    let mut values = peers.to_vec();
    let centre = median(&mut values)?;
    let mut deviations: Vec<f64> = peers.iter().map(|v| (v - centre).abs()).collect();
    let mad = median(&mut deviations)?;
    let scale = (MAD_SCALE * mad).max(min_scale).max(f64::MIN_POSITIVE);
    Some((x - centre) / scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
        let peers = [10.0, 11.0, 9.0, 10.0, 12.0, 8.0, 10.0];
        let z = robust_z(40.0, &peers, 1.0).expect("enough peers");
        assert!(z > 15.0, "{z}");
        assert_eq!(robust_z(10.0, &peers, 1.0), Some(0.0));
        assert_eq!(robust_z(10.0, &[1.0, 2.0], 1.0), None);
    }

    proptest! {
        #[test]
        fn z_is_invariant_under_translation_and_monotone(
            peers in proptest::collection::vec(0.0_f64..1000.0, 3..40),
            x in 0.0_f64..2000.0, shift in -500.0_f64..500.0, step in 0.0_f64..100.0,
        ) {
            let z = robust_z(x, &peers, 1.0).expect("three peers");
            let shifted: Vec<f64> = peers.iter().map(|p| p + shift).collect();
            let z_shifted = robust_z(x + shift, &shifted, 1.0).expect("three peers");
            prop_assert!((z - z_shifted).abs() < 1e-6 * (1.0 + z.abs()));
            prop_assert!(robust_z(x + step, &peers, 1.0).expect("three peers") + 1e-9 >= z);
        }

        #[test]
        fn one_outlier_barely_moves_the_centre(
            peers in proptest::collection::vec(9.0_f64..11.0, 9..40), outlier in 1000.0_f64..1e6,
        ) {
            let base = robust_z(10.0, &peers, 1.0).expect("peers");
            let mut with_outlier = peers.clone();
            with_outlier.push(outlier);
            let moved = robust_z(10.0, &with_outlier, 1.0).expect("peers");
            prop_assert!((base - moved).abs() < 1.0);
        }
    }
}
