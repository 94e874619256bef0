//! The integrity proof an evidence pack carries. For every access in the pack it recomputes
//! the leaf hash from the stored row (`domain::integrity`, the same function the collector
//! chained it with), finds the ingest batch that lists the event, checks that the batch lists
//! the same leaf, that the batch hash covers the batch's leaves and that the batch's chain
//! hash follows from the previous one; and it quotes each collector's chain head. A reader
//! checks the pack against `careaudit verify`, which proves the whole chain up to the same
//! head (or a later one) intact: then every access in the pack is exactly what was ingested.

use crate::trace::TracedAccess;
use clickhouse::Row;
use domain::integrity::{batch_hash, chain_hash, event_leaf};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How one access stands against the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProofStatus {
    /// Listed in a batch with the same leaf; the batch is consistent with its chain hash.
    Intact,
    /// No ingest batch lists this event (it was not ingested through the chain).
    NotListed,
    /// A batch lists the event with a different leaf: the stored row was altered.
    Altered,
    /// The batch listing it does not match its own hashes.
    BatchInconsistent,
}

impl ProofStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intact => "intact",
            Self::NotListed => "not listed in the ingest chain",
            Self::Altered => "ALTERED: differs from what was ingested",
            Self::BatchInconsistent => "batch inconsistent with its hashes",
        }
    }
}

/// One access's place in the chain.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventProof {
    pub event_id: String,
    pub leaf_sha256: String,
    pub collector_id: String,
    pub batch_seq: u64,
    pub batch_sha256: String,
    pub chain_sha256: String,
    pub status: ProofStatus,
}

/// The newest chain hash of one collector.
#[derive(Debug, Clone, Row, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ChainHead {
    pub collector_id: String,
    pub batch_seq: u64,
    pub chain_sha256: String,
}

/// The proof of a whole pack.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IntegrityProof {
    /// In the order of the pack's accesses.
    pub events: Vec<EventProof>,
    pub chain_heads: Vec<ChainHead>,
    pub intact: usize,
    /// The sentence printed in the pack.
    pub statement: String,
}

#[derive(Debug, Row, Deserialize)]
struct BatchRow {
    collector_id: String,
    batch_seq: u64,
    batch_sha256: String,
    prev_chain_sha256: String,
    chain_sha256: String,
    entry_ids: Vec<String>,
    entry_leaves: Vec<String>,
}

/// Ids per query, so that the SQL stays a reasonable size for long traces.
const IDS_PER_QUERY: usize = 5_000;
/// Slack between the collector's receive clock and its shipper's (same process in practice).
const CLOCK_SLACK_SECONDS: u32 = 300;

pub async fn prove(
    clickhouse: &clickhouse::Client,
    accesses: &[TracedAccess],
) -> Result<IntegrityProof, clickhouse::error::Error> {
    let leaves: Vec<String> = accesses
        .iter()
        .map(|access| {
            let (occurred, received) = access.stored_times;
            event_leaf(
                &access.event_id,
                &access.payload_sha256,
                &access.recorded_patient_id,
                &access.user_id,
                occurred,
                received,
            )
        })
        .collect();
    let earliest = accesses
        .iter()
        .map(|access| access.stored_times.1 .0)
        .min()
        .unwrap_or(0)
        .saturating_sub(CLOCK_SLACK_SECONDS);
    // event id -> (batch key, listed leaf); batch key -> (row, consistent)
    let mut listed: HashMap<String, ((String, u64), String)> = HashMap::new();
    let mut batches: HashMap<(String, u64), (BatchRow, bool)> = HashMap::new();
    for chunk in accesses.chunks(IDS_PER_QUERY) {
        let ids: Vec<&str> = chunk
            .iter()
            .map(|access| access.event_id.as_str())
            .collect();
        let rows: Vec<BatchRow> = clickhouse
            .query(include_str!("evidence_pack/batches.sql"))
            .bind(earliest)
            .bind(&ids)
            .fetch_all()
            .await?;
        for row in rows {
            let key = (row.collector_id.clone(), row.batch_seq);
            if batches.contains_key(&key) {
                continue;
            }
            let consistent = row.entry_ids.len() == row.entry_leaves.len()
                && batch_hash(&row.entry_leaves) == row.batch_sha256
                && chain_hash(&row.prev_chain_sha256, row.batch_seq, &row.batch_sha256)
                    == row.chain_sha256;
            for (id, leaf) in row.entry_ids.iter().zip(&row.entry_leaves) {
                if ids.contains(&id.as_str()) {
                    // A later delivery of the same id (superseded content) wins, as in the store.
                    listed.insert(id.clone(), (key.clone(), leaf.clone()));
                }
            }
            batches.insert(key, (row, consistent));
        }
    }
    let events: Vec<EventProof> = accesses
        .iter()
        .zip(leaves)
        .map(|(access, leaf)| {
            let Some((key, listed_leaf)) = listed.get(&access.event_id) else {
                return EventProof {
                    event_id: access.event_id.clone(),
                    leaf_sha256: leaf,
                    collector_id: String::new(),
                    batch_seq: 0,
                    batch_sha256: String::new(),
                    chain_sha256: String::new(),
                    status: ProofStatus::NotListed,
                };
            };
            let (batch, consistent) = &batches[key];
            let status = if !consistent {
                ProofStatus::BatchInconsistent
            } else if *listed_leaf != leaf {
                ProofStatus::Altered
            } else {
                ProofStatus::Intact
            };
            EventProof {
                event_id: access.event_id.clone(),
                leaf_sha256: leaf,
                collector_id: batch.collector_id.clone(),
                batch_seq: batch.batch_seq,
                batch_sha256: batch.batch_sha256.clone(),
                chain_sha256: batch.chain_sha256.clone(),
                status,
            }
        })
        .collect();
    let chain_heads: Vec<ChainHead> = clickhouse
        .query(include_str!("evidence_pack/chain_heads.sql"))
        .fetch_all()
        .await?;
    let intact = events
        .iter()
        .filter(|event| event.status == ProofStatus::Intact)
        .count();
    let statement = statement(events.len(), intact, &chain_heads);
    Ok(IntegrityProof {
        events,
        chain_heads,
        intact,
        statement,
    })
}

fn statement(total: usize, intact: usize, heads: &[ChainHead]) -> String {
    let heads_text = if heads.is_empty() {
        "no ingest chain exists yet".to_owned()
    } else {
        heads
            .iter()
            .map(|head| {
                format!(
                    "{} at batch {} (sha256 {})",
                    head.collector_id, head.batch_seq, head.chain_sha256
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let verdict = if intact == total {
        format!(
            "INTEGRITY: all {total} accesses in this pack are listed in the ingest hash chain with \
             leaf hashes recomputed from the stored rows, in batches consistent with their chain hashes."
        )
    } else {
        format!(
            "INTEGRITY WARNING: only {intact} of {total} accesses in this pack could be shown to be \
             exactly what was ingested; see the status of each."
        )
    };
    format!(
        "{verdict} Chain heads when the pack was made: {heads_text}. To check this pack, run \
         `careaudit verify`: it must report INTACT with these chain heads (or later ones), and \
         each access's leaf must appear in the batch quoted for it."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_names_the_heads_and_the_verdict() {
        let heads = [ChainHead {
            collector_id: "collector-1".into(),
            batch_seq: 7,
            chain_sha256: "ab".repeat(32),
        }];
        let good = statement(3, 3, &heads);
        assert!(good.starts_with("INTEGRITY: all 3 accesses"));
        assert!(good.contains("collector-1 at batch 7"));
        assert!(statement(3, 2, &heads).starts_with("INTEGRITY WARNING: only 2 of 3"));
        assert!(statement(0, 0, &[]).contains("no ingest chain exists yet"));
    }
}
