//! The checkpoint file: how far the shipper got, and its opaque state (the hash-chain head and a
//! pending batch intent), replaced atomically so that a crash leaves either the old or the new
//! one, never a mix:
//!
//! ```text
//! magic "CAWALCK1" | shipped_through: u64 LE | state length: u32 LE | state | CRC32C: u32 LE
//! ```
//!
//! The CRC covers everything before it. Written as `checkpoint.tmp`, fsynced, renamed over
//! `checkpoint`, then the directory fsynced, so the rename itself is durable.

use super::{Lsn, WalError};
use std::fs::File;
use std::io::{ErrorKind, Write};
use std::path::Path;

const MAGIC: [u8; 8] = *b"CAWALCK1";
const FILE_NAME: &str = "checkpoint";
const TEMP_FILE_NAME: &str = "checkpoint.tmp";
const FIXED_BYTES: usize = MAGIC.len() + 8 + 4 + 4;

/// The last durable checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Checkpoint {
    pub shipped_through: Lsn,
    pub state: Vec<u8>,
}

/// Reads the checkpoint, or the empty one when none was ever written. A leftover temp file (a
/// crash before the rename) is removed: the checkpoint it would have replaced still holds.
pub(super) fn read(dir: &Path) -> Result<Checkpoint, WalError> {
    let temp_path = dir.join(TEMP_FILE_NAME);
    match std::fs::remove_file(&temp_path) {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::NotFound => {}
        Err(error) => return Err(WalError::io("remove", temp_path)(error)),
    }
    let path = dir.join(FILE_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(Checkpoint::default()),
        Err(error) => return Err(WalError::io("read", path)(error)),
    };
    decode(&bytes).map_err(|reason| WalError::Corrupt {
        path,
        offset: 0,
        reason,
    })
}

/// Durably replaces the checkpoint. Returns the number of fsyncs done.
pub(super) fn write(dir: &Path, checkpoint: &Checkpoint) -> Result<u64, WalError> {
    let bytes = encode(checkpoint)?;
    let temp_path = dir.join(TEMP_FILE_NAME);
    let mut file = File::create(&temp_path).map_err(WalError::io("create", &temp_path))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .map_err(WalError::io("write", &temp_path))?;
    drop(file);
    let path = dir.join(FILE_NAME);
    std::fs::rename(&temp_path, &path).map_err(WalError::io("rename", &temp_path))?;
    super::segment::sync_dir(dir)?;
    Ok(2)
}

fn encode(checkpoint: &Checkpoint) -> Result<Vec<u8>, WalError> {
    let state_len = u32::try_from(checkpoint.state.len()).map_err(|_| WalError::StateTooLarge {
        bytes: checkpoint.state.len(),
    })?;
    let mut bytes = Vec::with_capacity(FIXED_BYTES + checkpoint.state.len());
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&checkpoint.shipped_through.to_le_bytes());
    bytes.extend_from_slice(&state_len.to_le_bytes());
    bytes.extend_from_slice(&checkpoint.state);
    let crc = crc32c::crc32c(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    Ok(bytes)
}

fn decode(bytes: &[u8]) -> Result<Checkpoint, String> {
    if bytes.len() < FIXED_BYTES {
        return Err(format!(
            "checkpoint file of {} bytes is too short",
            bytes.len()
        ));
    }
    let (body, crc_bytes) = bytes.split_at(bytes.len() - 4);
    let stored_crc = u32::from_le_bytes(crc_bytes.try_into().map_err(|_| "crc field")?);
    if crc32c::crc32c(body) != stored_crc {
        return Err("checkpoint crc mismatch".to_owned());
    }
    let (magic, rest) = body.split_at(MAGIC.len());
    if magic != MAGIC {
        return Err("not a careaudit wal checkpoint (wrong magic)".to_owned());
    }
    let (lsn_bytes, rest) = rest.split_at(8);
    let (len_bytes, state) = rest.split_at(4);
    let shipped_through = u64::from_le_bytes(lsn_bytes.try_into().map_err(|_| "lsn field")?);
    let state_len = u32::from_le_bytes(len_bytes.try_into().map_err(|_| "length field")?);
    if state.len() != state_len as usize {
        return Err(format!(
            "checkpoint state length {state_len} does not match the {} bytes present",
            state.len()
        ));
    }
    Ok(Checkpoint {
        shipped_through,
        state: state.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_round_trips() {
        for checkpoint in [
            Checkpoint::default(),
            Checkpoint {
                shipped_through: 123_456,
                state: b"{\"chain_head\":\"ab12\",\"intent\":[5,9]}".to_vec(),
            },
        ] {
            let bytes = encode(&checkpoint).expect("encodes");
            assert_eq!(decode(&bytes), Ok(checkpoint));
        }
    }

    #[test]
    fn damage_is_detected() {
        let bytes = encode(&Checkpoint {
            shipped_through: 9,
            state: b"state".to_vec(),
        })
        .expect("encodes");
        for index in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[index] ^= 0x40;
            assert!(decode(&damaged).is_err(), "byte {index}");
        }
        for length in 0..bytes.len() {
            assert!(decode(&bytes[..length]).is_err(), "cut at {length}");
        }
    }
}
