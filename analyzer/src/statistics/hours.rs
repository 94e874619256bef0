//! A user's learned working pattern: the share of their past accesses in each hour of the day,
//! smoothed over neighbouring hours (a shift that usually ends at 20:00 sometimes runs to
//! 20:30) and with a small prior everywhere, so no hour is impossible, only unusual.

/// Weight of the hour itself and of each neighbour in the smoothing kernel.
const KERNEL: [f64; 3] = [0.25, 0.5, 0.25];
/// Pseudo-count spread over the day (a Dirichlet prior).
const PRIOR: f64 = 1.0;

#[derive(Debug, Clone, PartialEq)]
pub struct HourProfile {
    shares: [f64; 24],
    pub observations: u64,
}

impl HourProfile {
    /// The profile of `counts[h]` accesses in hour `h` (UTC).
    pub fn from_counts(counts: &[u64; 24]) -> Self {
        let mut smoothed = [0.0; 24];
        for (hour, slot) in smoothed.iter_mut().enumerate() {
            for (offset, weight) in KERNEL.iter().enumerate() {
                let source = (hour + 24 + offset - 1) % 24;
                *slot += weight * counts[source] as f64;
            }
        }
        let observations: u64 = counts.iter().sum();
        let total = observations as f64 + PRIOR;
        let mut shares = [0.0; 24];
        for hour in 0..24 {
            shares[hour] = (smoothed[hour] + PRIOR / 24.0) / total;
        }
        Self {
            shares,
            observations,
        }
    }

    /// The share of the user's activity expected in `hour` (0–23).
    pub fn share(&self, hour: usize) -> f64 {
        self.shares[hour % 24]
    }

    /// The hours whose share is below `min_share`: outside the user's usual pattern.
    pub fn unusual_hours(&self, min_share: f64) -> Vec<usize> {
        (0..24)
            .filter(|&hour| self.shares[hour] < min_share)
            .collect()
    }

    /// The total share of the unusual hours: the chance, under the pattern, that one access
    /// falls outside it.
    pub fn unusual_share(&self, min_share: f64) -> f64 {
        self.unusual_hours(min_share)
            .iter()
            .map(|&hour| self.shares[hour])
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_day_worker_is_unusual_at_night() {
        let mut counts = [0_u64; 24];
        counts[9..17].fill(50);
        let profile = HourProfile::from_counts(&counts);
        let unusual = profile.unusual_hours(0.01);
        assert!(unusual.contains(&3) && unusual.contains(&23));
        assert!(
            !unusual.contains(&12) && !unusual.contains(&8),
            "{unusual:?}"
        );
        assert!(profile.unusual_share(0.01) < 0.02);
    }

    proptest! {
        #[test]
        fn shares_are_a_distribution(counts in proptest::array::uniform24(0_u64..1000)) {
            let profile = HourProfile::from_counts(&counts);
            let total: f64 = (0..24).map(|h| profile.share(h)).sum();
            prop_assert!((total - 1.0).abs() < 1e-9);
            prop_assert!((0..24).all(|h| profile.share(h) > 0.0));
        }
    }
}
