//! The hashes of careaudit's evidence-integrity chain, as pure functions so that the collector
//! (which builds the chain), `careaudit verify` and the dashboards' evidence packs (which
//! check events against it) compute exactly the same thing. Each entry gets a leaf hash over
//! its identifying fields and its payload digest; a batch hash covers its leaves in order; each
//! batch's chain hash covers the previous chain hash, the batch number and the batch hash.
//! Every field is length-prefixed so that no two different field lists hash alike.

use sha2::{Digest, Sha256};

/// Entry kinds in `ingest_batches.entry_kinds`.
pub const KIND_EVENT: u8 = 1;
pub const KIND_QUARANTINE: u8 = 2;
/// Care-context rows (directories and relationships): chained, but not re-verified row by row.
pub const KIND_CARE: u8 = 3;
/// The chain hash before the first batch of a collector.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 (hex) over length-prefixed fields.
pub fn hash_fields(fields: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update((field.len() as u64).to_le_bytes());
        hasher.update(field);
    }
    hex::encode(hasher.finalize())
}

/// SHA-256 (hex) of raw bytes, e.g. a payload.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn millis(seconds: u32, millis: u16) -> [u8; 8] {
    (u64::from(seconds) * 1000 + u64::from(millis)).to_le_bytes()
}

/// The leaf of a stored event: its id, payload digest, patient, user, and the times it
/// occurred and was received (seconds and milliseconds, as stored).
pub fn event_leaf(
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
pub fn quarantine_leaf(
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

/// The leaf of a care-context row: its key and the digest of the log record that carried it.
pub fn care_leaf(key: &str, record: &[u8]) -> String {
    hash_fields(&[b"care", key.as_bytes(), &Sha256::digest(record)])
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

    #[test]
    fn event_leaves_cover_every_field() {
        let base = event_leaf("e1", "d", "p", "u", (1, 2), (3, 4));
        let variants = [
            event_leaf("e2", "d", "p", "u", (1, 2), (3, 4)),
            event_leaf("e1", "x", "p", "u", (1, 2), (3, 4)),
            event_leaf("e1", "d", "q", "u", (1, 2), (3, 4)),
            event_leaf("e1", "d", "p", "v", (1, 2), (3, 4)),
            event_leaf("e1", "d", "p", "u", (1, 3), (3, 4)),
            event_leaf("e1", "d", "p", "u", (1, 2), (3, 5)),
        ];
        for variant in variants {
            assert_ne!(base, variant);
        }
        assert_ne!(base, quarantine_leaf("e1", "d", "p", (3, 4)));
    }

    #[test]
    fn a_known_vector_stays_stable() {
        // Evidence packs quote these hashes: a change here breaks every pack already issued.
        assert_eq!(
            hash_fields(&[b"a"]),
            sha256_hex(&[1, 0, 0, 0, 0, 0, 0, 0, b'a'])
        );
    }
}
