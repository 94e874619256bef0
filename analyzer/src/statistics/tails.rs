//! Upper-tail probabilities of counts: how surprising is `k` under a user's own history?

use statrs::distribution::{DiscreteCDF, NegativeBinomial, Poisson};

/// The smallest mean a baseline is given, so a user with an empty history is not infinitely
/// surprised by a single patient.
const MIN_MEAN: f64 = 0.5;

/// `P(X >= k)` for `X ~ Poisson(mean)`.
pub fn poisson_upper_tail(k: u64, mean: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    match Poisson::new(mean.max(MIN_MEAN)) {
        Ok(distribution) => distribution.sf(k - 1).clamp(0.0, 1.0),
        Err(_) => 1.0,
    }
}

/// `P(X >= k)` for a negative binomial with the given mean and variance (method of moments:
/// `r = mean² / (variance − mean)`, `p = r / (r + mean)`). With no over-dispersion
/// (`variance <= mean`) it is the Poisson tail.
pub fn negative_binomial_upper_tail(k: u64, mean: f64, variance: f64) -> f64 {
    let mean = mean.max(MIN_MEAN);
    if k == 0 {
        return 1.0;
    }
    // NaN or infinite variance, or none beyond the mean's: no over-dispersion to model.
    let over_dispersed = variance.is_finite() && variance > mean * 1.000_001;
    if !over_dispersed {
        return poisson_upper_tail(k, mean);
    }
    let r = mean * mean / (variance - mean);
    let p = r / (r + mean);
    match NegativeBinomial::new(r, p) {
        Ok(distribution) => distribution.sf(k - 1).clamp(0.0, 1.0),
        Err(_) => poisson_upper_tail(k, mean),
    }
}

/// A user's history of a daily count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baseline {
    pub days: usize,
    pub mean: f64,
    pub variance: f64,
}

impl Baseline {
    /// The baseline of `counts` (one per active day); `None` for an empty history.
    pub fn from_counts(counts: &[u64]) -> Option<Self> {
        if counts.is_empty() {
            return None;
        }
        let n = counts.len() as f64;
        let mean = counts.iter().map(|&c| c as f64).sum::<f64>() / n;
        let variance = if counts.len() > 1 {
            counts
                .iter()
                .map(|&c| (c as f64 - mean).powi(2))
                .sum::<f64>()
                / (n - 1.0)
        } else {
            mean
        };
        Some(Self {
            days: counts.len(),
            mean,
            variance,
        })
    }

    /// `P(X >= k)` under this baseline (negative binomial, Poisson without over-dispersion).
    pub fn upper_tail(&self, k: u64) -> f64 {
        negative_binomial_upper_tail(k, self.mean, self.variance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        // P(X >= 1) for Poisson(1) is 1 - e^-1.
        assert!((poisson_upper_tail(1, 1.0) - (1.0 - (-1.0_f64).exp())).abs() < 1e-9);
        assert_eq!(poisson_upper_tail(0, 3.0), 1.0);
        assert!(poisson_upper_tail(40, 5.0) < 1e-15);
        let baseline = Baseline::from_counts(&[10, 12, 8, 11, 9]).expect("history");
        assert_eq!(baseline.days, 5);
        assert!((baseline.mean - 10.0).abs() < 1e-12);
        assert!(baseline.upper_tail(40) < 1e-6);
        assert!(baseline.upper_tail(10) > 0.3);
        assert_eq!(Baseline::from_counts(&[]), None);
    }

    proptest! {
        #[test]
        fn tails_are_probabilities_decreasing_in_k(k in 0_u64..200, mean in 0.0_f64..100.0, extra in 0.0_f64..500.0) {
            let poisson = poisson_upper_tail(k, mean);
            let next = poisson_upper_tail(k + 1, mean);
            prop_assert!((0.0..=1.0).contains(&poisson));
            prop_assert!(next <= poisson + 1e-12);
            let nb = negative_binomial_upper_tail(k, mean, mean + extra);
            prop_assert!((0.0..=1.0).contains(&nb));
            prop_assert!(negative_binomial_upper_tail(k + 1, mean, mean + extra) <= nb + 1e-9);
        }

        #[test]
        fn poisson_tail_grows_with_the_mean(k in 1_u64..100, mean in 0.5_f64..50.0, step in 0.0_f64..20.0) {
            prop_assert!(poisson_upper_tail(k, mean + step) + 1e-12 >= poisson_upper_tail(k, mean));
        }

        #[test]
        fn over_dispersion_makes_a_high_count_less_surprising(k in 0_u64..100, mean in 1.0_f64..30.0, extra in 0.5_f64..300.0) {
            prop_assume!(k as f64 > mean * 2.0 + 2.0);
            prop_assert!(negative_binomial_upper_tail(k, mean, mean + extra) + 1e-12 >= poisson_upper_tail(k, mean));
        }
    }
}
