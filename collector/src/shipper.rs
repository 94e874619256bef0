//! The shipper: moves what the write-ahead log holds into ClickHouse, in batches bounded by
//! size and time, and advances the log's checkpoint only after ClickHouse acknowledged the
//! batch. Each batch extends the integrity chain (`ingest_batches`).
//!
//! Exactly-once in effect: before inserting, the shipper durably records the batch it is about
//! to ship (its number and LSN range: the *intent*). After a crash it re-ships exactly that
//! batch, so the repeated rows are identical and collapse in the ReplacingMergeTree tables, and
//! the chain stays the same.

use crate::care_rows::CareRow;
use crate::integrity::{
    batch_hash, care_leaf, chain_hash, event_leaf, quarantine_leaf, BatchRecord, GENESIS,
    KIND_CARE, KIND_EVENT, KIND_QUARANTINE,
};
use crate::internal_events;
use crate::store::{AccessEventRow, EventStore, QuarantineRow};
use crate::wal::{Lsn, WalReader};
use crate::wal_record::WalRecord;
use domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct ShipperLimits {
    pub max_batch_records: usize,
    pub max_batch_bytes: usize,
    /// How long a batch may wait to fill before it is shipped anyway.
    pub max_batch_wait: Duration,
}

/// The shipper's durable state, kept in the log's checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct ShipperState {
    batch_seq: u64,
    chain_sha256: String,
    intent: Option<Intent>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
struct Intent {
    batch_seq: u64,
    first_lsn: Lsn,
    last_lsn: Lsn,
    /// When the batch was first attempted (epoch seconds), so a replay writes the same row.
    shipped_at: u32,
}

impl ShipperState {
    fn decode(blob: &[u8]) -> anyhow::Result<Self> {
        if blob.is_empty() {
            return Ok(Self {
                batch_seq: 0,
                chain_sha256: GENESIS.to_owned(),
                intent: None,
            });
        }
        Ok(serde_json::from_slice(blob)?)
    }

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

pub struct Shipper {
    pub reader: WalReader,
    pub store: EventStore,
    pub collector_id: String,
    pub limits: ShipperLimits,
}

impl Shipper {
    /// Ships until `drain` is cancelled and the log holds nothing more. (`next_batch` is not
    /// raced against the token: an abandoned read could skip records, so the loop only checks
    /// the token between bounded waits.)
    pub async fn run(mut self, drain: tokio_util::sync::CancellationToken) -> anyhow::Result<()> {
        let shutdown = drain;
        let (_, blob) = self.reader.checkpoint_state();
        let mut state = ShipperState::decode(&blob)?;
        if let Some(intent) = state.intent {
            tracing::info!(
                batch_seq = intent.batch_seq,
                first_lsn = intent.first_lsn,
                last_lsn = intent.last_lsn,
                "re-shipping the batch in flight before the restart"
            );
            self.reader.seek_after(intent.first_lsn.saturating_sub(1))?;
            let records = self.read_exactly(intent).await?;
            self.ship(&mut state, intent, records, &shutdown).await?;
        }
        loop {
            let draining = shutdown.is_cancelled();
            let wait = if draining {
                Duration::from_millis(20)
            } else {
                self.limits.max_batch_wait
            };
            let records = self
                .reader
                .next_batch(
                    self.limits.max_batch_records,
                    self.limits.max_batch_bytes,
                    wait,
                )
                .await?;
            let (Some((first_lsn, _)), Some((last_lsn, _))) = (records.first(), records.last())
            else {
                if draining {
                    return Ok(());
                }
                continue;
            };
            let (shipped_at, _) = Timestamp::now().to_seconds_and_millis();
            let intent = Intent {
                batch_seq: state.batch_seq + 1,
                first_lsn: *first_lsn,
                last_lsn: *last_lsn,
                shipped_at,
            };
            state.intent = Some(intent);
            self.reader.save_state(state.encode()).await?;
            self.ship(&mut state, intent, records, &shutdown).await?;
        }
    }

    async fn read_exactly(&mut self, intent: Intent) -> anyhow::Result<Vec<(Lsn, Vec<u8>)>> {
        let wanted = usize::try_from(intent.last_lsn - intent.first_lsn + 1)?;
        let mut records = Vec::with_capacity(wanted);
        while records.len() < wanted {
            let more = self
                .reader
                .next_batch(wanted - records.len(), usize::MAX, Duration::from_secs(1))
                .await?;
            if more.is_empty() {
                anyhow::bail!(
                    "the write-ahead log lacks records {}..={} of the batch in flight",
                    intent.first_lsn,
                    intent.last_lsn
                );
            }
            records.extend(more);
        }
        Ok(records)
    }

    /// Inserts one batch (retrying until ClickHouse takes it or shutdown), then checkpoints.
    async fn ship(
        &mut self,
        state: &mut ShipperState,
        intent: Intent,
        records: Vec<(Lsn, Vec<u8>)>,
        shutdown: &tokio_util::sync::CancellationToken,
    ) -> anyhow::Result<()> {
        let mut events: Vec<AccessEventRow> = Vec::new();
        let mut quarantine: Vec<QuarantineRow> = Vec::new();
        let mut care: Vec<CareRow> = Vec::new();
        let mut batch = BatchRecord {
            collector_id: self.collector_id.clone(),
            batch_seq: intent.batch_seq,
            first_lsn: intent.first_lsn,
            last_lsn: intent.last_lsn,
            shipped_at: intent.shipped_at,
            entry_kinds: Vec::with_capacity(records.len()),
            entry_ids: Vec::with_capacity(records.len()),
            entry_leaves: Vec::with_capacity(records.len()),
            batch_sha256: String::new(),
            prev_chain_sha256: state.chain_sha256.clone(),
            chain_sha256: String::new(),
        };
        let mut oldest_received_ms = i64::MAX;
        for (lsn, bytes) in &records {
            match WalRecord::decode(bytes) {
                Ok(WalRecord::Event(row)) => {
                    batch.entry_kinds.push(KIND_EVENT);
                    batch.entry_ids.push(row.event_id.clone());
                    batch.entry_leaves.push(event_leaf(&row));
                    oldest_received_ms = oldest_received_ms.min(
                        Timestamp::from_seconds_and_millis(row.received_at, row.received_ms)
                            .as_millis(),
                    );
                    events.push(row);
                }
                Ok(WalRecord::Quarantine(row)) => {
                    batch.entry_kinds.push(KIND_QUARANTINE);
                    batch.entry_ids.push(row.quarantine_id.clone());
                    batch.entry_leaves.push(quarantine_leaf(&row));
                    quarantine.push(row);
                }
                Ok(WalRecord::Care(row)) => {
                    batch.entry_kinds.push(KIND_CARE);
                    batch.entry_ids.push(row.key());
                    batch.entry_leaves.push(care_leaf(&row, bytes));
                    care.push(row);
                }
                Err(error) => {
                    anyhow::bail!("write-ahead log record {lsn} cannot be decoded: {error}")
                }
            }
        }
        batch.batch_sha256 = batch_hash(&batch.entry_leaves);
        batch.chain_sha256 = chain_hash(
            &batch.prev_chain_sha256,
            batch.batch_seq,
            &batch.batch_sha256,
        );

        let mut attempt: u32 = 0;
        loop {
            let outcome = async {
                self.store.insert_events(&events).await?;
                self.store.insert_quarantine(&quarantine).await?;
                self.store.insert_care(&care).await?;
                self.store.insert_batch(&batch).await
            }
            .await;
            match outcome {
                Ok(()) => break,
                Err(error) => {
                    internal_events::ship_failed(&error);
                    attempt = attempt.saturating_add(1);
                    let backoff = Duration::from_millis((100_u64 << attempt.min(6)).min(5_000));
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = shutdown.cancelled() => anyhow::bail!("shutdown while ClickHouse was unavailable; batch {} stays in the log", intent.batch_seq),
                    }
                }
            }
        }
        state.batch_seq = intent.batch_seq;
        state.chain_sha256 = batch.chain_sha256.clone();
        state.intent = None;
        self.reader
            .checkpoint(intent.last_lsn, state.encode())
            .await?;
        let lag_seconds = if oldest_received_ms == i64::MAX {
            0.0
        } else {
            (Timestamp::now().as_millis() - oldest_received_ms).max(0) as f64 / 1000.0
        };
        internal_events::shipped(events.len() as u64, quarantine.len() as u64, lag_seconds);
        Ok(())
    }
}
