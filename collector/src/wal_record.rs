//! What one write-ahead log record holds: a storage row for ClickHouse, in a compact binary
//! encoding (postcard), so that the shipper can insert it without mapping anything again.

use crate::care_rows::CareRow;
use crate::store::{AccessEventRow, QuarantineRow};
use serde::{Deserialize, Serialize};

// Events are nearly every record: boxing the largest variant would add an allocation per event
// on the hot path to shrink the rare ones.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WalRecord {
    Event(AccessEventRow),
    Quarantine(QuarantineRow),
    Care(CareRow),
}

impl WalRecord {
    pub fn encode(&self) -> Result<Vec<u8>, postcard::Error> {
        postcard::to_allocvec(self)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}
