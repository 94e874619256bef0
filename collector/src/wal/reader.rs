//! The shipper's side of the log: reads records in LSN order (only those already fsynced), and
//! records durably how far ClickHouse has accepted them, which returns their space to the
//! appenders and lets fully shipped segments be deleted.
//!
//! Reading keeps one buffered file open and moves to the next segment at its end, so a batch
//! costs a few large reads, not one open per record. File reads run on the blocking pool.

use super::checkpoint::{self, Checkpoint};
use super::segment::{RecordRead, SegmentCursor};
use super::shared::Shared;
use super::{Lsn, WalError};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The single reader of the log (the shipper).
pub struct WalReader {
    shared: Arc<Shared>,
    durable_lsn: watch::Receiver<Lsn>,
    /// The last durable checkpoint.
    checkpoint: Checkpoint,
    /// The LSN the next batch starts with.
    next_lsn: Lsn,
    /// Positioned at `next_lsn`; `None` when it must be (re)opened there, as after a seek or a
    /// cancelled read.
    cursor: Option<SegmentCursor>,
    /// Bytes on disk of the records read since the checkpoint, counted from open: entry `i` is
    /// the running total after record `checkpoint + 1 + i`, and there is exactly one entry per
    /// LSN in `checkpoint + 1 ..= next_lsn - 1`. A checkpoint returns the
    /// difference to the appenders; kept per record because a checkpoint may stop inside a
    /// batch (8 bytes per read record that is not yet checkpointed).
    read_positions: VecDeque<u64>,
    /// The running total at the checkpoint.
    checkpoint_position: u64,
}

impl WalReader {
    pub(super) fn new(shared: Arc<Shared>, checkpointed_lsn: Lsn, state: Vec<u8>) -> Self {
        Self {
            durable_lsn: shared.durable_lsn.subscribe(),
            shared,
            checkpoint: Checkpoint {
                shipped_through: checkpointed_lsn,
                state,
            },
            next_lsn: checkpointed_lsn + 1,
            cursor: None,
            read_positions: VecDeque::new(),
            checkpoint_position: 0,
        }
    }

    /// Up to `max_records` records after the last one returned (right after open: after the
    /// checkpoint), together holding at most `max_bytes` of payload — but always at least one
    /// record when any is ready. Waits up to `max_wait` for the first; an empty `Vec` means
    /// none became durable in time. Cancel-safe: a dropped call returns nothing and the next
    /// call starts at the same record.
    pub async fn next_batch(
        &mut self,
        max_records: usize,
        max_bytes: usize,
        max_wait: Duration,
    ) -> Result<Vec<(Lsn, Vec<u8>)>, WalError> {
        if max_records == 0 {
            return Ok(Vec::new());
        }
        let deadline = tokio::time::Instant::now() + max_wait;
        let durable_lsn = loop {
            let durable_lsn = *self.durable_lsn.borrow_and_update();
            if durable_lsn >= self.next_lsn {
                break durable_lsn;
            }
            // The sender lives in `Shared`, which this reader holds, so `changed` only ends
            // by a change or the deadline.
            if tokio::time::timeout_at(deadline, self.durable_lsn.changed())
                .await
                .is_err()
            {
                return Ok(Vec::new());
            }
        };
        let through_lsn = durable_lsn.min(self.next_lsn.saturating_add(max_records as u64 - 1));
        let shared = Arc::clone(&self.shared);
        let cursor = self.cursor.take();
        let next_lsn = self.next_lsn;
        let read = tokio::task::spawn_blocking(move || {
            read_batch(&shared, cursor, next_lsn, through_lsn, max_bytes)
        })
        .await
        .map_err(|join_error| WalError::blocking_task_failed("read", &join_error))??;
        self.cursor = Some(read.cursor);
        let mut position = self.read_position();
        for encoded_bytes in read.encoded_bytes {
            position += encoded_bytes;
            self.read_positions.push_back(position);
        }
        self.next_lsn += read.records.len() as u64;
        Ok(read.records)
    }

    /// Durably records that everything through `shipped_through` is in ClickHouse, with the
    /// shipper's `state`; then returns those records' space to the appenders and deletes the
    /// segments that hold nothing later. `shipped_through` must lie between the current
    /// checkpoint and the last record returned. If the call is dropped, the checkpoint may or
    /// may not be written; calling again is always right.
    pub async fn checkpoint(
        &mut self,
        shipped_through: Lsn,
        state: Vec<u8>,
    ) -> Result<(), WalError> {
        let last_read = self.next_lsn - 1;
        if shipped_through < self.checkpoint.shipped_through || shipped_through > last_read {
            return Err(WalError::CheckpointOutOfRange {
                requested: shipped_through,
                checkpointed: self.checkpoint.shipped_through,
                last_read,
            });
        }
        self.write_checkpoint(Checkpoint {
            shipped_through,
            state,
        })
        .await?;

        let advanced = (shipped_through - self.checkpoint.shipped_through) as usize;
        self.checkpoint.shipped_through = shipped_through;
        self.shared
            .checkpointed_lsn
            .store(shipped_through, Ordering::Release);
        if advanced > 0 {
            let position = self.read_positions[advanced - 1];
            self.read_positions.drain(..advanced);
            self.shared
                .release_shipped(position - self.checkpoint_position);
            self.checkpoint_position = position;
        }

        let shipped_segments = self.shared.take_shipped_segments(shipped_through);
        if shipped_segments.is_empty() {
            return Ok(());
        }
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || {
            for first_lsn in shipped_segments {
                let path = super::segment::segment_path(&shared.dir, first_lsn);
                // Not an error for the shipper: the checkpoint holds, and the next open deletes
                // any segment the checkpoint covers. No directory fsync either, for the same
                // reason: a deletion lost in a crash is redone then.
                if let Err(error) = std::fs::remove_file(&path) {
                    tracing::warn!(%error, segment = %path.display(), "wal: could not delete a shipped segment");
                }
            }
        })
        .await
        .map_err(|join_error| WalError::blocking_task_failed("delete segments", &join_error))?;
        Ok(())
    }

    /// Durably replaces the shipper's state without moving the checkpoint: the shipper records
    /// a batch intent this way before inserting, so that after a crash it re-ships exactly the
    /// same batch.
    pub async fn save_state(&mut self, state: Vec<u8>) -> Result<(), WalError> {
        self.write_checkpoint(Checkpoint {
            shipped_through: self.checkpoint.shipped_through,
            state,
        })
        .await
    }

    /// The last durable `(shipped_through, state)`: as recovered at open, or as last written.
    pub fn checkpoint_state(&self) -> (Lsn, Vec<u8>) {
        (
            self.checkpoint.shipped_through,
            self.checkpoint.state.clone(),
        )
    }

    /// Makes the next batch start right after `lsn`, for replaying a batch: `lsn` must lie
    /// between the checkpoint (whose records may already be deleted) and the last record
    /// returned.
    pub fn seek_after(&mut self, lsn: Lsn) -> Result<(), WalError> {
        let last_read = self.next_lsn - 1;
        if lsn < self.checkpoint.shipped_through || lsn > last_read {
            return Err(WalError::SeekOutOfRange {
                requested: lsn,
                checkpointed: self.checkpoint.shipped_through,
                last_read,
            });
        }
        if lsn == last_read {
            return Ok(());
        }
        self.read_positions
            .truncate((lsn - self.checkpoint.shipped_through) as usize);
        self.next_lsn = lsn + 1;
        self.cursor = None;
        Ok(())
    }

    fn read_position(&self) -> u64 {
        self.read_positions
            .back()
            .copied()
            .unwrap_or(self.checkpoint_position)
    }

    /// Writes `checkpoint` durably and adopts its state (the caller adopts the LSN, together
    /// with what depends on it).
    async fn write_checkpoint(&mut self, checkpoint: Checkpoint) -> Result<(), WalError> {
        let dir = self.shared.dir.clone();
        let (checkpoint, fsyncs) = tokio::task::spawn_blocking(move || {
            checkpoint::write(&dir, &checkpoint).map(|fsyncs| (checkpoint, fsyncs))
        })
        .await
        .map_err(|join_error| WalError::blocking_task_failed("write checkpoint", &join_error))??;
        self.shared.count_fsyncs(fsyncs);
        self.checkpoint.state = checkpoint.state;
        Ok(())
    }
}

struct BatchRead {
    cursor: SegmentCursor,
    records: Vec<(Lsn, Vec<u8>)>,
    encoded_bytes: Vec<u64>,
}

/// Reads records `next_lsn..=through_lsn` (all durable), stopping early at `max_bytes` of
/// payload. Blocking.
fn read_batch(
    shared: &Shared,
    cursor: Option<SegmentCursor>,
    mut next_lsn: Lsn,
    through_lsn: Lsn,
    max_bytes: usize,
) -> Result<BatchRead, WalError> {
    let mut cursor = match cursor {
        Some(cursor) => cursor,
        None => open_at(shared, next_lsn)?,
    };
    let mut records = Vec::new();
    let mut encoded_bytes = Vec::new();
    let mut payload_bytes = 0usize;
    let mut read_since_open = true;
    while next_lsn <= through_lsn {
        if !records.is_empty() {
            if let Some(payload_len) = cursor.peek_payload_len()? {
                if payload_bytes + payload_len as usize > max_bytes {
                    break;
                }
            }
        }
        match cursor.read(next_lsn)? {
            RecordRead::Record {
                lsn,
                payload,
                encoded_bytes: record_bytes,
            } => {
                payload_bytes += payload.len();
                records.push((lsn, payload));
                encoded_bytes.push(record_bytes);
                next_lsn += 1;
                read_since_open = true;
            }
            // The record is durable, so the writer has sealed this segment and started the
            // next one, named after it.
            RecordRead::EndOfSegment if read_since_open => {
                cursor = open_segment(shared, next_lsn)?;
                read_since_open = false;
            }
            RecordRead::EndOfSegment => {
                return Err(WalError::Corrupt {
                    path: cursor.path().to_path_buf(),
                    offset: cursor.offset(),
                    reason: format!(
                        "lsn {next_lsn} is durable but not in the segment named after it"
                    ),
                })
            }
            RecordRead::Invalid { offset, reason } => {
                return Err(WalError::Corrupt {
                    path: cursor.path().to_path_buf(),
                    offset,
                    reason,
                })
            }
        }
    }
    Ok(BatchRead {
        cursor,
        records,
        encoded_bytes,
    })
}

/// Opens the segment holding `lsn` and reads (and checks) the records before it.
fn open_at(shared: &Shared, lsn: Lsn) -> Result<SegmentCursor, WalError> {
    let Some(first_lsn) = shared.segment_holding(lsn) else {
        return Err(WalError::Corrupt {
            path: shared.dir.clone(),
            offset: 0,
            reason: format!("no segment holds lsn {lsn}"),
        });
    };
    let mut cursor = open_segment(shared, first_lsn)?;
    for skipped_lsn in first_lsn..lsn {
        match cursor.read(skipped_lsn)? {
            RecordRead::Record { .. } => {}
            RecordRead::EndOfSegment => {
                return Err(WalError::Corrupt {
                    path: cursor.path().to_path_buf(),
                    offset: cursor.offset(),
                    reason: format!("segment ends before lsn {skipped_lsn}"),
                })
            }
            RecordRead::Invalid { offset, reason } => {
                return Err(WalError::Corrupt {
                    path: cursor.path().to_path_buf(),
                    offset,
                    reason,
                })
            }
        }
    }
    Ok(cursor)
}

fn open_segment(shared: &Shared, first_lsn: Lsn) -> Result<SegmentCursor, WalError> {
    match SegmentCursor::open(&shared.dir, first_lsn)? {
        Ok(cursor) => Ok(cursor),
        Err(reason) => Err(WalError::Corrupt {
            path: super::segment::segment_path(&shared.dir, first_lsn),
            offset: 0,
            reason,
        }),
    }
}
