//! Segment files: creating them durably, listing them, and reading their records in order
//! through a buffered [`SegmentCursor`] (used by recovery to validate, and by the reader to
//! ship). The cursor reports damaged data as [`RecordRead::Invalid`] and leaves the verdict —
//! torn tail or corruption — to its caller, which knows whether the segment is the last one.

use super::record::{
    segment_file_name, RecordHeader, RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC,
};
use super::{Lsn, WalError};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

/// Large enough that reading a segment is a few big reads, small enough to keep per reader.
const READ_BUFFER_BYTES: usize = 256 * 1024;

pub(super) fn segment_path(dir: &Path, first_lsn: Lsn) -> PathBuf {
    dir.join(segment_file_name(first_lsn))
}

/// Makes the directory's entries (created, renamed files) durable.
pub(super) fn sync_dir(dir: &Path) -> Result<(), WalError> {
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(WalError::io("fsync directory", dir))
}

/// Creates a new, empty segment (just the magic) for appending, and makes its directory entry
/// durable. Fails if the file exists: a segment is never overwritten. Returns the file and the
/// number of fsyncs done.
pub(super) fn create_segment(dir: &Path, first_lsn: Lsn) -> Result<(File, u64), WalError> {
    let path = segment_path(dir, first_lsn);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(WalError::io("create segment", &path))?;
    file.write_all(&SEGMENT_MAGIC)
        .and_then(|()| file.sync_data())
        .map_err(WalError::io("write segment header", &path))?;
    sync_dir(dir)?;
    Ok((file, 2))
}

/// The outcome of reading the next record.
pub(super) enum RecordRead {
    Record {
        lsn: Lsn,
        payload: Vec<u8>,
        encoded_bytes: u64,
    },
    /// The segment ends exactly after the previous record.
    EndOfSegment,
    /// The bytes at `offset` are not the expected record: cut short, failing their CRC, or
    /// carrying another LSN.
    Invalid { offset: u64, reason: String },
}

/// Reads one segment's records in order, buffered, without reopening the file.
pub(super) struct SegmentCursor {
    path: PathBuf,
    reader: BufReader<File>,
    /// Offset of the next unread record (or of the peeked header).
    offset: u64,
    /// A header read ahead by [`SegmentCursor::peek_payload_len`].
    peeked: Option<RecordHeader>,
}

impl SegmentCursor {
    /// Opens a segment and checks its magic. A file too short for the magic is reported as
    /// `Ok(Err(..))` (the caller decides whether that is a torn creation), a wrong magic as
    /// [`WalError::Corrupt`].
    pub fn open(dir: &Path, first_lsn: Lsn) -> Result<Result<Self, String>, WalError> {
        let path = segment_path(dir, first_lsn);
        let file = File::open(&path).map_err(WalError::io("open segment", &path))?;
        let mut reader = BufReader::with_capacity(READ_BUFFER_BYTES, file);
        let mut magic = [0u8; SEGMENT_MAGIC.len()];
        let got = read_up_to(&mut reader, &mut magic).map_err(WalError::io("read", &path))?;
        if got < magic.len() {
            return Ok(Err(format!("segment header cut short at {got} bytes")));
        }
        if magic != SEGMENT_MAGIC {
            return Err(WalError::Corrupt {
                path,
                offset: 0,
                reason: "not a careaudit wal segment (wrong magic)".to_owned(),
            });
        }
        Ok(Ok(Self {
            path,
            reader,
            offset: SEGMENT_HEADER_BYTES,
            peeked: None,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Offset of the next unread record: after a clean [`RecordRead::EndOfSegment`], the
    /// segment's valid length.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The payload length of the next record without consuming it, for callers that stop
    /// before a size limit. `Ok(None)` when there is no whole header to peek at (the following
    /// [`SegmentCursor::read`] says why).
    pub fn peek_payload_len(&mut self) -> Result<Option<u32>, WalError> {
        if self.peeked.is_none() {
            self.peeked = match self.read_header()? {
                HeaderRead::Header(header) => Some(header),
                HeaderRead::End | HeaderRead::Short(_) => return Ok(None),
            };
        }
        Ok(self.peeked.map(|header| header.payload_len))
    }

    /// Reads the next record, which must carry `expected_lsn`, and verifies its CRC.
    pub fn read(&mut self, expected_lsn: Lsn) -> Result<RecordRead, WalError> {
        let header = match self.peeked.take() {
            Some(header) => header,
            None => match self.read_header()? {
                HeaderRead::Header(header) => header,
                HeaderRead::End => return Ok(RecordRead::EndOfSegment),
                HeaderRead::Short(got) => {
                    return Ok(self.invalid(format!(
                        "record header cut short at {got} of {RECORD_HEADER_BYTES} bytes"
                    )))
                }
            },
        };
        if header.lsn != expected_lsn {
            return Ok(self.invalid(format!(
                "expected lsn {expected_lsn}, found {} (length {})",
                header.lsn, header.payload_len
            )));
        }
        // Reading through `take` grows the buffer with the data actually there, so a damaged
        // length field cannot make us allocate gigabytes up front.
        let mut payload = Vec::new();
        let got = (&mut self.reader)
            .take(u64::from(header.payload_len))
            .read_to_end(&mut payload)
            .map_err(WalError::io("read", &self.path))?;
        if got < header.payload_len as usize {
            return Ok(self.invalid(format!(
                "payload cut short at {got} of {} bytes",
                header.payload_len
            )));
        }
        if !header.verify(&payload) {
            return Ok(self.invalid("crc mismatch".to_owned()));
        }
        let encoded_bytes = header.encoded_len();
        self.offset += encoded_bytes;
        Ok(RecordRead::Record {
            lsn: header.lsn,
            payload,
            encoded_bytes,
        })
    }

    fn read_header(&mut self) -> Result<HeaderRead, WalError> {
        let mut bytes = [0u8; RECORD_HEADER_BYTES];
        let got =
            read_up_to(&mut self.reader, &mut bytes).map_err(WalError::io("read", &self.path))?;
        Ok(match got {
            0 => HeaderRead::End,
            RECORD_HEADER_BYTES => HeaderRead::Header(RecordHeader::decode(&bytes)),
            short => HeaderRead::Short(short),
        })
    }

    fn invalid(&self, reason: String) -> RecordRead {
        RecordRead::Invalid {
            offset: self.offset,
            reason,
        }
    }
}

enum HeaderRead {
    Header(RecordHeader),
    End,
    Short(usize),
}

/// Like `read_exact`, but an end of file is not an error: returns how many bytes were read.
fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}
