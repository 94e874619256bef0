//! The bytes on disk: a segment starts with [`SEGMENT_MAGIC`], then holds records back to back,
//! each a 16-byte header and the payload:
//!
//! ```text
//! payload length: u32 LE | CRC32C: u32 LE | LSN: u64 LE | payload
//! ```
//!
//! The CRC covers the length, the LSN and the payload (in that order), not only the payload, so
//! a flipped bit in the length or the LSN is caught by the same check as one in the data.
//! Segment files are named after their first LSN, zero-padded to 20 digits so that the names
//! sort like the numbers.

use super::Lsn;

/// Identifies a careaudit WAL segment and its format version (the last byte).
pub(super) const SEGMENT_MAGIC: [u8; 8] = *b"CAWAL\0\0\x01";
pub(super) const SEGMENT_HEADER_BYTES: u64 = SEGMENT_MAGIC.len() as u64;
pub(super) const RECORD_HEADER_BYTES: usize = 16;
/// The length field is a u32.
pub(super) const MAX_PAYLOAD_BYTES: usize = u32::MAX as usize;
const SEGMENT_SUFFIX: &str = ".wal";

/// The size of a record on disk, header included. This is what counts against the bound.
pub(super) fn encoded_len(payload_len: usize) -> u64 {
    (RECORD_HEADER_BYTES + payload_len) as u64
}

/// Appends one encoded record to `buffer`. The caller has checked the payload against
/// [`MAX_PAYLOAD_BYTES`].
pub(super) fn encode(buffer: &mut Vec<u8>, lsn: Lsn, payload: &[u8]) {
    let payload_len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let crc = checksum(payload_len, lsn, payload);
    buffer.extend_from_slice(&payload_len.to_le_bytes());
    buffer.extend_from_slice(&crc.to_le_bytes());
    buffer.extend_from_slice(&lsn.to_le_bytes());
    buffer.extend_from_slice(payload);
}

/// A decoded record header; the payload that follows still has to pass [`RecordHeader::verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RecordHeader {
    pub payload_len: u32,
    pub crc: u32,
    pub lsn: Lsn,
}

impl RecordHeader {
    pub fn decode(bytes: &[u8; RECORD_HEADER_BYTES]) -> Self {
        let [l0, l1, l2, l3, c0, c1, c2, c3, n0, n1, n2, n3, n4, n5, n6, n7] = *bytes;
        Self {
            payload_len: u32::from_le_bytes([l0, l1, l2, l3]),
            crc: u32::from_le_bytes([c0, c1, c2, c3]),
            lsn: u64::from_le_bytes([n0, n1, n2, n3, n4, n5, n6, n7]),
        }
    }

    pub fn encoded_len(&self) -> u64 {
        encoded_len(self.payload_len as usize)
    }

    /// Whether `payload` is the one this header was written for.
    pub fn verify(&self, payload: &[u8]) -> bool {
        payload.len() == self.payload_len as usize
            && checksum(self.payload_len, self.lsn, payload) == self.crc
    }
}

fn checksum(payload_len: u32, lsn: Lsn, payload: &[u8]) -> u32 {
    let crc = crc32c::crc32c(&payload_len.to_le_bytes());
    let crc = crc32c::crc32c_append(crc, &lsn.to_le_bytes());
    crc32c::crc32c_append(crc, payload)
}

pub(super) fn segment_file_name(first_lsn: Lsn) -> String {
    format!("{first_lsn:020}{SEGMENT_SUFFIX}")
}

/// The first LSN a segment file name stands for; `None` for any other file name.
pub(super) fn parse_segment_file_name(file_name: &str) -> Option<Lsn> {
    let digits = file_name.strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() != 20 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(lsn: Lsn, payload: &[u8]) -> Vec<u8> {
        let mut buffer = Vec::new();
        encode(&mut buffer, lsn, payload);
        buffer
    }

    fn header_of(bytes: &[u8]) -> RecordHeader {
        let header: [u8; RECORD_HEADER_BYTES] = bytes[..RECORD_HEADER_BYTES]
            .try_into()
            .expect("a whole header");
        RecordHeader::decode(&header)
    }

    #[test]
    fn a_record_round_trips() {
        for (lsn, payload) in [(1, &b""[..]), (42, b"x"), (u64::MAX, &[0xAB; 3000][..])] {
            let bytes = encoded(lsn, payload);
            assert_eq!(bytes.len() as u64, encoded_len(payload.len()));
            let header = header_of(&bytes);
            assert_eq!(header.lsn, lsn);
            assert_eq!(header.payload_len as usize, payload.len());
            assert!(header.verify(&bytes[RECORD_HEADER_BYTES..]));
        }
    }

    #[test]
    fn the_layout_is_length_crc_lsn_payload_little_endian() {
        let bytes = encoded(0x0102_0304_0506_0708, b"abc");
        assert_eq!(&bytes[0..4], &[3, 0, 0, 0]);
        assert_eq!(&bytes[8..16], &[8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(&bytes[16..], b"abc");
    }

    #[test]
    fn any_flipped_bit_fails_verification() {
        let original = encoded(7, b"an access event");
        for bit in 0..original.len() * 8 {
            // The CRC field itself is covered by comparing it with the recomputed value.
            let mut damaged = original.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            let header = header_of(&damaged);
            let still_valid = header.lsn == 7 && header.verify(&damaged[RECORD_HEADER_BYTES..]);
            assert!(!still_valid, "flipping bit {bit} went unnoticed");
        }
    }

    #[test]
    fn segment_names_sort_like_their_lsns_and_parse_back() {
        assert_eq!(segment_file_name(1), "00000000000000000001.wal");
        assert!(segment_file_name(9) < segment_file_name(10));
        for lsn in [1, 10, 123_456_789, u64::MAX] {
            assert_eq!(parse_segment_file_name(&segment_file_name(lsn)), Some(lsn));
        }
        for other in [
            "checkpoint",
            "lock",
            "1.wal",
            "0000000000000000000a.wal",
            "00000000000000000001.tmp",
        ] {
            assert_eq!(parse_segment_file_name(other), None, "{other}");
        }
    }
}
