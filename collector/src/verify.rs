//! `careaudit verify`: proves that the stored audit trail is what the collector ingested.
//!
//! 1. The chain: per collector, batches are numbered 1, 2, 3, ... without gaps, each batch hash
//!    is the hash of its listed leaves, and each chain hash covers the previous one.
//! 2. The entries: a merge join (both sides sorted by id, so memory stays flat at any size) of
//!    the leaves the batches list against leaves recomputed from the stored rows. An entry the
//!    ledger lists but the store lacks was removed; a stored row whose leaf no batch lists was
//!    altered or inserted around the collector.
//! 3. The payloads: every stored payload is decompressed and its SHA-256 compared with the
//!    digest stored beside it (and, through the leaf, with the ledger).

use crate::integrity::{
    batch_hash, chain_hash, event_leaf_parts, quarantine_leaf_parts, BatchRecord, GENESIS,
    KIND_EVENT, KIND_QUARANTINE,
};
use clickhouse::Row;
use serde::Deserialize;
use std::cmp::Ordering;

/// What verification found. `is_intact` is the verdict.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub batches: u64,
    pub events_checked: u64,
    pub quarantine_checked: u64,
    pub payloads_checked: u64,
    /// Per collector instance: the newest chain hash (quote it in evidence packs).
    pub chain_heads: Vec<(String, u64, String)>,
    pub problems: Vec<String>,
    /// Ids delivered more than once with different content: the store keeps the latest.
    pub superseded: u64,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, text: String) {
        const MAX_LISTED: usize = 200;
        if self.problems.len() < MAX_LISTED {
            self.problems.push(text);
        } else if self.problems.len() == MAX_LISTED {
            self.problems
                .push("... more problems not listed".to_owned());
        }
    }
}

pub async fn verify(client: &clickhouse::Client) -> Result<VerifyReport, clickhouse::error::Error> {
    let mut report = VerifyReport::default();
    verify_chain(client, &mut report).await?;
    verify_entries(client, &mut report, KIND_EVENT).await?;
    verify_entries(client, &mut report, KIND_QUARANTINE).await?;
    verify_payloads(client, &mut report).await?;
    Ok(report)
}

async fn verify_chain(
    client: &clickhouse::Client,
    report: &mut VerifyReport,
) -> Result<(), clickhouse::error::Error> {
    let mut cursor = client
        .query("SELECT ?fields FROM ingest_batches FINAL ORDER BY collector_id, batch_seq")
        .fetch::<BatchRecord>()?;
    let mut current: Option<(String, u64, String)> = None;
    while let Some(batch) = cursor.next().await? {
        report.batches += 1;
        let (expected_seq, expected_prev) = match &current {
            Some((collector, seq, chain)) if *collector == batch.collector_id => {
                (seq + 1, chain.clone())
            }
            previous => {
                if let Some(head) = previous.clone() {
                    report.chain_heads.push(head);
                }
                (1, GENESIS.to_owned())
            }
        };
        let name = format!("collector {} batch {}", batch.collector_id, batch.batch_seq);
        if batch.batch_seq != expected_seq {
            report.problem(format!("{name}: expected batch {expected_seq} next; batches {expected_seq} to {} are missing", batch.batch_seq.saturating_sub(1)));
        }
        if batch.prev_chain_sha256 != expected_prev {
            report.problem(format!("{name}: does not chain to the previous batch"));
        }
        let lengths_agree = batch.entry_ids.len() == batch.entry_leaves.len()
            && batch.entry_ids.len() == batch.entry_kinds.len();
        if !lengths_agree || batch_hash(&batch.entry_leaves) != batch.batch_sha256 {
            report.problem(format!(
                "{name}: its entry list does not match its batch hash"
            ));
        }
        if chain_hash(
            &batch.prev_chain_sha256,
            batch.batch_seq,
            &batch.batch_sha256,
        ) != batch.chain_sha256
        {
            report.problem(format!("{name}: chain hash does not match"));
        }
        current = Some((batch.collector_id, batch.batch_seq, batch.chain_sha256));
    }
    if let Some(head) = current {
        report.chain_heads.push(head);
    }
    Ok(())
}

#[derive(Debug, Row, Deserialize)]
struct LedgerEntry {
    entry_id: String,
    entry_leaf: String,
}

#[derive(Debug, Row, Deserialize)]
struct StoredEvent {
    event_id: String,
    payload_sha256: String,
    patient_id: String,
    user_id: String,
    occurred_at: u32,
    occurred_ms: u16,
    received_at: u32,
    received_ms: u16,
}

#[derive(Debug, Row, Deserialize)]
struct StoredQuarantine {
    quarantine_id: String,
    payload_sha256: String,
    reason_code: String,
    received_at: u32,
    received_ms: u16,
}

/// Reads a sorted cursor one id at a time: the id and every leaf with that id.
struct Grouped<T: clickhouse::RowOwned + clickhouse::RowRead> {
    cursor: clickhouse::query::RowCursor<T>,
    peeked: Option<(String, String)>,
    to_pair: fn(T) -> (String, String),
}

impl<T: clickhouse::RowOwned + clickhouse::RowRead> Grouped<T> {
    async fn next_group(
        &mut self,
    ) -> Result<Option<(String, Vec<String>)>, clickhouse::error::Error> {
        let first = match self.peeked.take() {
            Some(pair) => pair,
            None => match self.cursor.next().await? {
                Some(row) => (self.to_pair)(row),
                None => return Ok(None),
            },
        };
        let (id, leaf) = first;
        let mut leaves = vec![leaf];
        while let Some(row) = self.cursor.next().await? {
            let (next_id, next_leaf) = (self.to_pair)(row);
            if next_id != id {
                self.peeked = Some((next_id, next_leaf));
                break;
            }
            leaves.push(next_leaf);
        }
        Ok(Some((id, leaves)))
    }
}

async fn verify_entries(
    client: &clickhouse::Client,
    report: &mut VerifyReport,
    kind: u8,
) -> Result<(), clickhouse::error::Error> {
    let mut ledger = Grouped {
        cursor: client
            .query(include_str!("verify/ledger_entries.sql"))
            .bind(kind)
            .fetch::<LedgerEntry>()?,
        peeked: None,
        to_pair: |row: LedgerEntry| (row.entry_id, row.entry_leaf),
    };
    let (label, stored) = if kind == KIND_EVENT {
        let grouped = Grouped {
            cursor: client
                .query(include_str!("verify/stored_events.sql"))
                .fetch::<StoredEvent>()?,
            peeked: None,
            to_pair: |row: StoredEvent| {
                let leaf = event_leaf_parts(
                    &row.event_id,
                    &row.payload_sha256,
                    &row.patient_id,
                    &row.user_id,
                    (row.occurred_at, row.occurred_ms),
                    (row.received_at, row.received_ms),
                );
                (row.event_id, leaf)
            },
        };
        ("event", StoredSide::Events(grouped))
    } else {
        let grouped = Grouped {
            cursor: client
                .query(include_str!("verify/stored_quarantine.sql"))
                .fetch::<StoredQuarantine>()?,
            peeked: None,
            to_pair: |row: StoredQuarantine| {
                let leaf = quarantine_leaf_parts(
                    &row.quarantine_id,
                    &row.payload_sha256,
                    &row.reason_code,
                    (row.received_at, row.received_ms),
                );
                (row.quarantine_id, leaf)
            },
        };
        ("quarantined entry", StoredSide::Quarantine(grouped))
    };
    let mut stored = stored;
    let mut expected = ledger.next_group().await?;
    let mut actual = stored.next_group().await?;
    loop {
        let order = match (&expected, &actual) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((expected_id, _)), Some((actual_id, _))) => expected_id.cmp(actual_id),
        };
        match order {
            Ordering::Less => {
                if let Some((id, _)) = &expected {
                    report.problem(format!("{label} {id} was ingested but is no longer stored"));
                }
                expected = ledger.next_group().await?;
            }
            Ordering::Greater => {
                if let Some((id, _)) = &actual {
                    report.problem(format!(
                        "{label} {id} is stored but no ingested batch lists it"
                    ));
                }
                actual = stored.next_group().await?;
            }
            Ordering::Equal => {
                if let (Some((id, mut listed)), Some((_, found))) = (expected.take(), actual.take())
                {
                    if kind == KIND_EVENT {
                        report.events_checked += 1;
                    } else {
                        report.quarantine_checked += 1;
                    }
                    listed.dedup();
                    if found.iter().any(|leaf| !listed.contains(leaf)) {
                        report.problem(format!("{label} {id} differs from what was ingested"));
                    } else if listed.len() > 1 {
                        report.superseded += (listed.len() - 1) as u64;
                    }
                }
                expected = ledger.next_group().await?;
                actual = stored.next_group().await?;
            }
        }
    }
    Ok(())
}

enum StoredSide {
    Events(Grouped<StoredEvent>),
    Quarantine(Grouped<StoredQuarantine>),
}

impl StoredSide {
    async fn next_group(
        &mut self,
    ) -> Result<Option<(String, Vec<String>)>, clickhouse::error::Error> {
        match self {
            Self::Events(grouped) => grouped.next_group().await,
            Self::Quarantine(grouped) => grouped.next_group().await,
        }
    }
}

#[derive(Debug, Row, Deserialize)]
struct StoredPayload {
    id: String,
    payload_sha256: String,
    #[serde(with = "serde_bytes")]
    raw_payload: Vec<u8>,
}

async fn verify_payloads(
    client: &clickhouse::Client,
    report: &mut VerifyReport,
) -> Result<(), clickhouse::error::Error> {
    for (label, sql) in [
        (
            "event",
            "SELECT event_id AS id, payload_sha256, raw_payload FROM access_events",
        ),
        (
            "quarantined entry",
            "SELECT quarantine_id AS id, payload_sha256, raw_payload FROM quarantine",
        ),
    ] {
        let mut cursor = client.query(sql).fetch::<StoredPayload>()?;
        while let Some(row) = cursor.next().await? {
            report.payloads_checked += 1;
            let intact = crate::store::decompress_payload(&row.raw_payload)
                .map(|raw| crate::store::sha256_hex(&raw) == row.payload_sha256)
                .unwrap_or(false);
            if !intact {
                report.problem(format!(
                    "{label} {}: stored payload does not match its digest",
                    row.id
                ));
            }
        }
    }
    Ok(())
}
