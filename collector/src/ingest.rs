//! The front of the ingest pipeline, shared by every feed: turns accepted input into storage
//! rows (with the compressed original payload and its digest) and refused input into quarantine
//! rows, and submits them for durable storage. A feed acknowledges its sender only after
//! `submit` returned `Ok`.

use crate::care_rows::CareRow;
use crate::fhir_audit_event::{map_audit_event, MappingError};
use crate::internal_events;
use crate::store::{compress_payload, AccessEventRow, QuarantineRow};
use crate::wal::{Wal, WalError};
use crate::wal_record::WalRecord;
use domain::{Channel, Provenance, Timestamp};

/// Where a piece of input came from, as the transport saw it.
#[derive(Debug, Clone)]
pub struct Source {
    pub node: String,
    pub channel: Channel,
    pub authenticated_as: String,
    pub client_address: String,
}

impl Source {
    pub fn provenance(&self, received_at: Timestamp) -> Provenance {
        Provenance {
            source_node: self.node.clone(),
            channel: self.channel,
            authenticated_as: self.authenticated_as.clone(),
            received_at,
        }
    }
}

/// One row for ClickHouse.
#[derive(Debug, Clone)]
pub enum IngestEntry {
    Event(Box<AccessEventRow>),
    Quarantine(Box<QuarantineRow>),
    Care(Box<CareRow>),
}

/// Why input could not be stored: the sender should retry later. Nothing was acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the collector is at capacity; retry after {retry_after_seconds} s")]
    Full { retry_after_seconds: u32 },
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

pub const RAW_FORMAT_FHIR_JSON: &str = "fhir+json";

/// A stable id for an event whose sender gave none: the same bytes always get the same id, so a
/// retried delivery is deduplicated like any other.
pub fn derived_event_id(raw: &[u8]) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6c1b_9a52_3f0e_4d8b_9d3c_2a7e_5b10_c4e1);
    format!("urn:uuid:{}", uuid::Uuid::new_v5(&NAMESPACE, raw))
}

/// Maps one FHIR AuditEvent (JSON bytes) to its storage row.
pub fn prepare_fhir_event(
    raw: &[u8],
    source: &Source,
    received_at: Timestamp,
) -> Result<AccessEventRow, MappingError> {
    let event = map_audit_event(raw, source.provenance(received_at), || {
        derived_event_id(raw)
    })?;
    let compressed = compress_payload(raw).map_err(|error| MappingError {
        issues: vec![crate::Issue::error(
            crate::IssueCode::Exception,
            "",
            format!("payload compression failed: {error}"),
        )],
        reason_code: "internal",
    })?;
    Ok(AccessEventRow::from_event(
        &event,
        RAW_FORMAT_FHIR_JSON,
        compressed,
        raw,
    ))
}

/// The quarantine row for refused input. `None` only if compression failed, which is logged.
pub fn quarantine_entry(
    source: &Source,
    reason_code: &'static str,
    reason: &str,
    raw_format: &str,
    raw: &[u8],
) -> Option<IngestEntry> {
    internal_events::event_rejected(source.channel.as_str(), reason_code);
    match QuarantineRow::new(source, reason_code, reason, raw_format, raw) {
        Ok(row) => Some(IngestEntry::Quarantine(Box::new(row))),
        Err(error) => {
            tracing::warn!(%error, reason_code, "could not compress refused input for quarantine");
            None
        }
    }
}

/// The front door of durable storage: entries are encoded and appended to the write-ahead log
/// (written and fsynced, grouped with concurrent appends) before `submit` returns; the shipper
/// moves them to ClickHouse afterwards.
#[derive(Clone)]
pub struct Ingest {
    wal: Wal,
}

/// What a sender should wait before retrying when the log is full.
const RETRY_AFTER_SECONDS: u32 = 2;

impl Ingest {
    pub fn new(wal: Wal) -> Self {
        Self { wal }
    }

    /// Makes every entry durable; returns once they are in the log on disk.
    pub async fn submit(
        &self,
        channel: Channel,
        entries: Vec<IngestEntry>,
    ) -> Result<(), IngestError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut events = 0_u64;
        let mut quarantined = 0_u64;
        let mut records = Vec::with_capacity(entries.len());
        for entry in entries {
            let record = match entry {
                IngestEntry::Event(row) => {
                    events += 1;
                    WalRecord::Event(*row)
                }
                IngestEntry::Quarantine(row) => {
                    quarantined += 1;
                    WalRecord::Quarantine(*row)
                }
                IngestEntry::Care(row) => WalRecord::Care(*row),
            };
            let encoded = record.encode().map_err(|error| {
                IngestError::Unavailable(format!("encoding a log record failed: {error}"))
            })?;
            records.push(encoded);
        }
        let count = records.len() as u64;
        match self.wal.append(records).await {
            Ok(_) => {
                internal_events::logged(count);
                if events > 0 {
                    internal_events::events_accepted(channel.as_str(), events);
                }
                if quarantined > 0 {
                    internal_events::quarantined(quarantined);
                }
                Ok(())
            }
            Err(WalError::Full { .. }) => {
                internal_events::backpressure(channel.as_str());
                Err(IngestError::Full {
                    retry_after_seconds: RETRY_AFTER_SECONDS,
                })
            }
            Err(error) => Err(IngestError::Unavailable(error.to_string())),
        }
    }

    /// Submits, waiting while the log is full or storage is failing, for feeds that cannot
    /// answer "retry later" (syslog: the connection stops being read, so TCP pushes back on the
    /// sender; MLLP: the ACK waits). Gives up at shutdown or after `give_up_after`.
    pub async fn submit_patiently(
        &self,
        channel: Channel,
        entries: Vec<IngestEntry>,
        shutdown: &tokio_util::sync::CancellationToken,
        give_up_after: Option<std::time::Duration>,
    ) -> Result<(), IngestError> {
        if entries.is_empty() {
            return Ok(());
        }
        let deadline = give_up_after.map(|limit| tokio::time::Instant::now() + limit);
        let mut delay = std::time::Duration::from_millis(50);
        loop {
            let error = match self.submit(channel, entries.clone()).await {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            if shutdown.is_cancelled()
                || deadline.is_some_and(|deadline| tokio::time::Instant::now() >= deadline)
            {
                return Err(error);
            }
            let pause = async {
                match &error {
                    IngestError::Full { .. } => self.wait_for_space().await,
                    IngestError::Unavailable(detail) => {
                        tracing::warn!(channel = channel.as_str(), error = %detail, "input paused: storage unavailable");
                        tokio::time::sleep(delay).await;
                    }
                }
            };
            let until_deadline = async {
                match deadline {
                    Some(deadline) => tokio::time::sleep_until(deadline).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = pause => {}
                () = until_deadline => {}
                () = shutdown.cancelled() => {}
            }
            delay = (delay * 2).min(std::time::Duration::from_secs(5));
        }
    }

    /// Resolves when the log has room again (syslog pauses reading here instead of failing).
    pub async fn wait_for_space(&self) {
        self.wal.wait_for_space(64 * 1024).await;
    }

    pub fn wal_stats(&self) -> crate::wal::WalStats {
        self.wal.stats()
    }
}
