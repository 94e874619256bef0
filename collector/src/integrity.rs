//! Evidence integrity: a hash chain over the batches the collector ships. Each entry gets a
//! leaf hash over its identifying fields and its payload digest; a batch hash covers its leaves
//! in order; each batch's chain hash covers the previous chain hash, the batch number and the
//! batch hash. The batch rows (`ingest_batches`) list every entry, so [`verify`] can prove that
//! what is stored is exactly what was ingested: nothing altered, removed or slipped in.

use crate::store::{AccessEventRow, QuarantineRow};
use clickhouse::Row;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const KIND_EVENT: u8 = 1;
pub const KIND_QUARANTINE: u8 = 2;
/// Care-context rows (directories and relationships): chained, but not re-verified row by row.
pub const KIND_CARE: u8 = 3;
/// The chain hash before the first batch of a collector.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn hash_fields(fields: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for field in fields {
        // Length-prefixed so that no two different field lists hash alike.
        hasher.update((field.len() as u64).to_le_bytes());
        hasher.update(field);
    }
    hex::encode(hasher.finalize())
}

fn millis(seconds: u32, millis: u16) -> [u8; 8] {
    (u64::from(seconds) * 1000 + u64::from(millis)).to_le_bytes()
}

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

pub(crate) fn event_leaf_parts(
    event_id: &str,
    payload_sha256: &str,
    patient_id: &str,
    user_id: &str,
    occurred: (u32, u16),
    received: (u32, u16),
) -> String {
    let (occurred, received) = (
        millis(occurred.0, occurred.1),
        millis(received.0, received.1),
    );
    hash_fields(&[
        b"event",
        event_id.as_bytes(),
        payload_sha256.as_bytes(),
        patient_id.as_bytes(),
        user_id.as_bytes(),
        &occurred,
        &received,
    ])
}

/// The leaf of a quarantined entry: its id, payload digest, reason and receive time.
pub fn quarantine_leaf(row: &QuarantineRow) -> String {
    quarantine_leaf_parts(
        &row.quarantine_id,
        &row.payload_sha256,
        &row.reason_code,
        (row.received_at, row.received_ms),
    )
}

pub(crate) fn quarantine_leaf_parts(
    quarantine_id: &str,
    payload_sha256: &str,
    reason_code: &str,
    received: (u32, u16),
) -> String {
    let received = millis(received.0, received.1);
    hash_fields(&[
        b"quarantine",
        quarantine_id.as_bytes(),
        payload_sha256.as_bytes(),
        reason_code.as_bytes(),
        &received,
    ])
}

/// The leaf of a care-context row: its key and the digest of its log record.
pub fn care_leaf(row: &crate::care_rows::CareRow, record: &[u8]) -> String {
    hash_fields(&[b"care", row.key().as_bytes(), &Sha256::digest(record)])
}

pub fn batch_hash(leaves: &[String]) -> String {
    let fields: Vec<&[u8]> = leaves.iter().map(|leaf| leaf.as_bytes()).collect();
    hash_fields(&fields)
}

pub fn chain_hash(previous: &str, batch_seq: u64, batch_sha256: &str) -> String {
    hash_fields(&[
        previous.as_bytes(),
        &batch_seq.to_le_bytes(),
        batch_sha256.as_bytes(),
    ])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_hashes_depend_on_every_input() {
        let leaves = vec!["a".to_owned(), "b".to_owned()];
        let batch = batch_hash(&leaves);
        assert_ne!(
            batch,
            batch_hash(&["b".to_owned(), "a".to_owned()]),
            "order matters"
        );
        assert_ne!(batch, batch_hash(&["ab".to_owned()]), "boundaries matter");
        let chain = chain_hash(GENESIS, 1, &batch);
        assert_ne!(chain, chain_hash(GENESIS, 2, &batch));
        assert_ne!(chain, chain_hash(&chain, 1, &batch));
        assert_eq!(chain.len(), 64);
    }
}
