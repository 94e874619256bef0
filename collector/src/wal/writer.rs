//! The writer: one dedicated thread that owns the active segment and does group commit. It
//! blocks for the first queued command, takes whatever else is queued (up to
//! [`MAX_GROUP_BYTES`]), encodes it all into one buffer, writes it with one `write` and makes it
//! durable with one `fdatasync`, publishes the new durable LSN to the reader, and only then
//! answers every appender of the group.
//!
//! Why a thread of its own rather than `tokio::fs` or `spawn_blocking`: the commit path is a
//! loop of blocking calls whose latency directly bounds the group rate. `tokio::fs` hands every
//! call (write, then sync) to the blocking pool and back, and `spawn_blocking` per group would
//! still pay one hand-off and a pool thread wake-up each time; a dedicated thread pays neither,
//! keeps the file and the buffer without moving them around, and never occupies a runtime
//! worker, so appenders keep queueing while an fsync is in progress — which is exactly what
//! makes the next group large.
//!
//! After any IO error the writer refuses every later append with [`WalError::WriterFailed`]
//! until the log is reopened: after a failed `fsync` the kernel may have dropped the dirty pages
//! and a retried `fsync` can report success for data that is gone, so the only safe recovery is
//! the one [`super::Wal::open`] does from what is actually on disk.

use super::record::{self, SEGMENT_HEADER_BYTES};
use super::segment::{self, segment_path};
use super::shared::{Reservation, Shared};
use super::{Lsn, WalError};
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The most a group takes from the queue before writing: bounds the buffer and the latency of
/// the first appender in a group, while far above what one fsync interval collects at the
/// target rate (100k records of 1 KB a second is 100 KB per millisecond of fsync).
const MAX_GROUP_BYTES: u64 = 8 * 1024 * 1024;

pub(super) enum WriterCommand {
    Append(AppendRequest),
    /// Write everything queued before this, then stop.
    Close(oneshot::Sender<()>),
}

pub(super) struct AppendRequest {
    pub records: Vec<Vec<u8>>,
    pub reservation: Reservation,
    pub reply: oneshot::Sender<Result<Lsn, WalError>>,
}

/// The writer's state: the active segment and the next LSN to hand out.
pub(super) struct Writer {
    dir: PathBuf,
    segment_bytes: u64,
    active_first_lsn: Lsn,
    active_path: PathBuf,
    active_file: File,
    /// Bytes in the active segment, magic included; the file is positioned here.
    active_len: u64,
    next_lsn: Lsn,
    buffer: Vec<u8>,
    failure: Option<WalError>,
}

impl Writer {
    /// `active_file` must be open for writing and positioned at its end, `active_len`.
    pub fn new(
        dir: PathBuf,
        segment_bytes: u64,
        active_first_lsn: Lsn,
        active_file: File,
        active_len: u64,
        next_lsn: Lsn,
    ) -> Self {
        Self {
            active_path: segment_path(&dir, active_first_lsn),
            dir,
            segment_bytes,
            active_first_lsn,
            active_file,
            active_len,
            next_lsn,
            buffer: Vec::new(),
            failure: None,
        }
    }

    fn run(
        mut self,
        shared: Arc<Shared>,
        mut commands: mpsc::Receiver<WriterCommand>,
    ) -> Vec<oneshot::Sender<()>> {
        let mut group = Vec::new();
        let mut close_replies = Vec::new();
        while let Some(first_command) = commands.blocking_recv() {
            let mut group_bytes = 0;
            let mut next_command = Some(first_command);
            while let Some(command) = next_command.take() {
                match command {
                    WriterCommand::Append(request) => {
                        group_bytes += request.reservation.bytes();
                        group.push(request);
                    }
                    WriterCommand::Close(reply) => {
                        close_replies.push(reply);
                        break;
                    }
                }
                if group_bytes >= MAX_GROUP_BYTES {
                    break;
                }
                next_command = commands.try_recv().ok();
            }
            self.commit(&shared, &mut group);
            if !close_replies.is_empty() {
                break;
            }
        }
        // Returning drops the file, the queue (appends still in it are answered `Closed` by
        // their dropped reply) and this thread's hold on the directory lock, all before the
        // caller answers `close`: a reopen right after `close` must find the lock free.
        close_replies
    }

    fn commit(&mut self, shared: &Shared, group: &mut Vec<AppendRequest>) {
        if group.is_empty() {
            return;
        }
        if let Some(failure) = &self.failure {
            for request in group.drain(..) {
                let _ = request
                    .reply
                    .send(Err(WalError::WriterFailed(Box::new(failure.clone()))));
            }
            return;
        }
        let last_lsns = match self.write_group(shared, group) {
            Ok(last_lsns) => last_lsns,
            Err(error) => {
                tracing::error!(%error, "wal writer failed; appends are refused until the wal is reopened");
                self.failure = Some(error.clone());
                // Dropping each reservation returns its space.
                for request in group.drain(..) {
                    let _ = request.reply.send(Err(error.clone()));
                }
                return;
            }
        };
        // Account the bytes as unshipped before the reader can see (and checkpoint) them, or a
        // fast checkpoint would release bytes not yet counted. Then publish before answering,
        // so that whoever learns of an LSN can also read it.
        for request in group.iter_mut() {
            request.reservation.commit();
        }
        shared.durable_lsn.send_replace(self.next_lsn - 1);
        let records: usize = group.iter().map(|request| request.records.len()).sum();
        shared
            .appends
            .fetch_add(group.len() as u64, Ordering::Relaxed);
        shared
            .records_appended
            .fetch_add(records as u64, Ordering::Relaxed);
        for (request, last_lsn) in group.drain(..).zip(last_lsns) {
            // An appender that stopped waiting has nothing to tell; its records are durable.
            let _ = request.reply.send(Ok(last_lsn));
        }
        if self.buffer.capacity() as u64 > 2 * MAX_GROUP_BYTES {
            self.buffer = Vec::new();
        }
    }

    /// Encodes and writes the group, rolling to a new segment between two appends when the
    /// next one would take a non-empty segment past `segment_bytes`; returns each append's last
    /// LSN once everything is durable.
    fn write_group(
        &mut self,
        shared: &Shared,
        group: &[AppendRequest],
    ) -> Result<Vec<Lsn>, WalError> {
        self.buffer.clear();
        let mut last_lsns = Vec::with_capacity(group.len());
        for request in group {
            let segment_len = self.active_len + self.buffer.len() as u64;
            let segment_has_records = segment_len > SEGMENT_HEADER_BYTES;
            if segment_has_records && segment_len + request.reservation.bytes() > self.segment_bytes
            {
                self.flush(shared)?;
                self.roll(shared)?;
            }
            for payload in &request.records {
                record::encode(&mut self.buffer, self.next_lsn, payload);
                self.next_lsn += 1;
            }
            last_lsns.push(self.next_lsn - 1);
        }
        self.flush(shared)?;
        Ok(last_lsns)
    }

    /// Writes the buffer to the active segment and fsyncs it.
    fn flush(&mut self, shared: &Shared) -> Result<(), WalError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.active_file
            .write_all(&self.buffer)
            .map_err(WalError::io("write", &self.active_path))?;
        // fdatasync: the data and the file size, not the timestamps nobody reads.
        self.active_file
            .sync_data()
            .map_err(WalError::io("fdatasync", &self.active_path))?;
        shared.count_fsyncs(1);
        self.active_len += self.buffer.len() as u64;
        self.buffer.clear();
        shared.set_segment_size(self.active_first_lsn, self.active_len);
        Ok(())
    }

    /// Seals the active segment (already fsynced by `flush`) and starts the next one, named
    /// after the next LSN.
    fn roll(&mut self, shared: &Shared) -> Result<(), WalError> {
        let (file, fsyncs) = segment::create_segment(&self.dir, self.next_lsn)?;
        shared.count_fsyncs(fsyncs);
        self.active_first_lsn = self.next_lsn;
        self.active_path = segment_path(&self.dir, self.next_lsn);
        self.active_file = file;
        self.active_len = SEGMENT_HEADER_BYTES;
        shared.set_segment_size(self.active_first_lsn, self.active_len);
        Ok(())
    }
}

/// Starts the writer thread.
pub(super) fn spawn(
    writer: Writer,
    shared: Arc<Shared>,
    commands: mpsc::Receiver<WriterCommand>,
) -> Result<(), WalError> {
    let dir = writer.dir.clone();
    std::thread::Builder::new()
        .name("careaudit-wal-writer".to_owned())
        .spawn(move || {
            let close_replies = writer.run(shared, commands);
            for reply in close_replies {
                let _ = reply.send(());
            }
        })
        .map_err(WalError::io("start writer thread for", dir))?;
    Ok(())
}
