//! Benjamini–Hochberg control of the false-discovery rate. A run tests every user (and day);
//! at a per-test threshold of 0.05 a region of 100,000 staff would raise thousands of false
//! alarms a day, so the threshold is adapted to the number of tests: among the tests rejected,
//! the expected share of false discoveries is at most `q`.

/// Which of `p_values` are rejected at false-discovery rate `q` (same order as the input).
/// Rejects the `k` smallest p-values, where `k` is the largest rank with `p(k) <= k·q/m`.
pub fn benjamini_hochberg(p_values: &[f64], q: f64) -> Vec<bool> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut cutoff_rank = 0;
    for (rank, &index) in order.iter().enumerate() {
        let threshold = (rank + 1) as f64 * q / m as f64;
        if p_values[index] <= threshold {
            cutoff_rank = rank + 1;
        }
    }
    let mut rejected = vec![false; m];
    for &index in &order[..cutoff_rank] {
        rejected[index] = true;
    }
    rejected
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_example() {
        // The classic example: with q = 0.05 the two smallest of these ten are discoveries.
        let p = [0.01, 0.04, 0.03, 0.005, 0.5, 0.9, 0.2, 0.06, 0.07, 0.3];
        let rejected = benjamini_hochberg(&p, 0.05);
        let chosen: Vec<f64> = p
            .iter()
            .zip(&rejected)
            .filter(|(_, r)| **r)
            .map(|(p, _)| *p)
            .collect();
        assert_eq!(chosen, vec![0.01, 0.005]);
        assert!(benjamini_hochberg(&[], 0.05).is_empty());
        assert_eq!(benjamini_hochberg(&[1.0, 1.0], 0.05), vec![false, false]);
    }

    proptest! {
        #[test]
        fn rejections_are_the_smallest_p_values_and_grow_with_q(
            p in proptest::collection::vec(0.0_f64..=1.0, 0..60), q in 0.001_f64..0.5, more in 0.0_f64..0.4,
        ) {
            let rejected = benjamini_hochberg(&p, q);
            let largest_rejected = p.iter().zip(&rejected).filter(|(_, r)| **r).map(|(p, _)| *p).fold(f64::MIN, f64::max);
            for (value, r) in p.iter().zip(&rejected) {
                if !r { prop_assert!(*value >= largest_rejected); }
                if *r { prop_assert!(*value <= q); }
            }
            let looser = benjamini_hochberg(&p, q + more);
            for (strict, loose) in rejected.iter().zip(&looser) {
                prop_assert!(!strict || *loose);
            }
        }

        #[test]
        fn order_of_the_tests_does_not_matter(p in proptest::collection::vec(0.0_f64..=1.0, 1..40), q in 0.01_f64..0.2) {
            let rejected = benjamini_hochberg(&p, q);
            let mut reversed = p.clone();
            reversed.reverse();
            let mut back = benjamini_hochberg(&reversed, q);
            back.reverse();
            prop_assert_eq!(rejected, back);
        }
    }
}
