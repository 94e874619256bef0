//! Opening the log after a clean stop or a crash: take the directory lock, read the checkpoint,
//! delete segments it covers, validate every remaining record, cut off a torn tail of the last
//! segment, and hand the writer an active segment positioned at its valid end.
//!
//! Only the last segment can legitimately end in damage: the writer fsyncs a segment before it
//! creates the next one, so every earlier segment was complete and durable when it was sealed.
//! In the last segment, the data after the last fsync may be partly on disk after a crash, in
//! any order of its pages; everything from the first invalid record on is that unacknowledged
//! group and is cut off. Damage anywhere else is corruption and stops the open.
//!
//! The limit of that rule: bit rot inside acknowledged records of the *last* segment looks the
//! same as a torn write and is cut off too. That is why the cut is never silent — it is logged
//! at WARN and returned in [`super::RecoveryReport::torn_tail`] with its size; a cut much larger
//! than one group is a sign of the former.

use super::checkpoint::{self, Checkpoint};
use super::record::{parse_segment_file_name, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC};
use super::segment::{self, segment_path, RecordRead, SegmentCursor};
use super::shared::{Shared, SharedStart};
use super::writer::Writer;
use super::{Lsn, RecoveryReport, TornTail, WalConfig, WalError};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

const LOCK_FILE_NAME: &str = "lock";

pub(super) struct Recovered {
    pub shared: Arc<Shared>,
    pub writer: Writer,
    pub checkpoint_state: Vec<u8>,
    pub report: RecoveryReport,
}

/// What scanning one segment found.
struct SegmentScan {
    /// One past the LSN of its last valid record (its name when it holds none).
    next_lsn: Lsn,
    /// Where its valid records end.
    valid_len: u64,
    unshipped_records: u64,
    unshipped_bytes: u64,
    /// The first invalid data: offset and reason.
    damage: Option<(u64, String)>,
}

pub(super) fn recover(config: WalConfig) -> Result<Recovered, WalError> {
    let dir = config.dir.as_path();
    std::fs::create_dir_all(dir).map_err(WalError::io("create directory", dir))?;
    let lock = lock_directory(dir)?;
    let Checkpoint {
        shipped_through,
        state: checkpoint_state,
    } = checkpoint::read(dir)?;
    let mut fsyncs = 0;

    let all_segments = list_segments(dir)?;
    let mut deleted_shipped_segments = 0;
    let mut kept_segments = Vec::new();
    for (index, first_lsn) in all_segments.iter().enumerate() {
        let fully_shipped = all_segments
            .get(index + 1)
            .is_some_and(|next_first_lsn| next_first_lsn - 1 <= shipped_through);
        if !fully_shipped {
            kept_segments.push(*first_lsn);
            continue;
        }
        let path = segment_path(dir, *first_lsn);
        std::fs::remove_file(&path).map_err(WalError::io("delete shipped segment", &path))?;
        deleted_shipped_segments += 1;
    }

    let mut segments = BTreeMap::new();
    let mut unshipped_records = 0;
    let mut unshipped_bytes = 0;
    let mut torn_tail = None;
    let mut expected_first_lsn: Option<Lsn> = None;
    let mut last_next_lsn: Option<Lsn> = None;
    for (index, first_lsn) in kept_segments.iter().copied().enumerate() {
        let path = segment_path(dir, first_lsn);
        let is_last = index + 1 == kept_segments.len();
        let missing_before = match expected_first_lsn {
            Some(expected) => first_lsn != expected,
            // Records between the checkpoint and the first segment would have been lost.
            None => first_lsn > shipped_through + 1,
        };
        if missing_before {
            return Err(WalError::Corrupt {
                path,
                offset: 0,
                reason: format!(
                    "segment starts at lsn {first_lsn} but lsn {} is expected: records are missing",
                    expected_first_lsn.unwrap_or(shipped_through + 1)
                ),
            });
        }
        let mut scan = scan_segment(dir, first_lsn, shipped_through)?;
        if let Some((offset, reason)) = scan.damage.take() {
            if !is_last {
                return Err(WalError::Corrupt {
                    path,
                    offset,
                    reason,
                });
            }
            let (tail, tail_fsyncs) = cut_torn_tail(dir, first_lsn, offset, reason)?;
            fsyncs += tail_fsyncs;
            scan.valid_len = tail.offset;
            tracing::warn!(
                segment = %tail.segment.display(),
                offset = tail.offset,
                dropped_bytes = tail.dropped_bytes,
                reason = %tail.reason,
                "wal: cut off a torn tail (an unacknowledged write interrupted by a crash)"
            );
            torn_tail = Some(tail);
        }
        unshipped_records += scan.unshipped_records;
        unshipped_bytes += scan.unshipped_bytes;
        segments.insert(first_lsn, scan.valid_len);
        expected_first_lsn = Some(scan.next_lsn);
        last_next_lsn = Some(scan.next_lsn);
    }

    // Never hand out an LSN again: not one on disk, nor one the checkpoint has seen (its
    // segments may all be gone).
    let next_lsn = last_next_lsn
        .unwrap_or(shipped_through + 1)
        .max(shipped_through + 1);
    let reusable_last = kept_segments
        .last()
        .copied()
        .filter(|_| last_next_lsn == Some(next_lsn));
    let (active_first_lsn, active_file, active_len) = match reusable_last {
        Some(first_lsn) => {
            let active_len = segments
                .get(&first_lsn)
                .copied()
                .unwrap_or(SEGMENT_HEADER_BYTES);
            let path = segment_path(dir, first_lsn);
            let mut file = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(WalError::io("open segment for append", &path))?;
            file.seek(SeekFrom::Start(active_len))
                .map_err(WalError::io("seek", &path))?;
            (first_lsn, file, active_len)
        }
        None => {
            let (file, create_fsyncs) = segment::create_segment(dir, next_lsn)?;
            fsyncs += create_fsyncs;
            segments.insert(next_lsn, SEGMENT_HEADER_BYTES);
            (next_lsn, file, SEGMENT_HEADER_BYTES)
        }
    };

    let report = RecoveryReport {
        segments: segments.len(),
        deleted_shipped_segments,
        unshipped_records,
        unshipped_bytes,
        checkpointed_lsn: shipped_through,
        next_lsn,
        torn_tail,
    };
    let shared = Arc::new(Shared::new(SharedStart {
        dir: dir.to_path_buf(),
        max_bytes: config.max_bytes,
        lock,
        segments,
        durable_lsn: next_lsn - 1,
        checkpointed_lsn: shipped_through,
        unshipped_bytes,
        fsyncs,
    }));
    let writer = Writer::new(
        dir.to_path_buf(),
        config.segment_bytes,
        active_first_lsn,
        active_file,
        active_len,
        next_lsn,
    );
    Ok(Recovered {
        shared,
        writer,
        checkpoint_state,
        report,
    })
}

/// Takes an exclusive `flock` on `dir/lock`, held for as long as the returned file is open.
fn lock_directory(dir: &Path) -> Result<File, WalError> {
    let path = dir.join(LOCK_FILE_NAME);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(WalError::io("open lock file", &path))?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(file),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(WalError::Locked(dir.to_path_buf())),
        Err(errno) => Err(WalError::io("lock", path)(errno.into())),
    }
}

/// The first LSNs of the segment files in `dir`, ascending. Other files are left alone.
fn list_segments(dir: &Path) -> Result<Vec<Lsn>, WalError> {
    let mut first_lsns = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(WalError::io("list directory", dir))?;
    for entry in entries {
        let entry = entry.map_err(WalError::io("list directory", dir))?;
        let file_name = entry.file_name();
        if let Some(first_lsn) = file_name.to_str().and_then(parse_segment_file_name) {
            first_lsns.push(first_lsn);
        }
    }
    first_lsns.sort_unstable();
    Ok(first_lsns)
}

fn scan_segment(dir: &Path, first_lsn: Lsn, shipped_through: Lsn) -> Result<SegmentScan, WalError> {
    let mut scan = SegmentScan {
        next_lsn: first_lsn,
        valid_len: 0,
        unshipped_records: 0,
        unshipped_bytes: 0,
        damage: None,
    };
    let mut cursor = match SegmentCursor::open(dir, first_lsn)? {
        Ok(cursor) => cursor,
        Err(reason) => {
            scan.damage = Some((0, reason));
            return Ok(scan);
        }
    };
    loop {
        match cursor.read(scan.next_lsn)? {
            RecordRead::Record {
                lsn, encoded_bytes, ..
            } => {
                if lsn > shipped_through {
                    scan.unshipped_records += 1;
                    scan.unshipped_bytes += encoded_bytes;
                }
                scan.next_lsn += 1;
            }
            RecordRead::EndOfSegment => break,
            RecordRead::Invalid { offset, reason } => {
                scan.damage = Some((offset, reason));
                break;
            }
        }
    }
    scan.valid_len = cursor.offset();
    Ok(scan)
}

/// Cuts the last segment back to `offset`, its valid length, durably. A segment whose magic
/// was cut short (a crash right after creating it) is rewritten as an empty segment.
fn cut_torn_tail(
    dir: &Path,
    first_lsn: Lsn,
    offset: u64,
    reason: String,
) -> Result<(TornTail, u64), WalError> {
    let path = segment_path(dir, first_lsn);
    let mut file = OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(WalError::io("open torn segment", &path))?;
    let file_len = file.metadata().map_err(WalError::io("stat", &path))?.len();
    let valid_len = if offset < SEGMENT_HEADER_BYTES {
        file.set_len(0)
            .and_then(|()| file.write_all(&SEGMENT_MAGIC))
            .map_err(WalError::io("rewrite segment header", &path))?;
        SEGMENT_HEADER_BYTES
    } else {
        file.set_len(offset)
            .map_err(WalError::io("truncate torn tail", &path))?;
        offset
    };
    file.sync_all()
        .map_err(WalError::io("fsync truncated segment", &path))?;
    let tail = TornTail {
        segment: path,
        offset: valid_len,
        dropped_bytes: file_len.saturating_sub(offset.min(file_len)),
        reason,
    };
    Ok((tail, 1))
}
