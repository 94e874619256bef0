//! Evidence integrity: a hash chain over the batches the collector ships. Each entry gets a
//! leaf hash over its identifying fields and its payload digest; a batch hash covers its leaves
//! in order; each batch's chain hash covers the previous chain hash, the batch number and the
//! batch hash. The batch rows (`ingest_batches`) list every entry, so [`verify`] can prove that
//! what is stored is exactly what was ingested: nothing altered, removed or slipped in. The
//! hash functions themselves live in `domain::integrity`, shared with the dashboards' evidence
//! packs.

use crate::store::{AccessEventRow, QuarantineRow};
use clickhouse::Row;
use serde::{Deserialize, Serialize};

pub use domain::integrity::{
    batch_hash, chain_hash, GENESIS, KIND_CARE, KIND_EVENT, KIND_QUARANTINE,
};

/// The leaf of a stored event: its id, payload digest, patient, user and both times.
pub fn event_leaf(row: &AccessEventRow) -> String {
    event_leaf_parts(
        &row.event_id,
        &row.payload_sha256,
        &row.patient_id,
        &row.user_id,
        (row.occurred_at, row.occurred_ms),
        (row.received_at, row.received_ms),
    )
}

pub(crate) use domain::integrity::event_leaf as event_leaf_parts;

/// The leaf of a quarantined entry: its id, payload digest, reason and receive time.
pub fn quarantine_leaf(row: &QuarantineRow) -> String {
    quarantine_leaf_parts(
        &row.quarantine_id,
        &row.payload_sha256,
        &row.reason_code,
        (row.received_at, row.received_ms),
    )
}

pub(crate) use domain::integrity::quarantine_leaf as quarantine_leaf_parts;

/// The leaf of a care-context row: its key and the digest of its log record.
pub fn care_leaf(row: &crate::care_rows::CareRow, record: &[u8]) -> String {
    domain::integrity::care_leaf(&row.key(), record)
}

/// One row of `ingest_batches`.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct BatchRecord {
    pub collector_id: String,
    pub batch_seq: u64,
    pub first_lsn: u64,
    pub last_lsn: u64,
    pub shipped_at: u32,
    pub entry_kinds: Vec<u8>,
    pub entry_ids: Vec<String>,
    pub entry_leaves: Vec<String>,
    pub batch_sha256: String,
    pub prev_chain_sha256: String,
    pub chain_sha256: String,
}
