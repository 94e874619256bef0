//! State shared by the appenders, the writer thread and the reader: the space account behind
//! [`WalError::Full`], the list of segments, the durable LSN the reader may read up to, and the
//! counters behind [`WalStats`].

use super::{Lsn, WalError, WalStats};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::{watch, Notify};

pub(super) struct Shared {
    pub dir: PathBuf,
    pub max_bytes: u64,
    space: Mutex<SpaceAccount>,
    /// Woken whenever a checkpoint (or a failed append) returns space.
    pub space_freed: Notify,
    /// First LSN of each segment → its size in bytes. The last entry is the active segment.
    segments: Mutex<BTreeMap<Lsn, u64>>,
    /// The last LSN that is written and fsynced; the reader never reads past it.
    pub durable_lsn: watch::Sender<Lsn>,
    pub checkpointed_lsn: AtomicU64,
    /// Set by [`super::Wal::close`], so appends after it fail fast.
    pub closing: AtomicBool,
    pub fsyncs: AtomicU64,
    pub appends: AtomicU64,
    pub records_appended: AtomicU64,
    /// Held (with `flock`) for as long as anything uses the directory.
    _lock: File,
}

#[derive(Debug, Default)]
struct SpaceAccount {
    /// Durable records after the checkpoint.
    unshipped: u64,
    /// Accepted appends not yet written.
    in_flight: u64,
}

/// What recovery found, to start the shared state from.
pub(super) struct SharedStart {
    pub dir: PathBuf,
    pub max_bytes: u64,
    pub lock: File,
    pub segments: BTreeMap<Lsn, u64>,
    pub durable_lsn: Lsn,
    pub checkpointed_lsn: Lsn,
    pub unshipped_bytes: u64,
    pub fsyncs: u64,
}

impl Shared {
    pub fn new(start: SharedStart) -> Self {
        Self {
            dir: start.dir,
            max_bytes: start.max_bytes,
            space: Mutex::new(SpaceAccount {
                unshipped: start.unshipped_bytes,
                in_flight: 0,
            }),
            space_freed: Notify::new(),
            segments: Mutex::new(start.segments),
            durable_lsn: watch::Sender::new(start.durable_lsn),
            checkpointed_lsn: AtomicU64::new(start.checkpointed_lsn),
            closing: AtomicBool::new(false),
            fsyncs: AtomicU64::new(start.fsyncs),
            appends: AtomicU64::new(0),
            records_appended: AtomicU64::new(0),
            _lock: start.lock,
        }
    }

    pub fn has_room_for(&self, bytes: u64) -> bool {
        let space = lock(&self.space);
        space.unshipped + space.in_flight + bytes <= self.max_bytes
    }

    /// Returns `bytes` of checkpointed records to the account and wakes waiting appenders.
    pub fn release_shipped(&self, bytes: u64) {
        if bytes == 0 {
            return;
        }
        {
            let mut space = lock(&self.space);
            debug_assert!(
                space.unshipped >= bytes,
                "releasing {bytes} shipped bytes of {} unshipped",
                space.unshipped
            );
            space.unshipped = space.unshipped.saturating_sub(bytes);
        }
        self.space_freed.notify_waiters();
    }

    pub fn count_fsyncs(&self, count: u64) {
        self.fsyncs.fetch_add(count, Ordering::Relaxed);
    }

    pub fn set_segment_size(&self, first_lsn: Lsn, bytes: u64) {
        lock(&self.segments).insert(first_lsn, bytes);
    }

    /// The first LSN of the segment that holds `lsn`, if it is still on disk.
    pub fn segment_holding(&self, lsn: Lsn) -> Option<Lsn> {
        lock(&self.segments)
            .range(..=lsn)
            .next_back()
            .map(|(first_lsn, _)| *first_lsn)
    }

    /// Removes from the list, and returns, the segments whose every record is at or below
    /// `shipped_through`. The active segment is never among them: the writer appends to it.
    pub fn take_shipped_segments(&self, shipped_through: Lsn) -> Vec<Lsn> {
        let mut segments = lock(&self.segments);
        let firsts: Vec<Lsn> = segments.keys().copied().collect();
        let shipped: Vec<Lsn> = firsts
            .windows(2)
            .filter(|pair| pair[1] - 1 <= shipped_through)
            .map(|pair| pair[0])
            .collect();
        for first_lsn in &shipped {
            segments.remove(first_lsn);
        }
        shipped
    }

    pub fn stats(&self) -> WalStats {
        let (bytes_on_disk, segment_count) = {
            let segments = lock(&self.segments);
            (segments.values().sum(), segments.len())
        };
        let unshipped_bytes = {
            let space = lock(&self.space);
            space.unshipped + space.in_flight
        };
        WalStats {
            bytes_on_disk,
            unshipped_bytes,
            segments: segment_count,
            last_appended_lsn: *self.durable_lsn.borrow(),
            last_checkpointed_lsn: self.checkpointed_lsn.load(Ordering::Acquire),
            fsyncs: self.fsyncs.load(Ordering::Relaxed),
            appends: self.appends.load(Ordering::Relaxed),
            records_appended: self.records_appended.load(Ordering::Relaxed),
        }
    }
}

/// Bytes of one append counted against the bound from the moment it is accepted. Dropped
/// without [`Reservation::commit`] (the append failed, or was never written), it returns them.
pub(super) struct Reservation {
    shared: Arc<Shared>,
    bytes: u64,
}

impl Reservation {
    /// Reserves `bytes`, or fails with [`WalError::Full`] (or [`WalError::AppendTooLarge`]
    /// when no amount of shipping would make room).
    pub fn try_new(shared: &Arc<Shared>, bytes: u64) -> Result<Self, WalError> {
        if bytes > shared.max_bytes {
            return Err(WalError::AppendTooLarge {
                bytes,
                max_bytes: shared.max_bytes,
            });
        }
        let mut space = lock(&shared.space);
        let unshipped_bytes = space.unshipped + space.in_flight;
        if unshipped_bytes + bytes > shared.max_bytes {
            return Err(WalError::Full {
                requested_bytes: bytes,
                unshipped_bytes,
                max_bytes: shared.max_bytes,
            });
        }
        space.in_flight += bytes;
        Ok(Self {
            shared: Arc::clone(shared),
            bytes,
        })
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The records are durable: their bytes now wait for a checkpoint instead of the writer.
    /// Must happen before the reader can see the records. Idempotent.
    pub fn commit(&mut self) {
        let mut space = lock(&self.shared.space);
        space.in_flight -= self.bytes;
        space.unshipped += self.bytes;
        self.bytes = 0;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.bytes == 0 {
            return;
        }
        {
            let mut space = lock(&self.shared.space);
            space.in_flight -= self.bytes;
        }
        self.shared.space_freed.notify_waiters();
    }
}

/// Locks a mutex, ignoring poisoning: every critical section here is a few additions that
/// cannot leave the data half-updated, so a panic elsewhere does not make it unusable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
