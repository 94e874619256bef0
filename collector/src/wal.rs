//! The collector's write-ahead log: the durable buffer between acknowledging an event and
//! storing it in ClickHouse. An event is acknowledged only after [`Wal::append`] returned, which
//! is after its record is written and fsynced here; a separate shipper drains the log through
//! [`WalReader`] and checkpoints what ClickHouse has accepted. So neither a ClickHouse or
//! PostgreSQL outage nor a crash of careaudit loses an acknowledged event: the log grows (up to
//! [`WalConfig::max_bytes`], then appends fail with [`WalError::Full`]) and is replayed on open.
//!
//! Layout of the directory (formats in `record.rs` and `checkpoint.rs`):
//! - `<first lsn, 20 digits>.wal` — segments: an 8-byte magic, then records back to back, each
//!   `payload length u32 LE | CRC32C u32 LE | LSN u64 LE | payload`. LSNs are consecutive within
//!   and across segments; the name of a segment is the LSN of its first record.
//! - `checkpoint` — the shipper's last durable `(shipped_through, state)`, replaced atomically.
//! - `lock` — held with `flock` while the log is open, so a second process cannot write to it.
//!
//! Group commit: one writer thread owns the active segment. Appenders queue their records with a
//! reply channel; the writer takes everything queued, writes it with one `write` and one
//! `fdatasync`, and only then answers all of them. Many concurrent appenders thus share one
//! fsync, which is what makes ≥100k durable appends a second possible on a small machine.
//!
//! Guarantees: an `Ok(lsn)` from `append` means the records are on disk and will be handed to
//! the reader (after a crash too) until a checkpoint covers them. The reverse does not hold: a
//! record whose append failed, was cancelled or crashed mid-flight may still have been written
//! and will then be shipped; senders retry unacknowledged events and ClickHouse collapses the
//! duplicates by event id (see ARCHITECTURE.md). Durability against power loss rests on
//! `fdatasync` and the directory fsyncs; the tests here simulate process crashes only.

mod checkpoint;
mod reader;
mod record;
mod recovery;
mod segment;
mod shared;
mod writer;

#[cfg(test)]
mod recovery_tests;
#[cfg(test)]
mod tests;

pub use reader::WalReader;

use shared::{Reservation, Shared};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use writer::{AppendRequest, WriterCommand};

/// The sequence number of a record: 1-based, strictly increasing, never reused for an
/// acknowledged record.
pub type Lsn = u64;

/// How many append calls may wait for the writer before appenders are held back. The bound on
/// memory is [`WalConfig::max_bytes`] (queued records count against it); this only keeps the
/// queue itself small.
const WRITER_QUEUE_REQUESTS: usize = 1024;

/// Where the log lives and how large it may grow.
#[derive(Debug, Clone)]
pub struct WalConfig {
    /// The log's own directory (created if missing); nothing else should write there.
    pub dir: PathBuf,
    /// A segment is sealed and a new one started once the next group would take it past this
    /// size. One append larger than this still goes into a single segment.
    pub segment_bytes: u64,
    /// The bound on unshipped bytes (records not yet covered by a checkpoint, plus appends on
    /// their way to disk): an append that would exceed it fails with [`WalError::Full`]. The
    /// files on disk can exceed it by up to about two segments, because space is returned per
    /// record but files are deleted per segment.
    pub max_bytes: u64,
}

/// Why a log operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WalError {
    #[error("wal io error: {operation} {}: {source}", path.display())]
    Io {
        operation: &'static str,
        path: PathBuf,
        source: Arc<std::io::Error>,
    },
    #[error("wal is full: {unshipped_bytes} unshipped bytes plus {requested_bytes} requested exceed the bound of {max_bytes}")]
    Full {
        requested_bytes: u64,
        unshipped_bytes: u64,
        max_bytes: u64,
    },
    #[error("append of {bytes} bytes can never fit the wal bound of {max_bytes} bytes")]
    AppendTooLarge { bytes: u64, max_bytes: u64 },
    #[error("record of {bytes} bytes is larger than a record can be ({max_bytes})")]
    RecordTooLarge { bytes: usize, max_bytes: usize },
    #[error("append without records")]
    EmptyAppend,
    #[error("checkpoint state of {bytes} bytes is larger than 4 GiB")]
    StateTooLarge { bytes: usize },
    #[error("wal corrupt: {} at offset {offset}: {reason}", path.display())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error("wal directory {} is in use by another process or handle", .0.display())]
    Locked(PathBuf),
    #[error("invalid wal configuration: {0}")]
    InvalidConfig(String),
    #[error("wal is closed")]
    Closed,
    #[error("wal writer stopped after an earlier failure (reopen to recover): {0}")]
    WriterFailed(Box<WalError>),
    #[error("checkpoint through {requested} is outside what the reader may checkpoint ({checkpointed}..={last_read})")]
    CheckpointOutOfRange {
        requested: Lsn,
        checkpointed: Lsn,
        last_read: Lsn,
    },
    #[error("cannot seek after {requested}: the reader can go back only to {checkpointed}..={last_read}")]
    SeekOutOfRange {
        requested: Lsn,
        checkpointed: Lsn,
        last_read: Lsn,
    },
}

impl WalError {
    /// A closure for `map_err` that names the operation and file of an IO error.
    fn io(
        operation: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            operation,
            path,
            source: Arc::new(source),
        }
    }

    /// A blocking-pool task that panicked or was cancelled by a runtime shutdown.
    fn blocking_task_failed(operation: &'static str, join_error: &tokio::task::JoinError) -> Self {
        Self::Io {
            operation,
            path: PathBuf::new(),
            source: Arc::new(std::io::Error::other(join_error.to_string())),
        }
    }
}

/// A snapshot of the log's counters, for metrics and health checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalStats {
    /// The size of all segment files.
    pub bytes_on_disk: u64,
    /// Bytes counted against [`WalConfig::max_bytes`]: durable records after the checkpoint and
    /// appends on their way to disk.
    pub unshipped_bytes: u64,
    pub segments: usize,
    /// The last durable LSN (0 when the log has never held a record).
    pub last_appended_lsn: Lsn,
    pub last_checkpointed_lsn: Lsn,
    /// `fsync`/`fdatasync` calls on segments, the directory and the checkpoint since open.
    pub fsyncs: u64,
    /// Successful `append` calls since open.
    pub appends: u64,
    /// Records in those appends.
    pub records_appended: u64,
}

/// What [`Wal::open`] found and repaired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Segments kept (including the active one).
    pub segments: usize,
    /// Segments deleted because a checkpoint already covered them (a crash between a checkpoint
    /// and the deletion leaves them behind).
    pub deleted_shipped_segments: usize,
    /// Records after the checkpoint: they will be handed to the reader again.
    pub unshipped_records: u64,
    pub unshipped_bytes: u64,
    pub checkpointed_lsn: Lsn,
    /// The LSN the next appended record gets.
    pub next_lsn: Lsn,
    /// A partly written group at the end of the last segment, cut off. Nothing in it was
    /// acknowledged: the writer answers only after the fsync that would have completed it.
    pub torn_tail: Option<TornTail>,
}

/// The cut-off end of the last segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    pub segment: PathBuf,
    /// Where the segment now ends.
    pub offset: u64,
    pub dropped_bytes: u64,
    /// What was wrong with the first record that did not survive.
    pub reason: String,
}

/// The append side of the log: cheap to clone, shared by every ingest task.
#[derive(Clone)]
pub struct Wal {
    shared: Arc<Shared>,
    commands: mpsc::Sender<WriterCommand>,
}

impl Wal {
    /// Opens the log in `config.dir`, creating it if needed, and recovers: scans every segment
    /// after the checkpoint and checks every record's CRC; cuts off a torn tail of the last
    /// segment (reported in [`RecoveryReport::torn_tail`]); fails with [`WalError::Corrupt`] on
    /// damage anywhere else; deletes segments the checkpoint covers; resumes LSNs after the
    /// highest one on disk or checkpointed. The reader starts right after the checkpoint.
    pub async fn open(config: WalConfig) -> Result<(Wal, WalReader, RecoveryReport), WalError> {
        validate_config(&config)?;
        let recovered = tokio::task::spawn_blocking(move || recovery::recover(config))
            .await
            .map_err(|join_error| WalError::blocking_task_failed("recover", &join_error))??;
        let (commands, command_receiver) = mpsc::channel(WRITER_QUEUE_REQUESTS);
        writer::spawn(
            recovered.writer,
            Arc::clone(&recovered.shared),
            command_receiver,
        )?;
        let reader = WalReader::new(
            Arc::clone(&recovered.shared),
            recovered.report.checkpointed_lsn,
            recovered.checkpoint_state,
        );
        let wal = Wal {
            shared: recovered.shared,
            commands,
        };
        Ok((wal, reader, recovered.report))
    }

    /// Appends `records` as one group and returns the LSN of the last of them once all are
    /// written and fsynced. All or nothing: on `Err` none of them was acknowledged (though, see
    /// the module doc, they may still reach disk if the failure came after the write). Fails
    /// with [`WalError::Full`] without writing anything when the unshipped bytes would exceed
    /// the bound. Dropping the future after it started may still let the records be written.
    pub async fn append(&self, records: Vec<Vec<u8>>) -> Result<Lsn, WalError> {
        if records.is_empty() {
            return Err(WalError::EmptyAppend);
        }
        let mut bytes = 0u64;
        for payload in &records {
            if payload.len() > record::MAX_PAYLOAD_BYTES {
                return Err(WalError::RecordTooLarge {
                    bytes: payload.len(),
                    max_bytes: record::MAX_PAYLOAD_BYTES,
                });
            }
            bytes += record::encoded_len(payload.len());
        }
        if self.shared.closing.load(Ordering::Acquire) {
            return Err(WalError::Closed);
        }
        let reservation = Reservation::try_new(&self.shared, bytes)?;
        let (reply, answer) = oneshot::channel();
        let request = AppendRequest {
            records,
            reservation,
            reply,
        };
        if self
            .commands
            .send(WriterCommand::Append(request))
            .await
            .is_err()
        {
            return Err(WalError::Closed);
        }
        // A dropped reply means the writer stopped before taking the request: not written.
        answer.await.unwrap_or(Err(WalError::Closed))
    }

    /// Resolves once `bytes` more would fit under the bound: the syslog listener waits here
    /// instead of failing. Another appender may take the space first, so the append that
    /// follows can still meet [`WalError::Full`] and should wait again. A request larger than
    /// the bound waits until nothing is unshipped (its append then fails with
    /// [`WalError::AppendTooLarge`]).
    pub async fn wait_for_space(&self, bytes: u64) {
        let bytes = bytes.min(self.shared.max_bytes);
        loop {
            // Register for the wake-up before looking, so a checkpoint between the look and
            // the wait is not missed.
            let space_freed = self.shared.space_freed.notified();
            tokio::pin!(space_freed);
            space_freed.as_mut().enable();
            if self.shared.has_room_for(bytes) {
                return;
            }
            space_freed.await;
        }
    }

    pub fn stats(&self) -> WalStats {
        self.shared.stats()
    }

    /// Graceful shutdown: writes and fsyncs every append queued before this call, then stops
    /// the writer and releases the directory lock once every handle is dropped. Later appends
    /// fail with [`WalError::Closed`]; the reader keeps working, so the shipper can drain.
    pub async fn close(&self) {
        self.shared.closing.store(true, Ordering::Release);
        let (reply, stopped) = oneshot::channel();
        if self
            .commands
            .send(WriterCommand::Close(reply))
            .await
            .is_err()
        {
            return;
        }
        // An error here means the writer is already gone, which is what close wants.
        let _ = stopped.await;
    }
}

fn validate_config(config: &WalConfig) -> Result<(), WalError> {
    if config.segment_bytes <= record::SEGMENT_HEADER_BYTES {
        return Err(WalError::InvalidConfig(format!(
            "segment_bytes must be larger than the {}-byte segment header",
            record::SEGMENT_HEADER_BYTES
        )));
    }
    if config.max_bytes == 0 {
        return Err(WalError::InvalidConfig(
            "max_bytes must be positive".to_owned(),
        ));
    }
    Ok(())
}
