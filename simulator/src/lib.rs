//! The simulator: a seeded, deterministic shared-care-record region (organisations, staff,
//! households, care over time), the record views that care produces, injected and labelled
//! inappropriate accesses, all written in the standard feeds careaudit's collector speaks,
//! with the ground truth in a separate file. It is the demo's data, the benchmark's data and
//! the yardstick of every rule (EVALUATION.md).
//!
//! The library does no network IO: it writes feeds to a directory (streaming, one simulated
//! day at a time, so memory stays bounded by the region and one day's views). Sending them to
//! a running careaudit is the binary's job (`careaudit simulate --send`).

pub mod care;
pub mod config;
pub mod events;
pub mod feeds;
mod generate;
pub mod ids;
pub mod incidents;
pub mod names;
pub mod region;
pub mod rng;
pub mod truth;

pub use config::{IncidentKind, SimConfig, Size};
pub use generate::{generate, send_order, SimError, Summary};
pub use region::Region;
