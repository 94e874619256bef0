//! The statistics of the analyzer, as pure functions over counts (no IO): tail probabilities of
//! a count under a user's own history (Poisson, or negative binomial when the history is
//! over-dispersed), robust z-scores against a peer group (median and MAD), Benjamini–Hochberg
//! control of the false-discovery rate across all the tests of a run, and the learned
//! hour-of-day profile of a user's working pattern. Distributions come from statrs.

mod fdr;
mod hours;
mod robust;
mod tails;

pub use fdr::benjamini_hochberg;
pub use hours::HourProfile;
pub use robust::{median, robust_z};
pub use tails::{negative_binomial_upper_tail, poisson_upper_tail, Baseline};
