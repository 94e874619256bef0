//! Splitting a syslog TCP (or TLS) byte stream into messages, as RFC 6587 describes: octet
//! counting (`MSG-LEN SP SYSLOG-MSG`, the only framing RFC 5425 allows over TLS) and
//! non-transparent framing (each message ends with LF; CRLF and NUL are tolerated too).
//!
//! The framing is detected once per connection, from the first byte of the first frame: a digit
//! means octet counting, anything else (normally `<`, the start of PRI) non-transparent framing.
//! It is then kept for the connection: a frame that starts with a digit on an LF-framed
//! connection is just a message, and a frame that does not start with a length on an
//! octet-counted connection means the count was wrong and the framing is lost. Guessing per
//! frame would let one miscounted message turn the rest of the stream into garbage frames.
//!
//! Real senders deviate, so between frames a UTF-8 BOM and whitespace (including stray empty
//! lines and NULs) are skipped, and a length with leading zeros (syslog-ng's loggen sends
//! `000000935`) is accepted. Memory stays bounded by `max_frame_bytes`: an oversized frame is
//! skipped (octet counting) or discarded up to the next LF (non-transparent), and reported with
//! its first [`MAX_RAW_BYTES`] bytes so it can be quarantined.
//!
//! This module does no IO; the listener feeds it whatever the socket returned.

use memchr::memchr2;

/// How many bytes of a skipped or broken frame a [`FrameError`] keeps for the quarantine.
pub const MAX_RAW_BYTES: usize = 4096;

/// RFC 6587 allows any MSG-LEN; ten digits (almost 10 GB) is already far beyond any audit
/// message, so a longer length means the stream is not octet-counted syslog at all.
const MAX_LENGTH_DIGITS: usize = 10;

/// Frames are allocated for at most this much up front, whatever length they announce.
const INITIAL_FRAME_CAPACITY: usize = 64 * 1024;

const UTF8_BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// The two framings of RFC 6587.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `MSG-LEN SP SYSLOG-MSG`; the message may contain LF (multi-line XML).
    OctetCounting,
    /// The message ends with LF (or CRLF, or NUL).
    NonTransparent,
}

/// A frame that could not be delivered. `Display` is the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct FrameError {
    /// A short machine-readable reason for the quarantine table and metrics.
    pub reason_code: &'static str,
    /// A human-readable reason; it never quotes the payload.
    pub reason: String,
    /// The first bytes of what was skipped (at most [`MAX_RAW_BYTES`]). For a fatal error, the
    /// frame up to and including the byte that broke the framing: what follows it depends on
    /// how the stream happened to be read, and the quarantined bytes must not.
    pub raw: Vec<u8>,
    /// The framing is lost: nothing more can be read from this connection, close it.
    pub fatal: bool,
}

/// Splits one connection's byte stream into syslog frames. Create one per connection.
#[derive(Debug)]
pub struct SyslogFramer {
    max_frame_bytes: usize,
    framing: Option<Framing>,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Before a frame: skipping BOMs and whitespace. `bom_bytes_seen` counts the bytes of a BOM
    /// that may be split across two reads.
    BetweenFrames { bom_bytes_seen: usize },
    /// Reading the MSG-LEN digits of an octet-counted frame.
    Length { digits: Vec<u8> },
    /// Reading the remaining bytes of an octet-counted frame.
    Octets { remaining: usize, frame: Vec<u8> },
    /// Skipping an octet-counted frame larger than the limit.
    SkippingOctets {
        announced: usize,
        remaining: usize,
        raw: Vec<u8>,
    },
    /// Reading an LF-terminated frame.
    Line { frame: Vec<u8> },
    /// Discarding an LF-terminated frame larger than the limit, up to its end.
    SkippingLine { raw: Vec<u8> },
    /// The framing is lost; everything is ignored until the connection is closed.
    Lost,
}

impl SyslogFramer {
    pub fn new(max_frame_bytes: usize) -> Self {
        Self {
            max_frame_bytes,
            framing: None,
            state: State::BetweenFrames { bom_bytes_seen: 0 },
        }
    }

    /// The connection's framing, once its first frame has started.
    pub fn framing(&self) -> Option<Framing> {
        self.framing
    }

    /// Feeds bytes as they arrive; complete frames (or framing errors) are appended to `out` in
    /// order. After a fatal error everything else is ignored.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<Result<Vec<u8>, FrameError>>) {
        let mut rest = data;
        while !rest.is_empty() {
            let state = std::mem::replace(&mut self.state, State::Lost);
            let (next_state, remaining) = self.step(state, rest, out);
            self.state = next_state;
            rest = remaining;
        }
    }

    /// At end of stream: a final message without its LF, or an error for a frame cut short.
    pub fn finish(&mut self) -> Option<Result<Vec<u8>, FrameError>> {
        let state = std::mem::replace(&mut self.state, State::BetweenFrames { bom_bytes_seen: 0 });
        match state {
            State::BetweenFrames { .. } => None,
            State::Lost => {
                self.state = State::Lost;
                None
            }
            State::Length { digits } => Some(Err(frame_error(
                "truncated_frame",
                "the stream ended inside a message length".to_owned(),
                &digits,
                true,
            ))),
            State::Octets { remaining, frame } => Some(Err(frame_error(
                "truncated_frame",
                format!(
                    "the stream ended {remaining} bytes before the end of an octet-counted frame"
                ),
                &frame,
                true,
            ))),
            State::SkippingOctets { announced, raw, .. } => {
                Some(Err(self.too_large_octets(announced, raw)))
            }
            State::Line { mut frame } => {
                if frame.last() == Some(&b'\r') {
                    frame.pop();
                }
                if frame.len() > self.max_frame_bytes {
                    return Some(Err(self.too_large_line(frame)));
                }
                Some(Ok(frame))
            }
            State::SkippingLine { raw } => Some(Err(self.too_large_line(raw))),
        }
    }

    /// Consumes a prefix of `input` (at least one byte, or none when only the state changes to
    /// one that will consume) and returns the next state and the rest of the input.
    fn step<'a>(
        &mut self,
        state: State,
        input: &'a [u8],
        out: &mut Vec<Result<Vec<u8>, FrameError>>,
    ) -> (State, &'a [u8]) {
        match state {
            State::Lost => (State::Lost, &[]),
            State::BetweenFrames { bom_bytes_seen } => {
                self.between_frames(bom_bytes_seen, input, out)
            }
            State::Length { digits } => self.length(digits, input, out),
            State::Octets {
                remaining,
                mut frame,
            } => {
                let (taken, rest) = input.split_at(remaining.min(input.len()));
                frame.extend_from_slice(taken);
                let remaining = remaining - taken.len();
                if remaining > 0 {
                    return (State::Octets { remaining, frame }, rest);
                }
                out.push(Ok(frame));
                (State::BetweenFrames { bom_bytes_seen: 0 }, rest)
            }
            State::SkippingOctets {
                announced,
                remaining,
                mut raw,
            } => {
                let (taken, rest) = input.split_at(remaining.min(input.len()));
                keep_raw(&mut raw, taken);
                let remaining = remaining - taken.len();
                if remaining > 0 {
                    let state = State::SkippingOctets {
                        announced,
                        remaining,
                        raw,
                    };
                    return (state, rest);
                }
                out.push(Err(self.too_large_octets(announced, raw)));
                (State::BetweenFrames { bom_bytes_seen: 0 }, rest)
            }
            State::Line { frame } => self.line(frame, input, out),
            State::SkippingLine { mut raw } => match memchr2(b'\n', 0, input) {
                None => {
                    keep_raw(&mut raw, input);
                    (State::SkippingLine { raw }, &[])
                }
                Some(end) => {
                    let (taken, rest) = input.split_at(end);
                    keep_raw(&mut raw, taken);
                    out.push(Err(self.too_large_line(raw)));
                    (State::BetweenFrames { bom_bytes_seen: 0 }, skip_first(rest))
                }
            },
        }
    }

    fn between_frames<'a>(
        &mut self,
        bom_bytes_seen: usize,
        input: &'a [u8],
        out: &mut Vec<Result<Vec<u8>, FrameError>>,
    ) -> (State, &'a [u8]) {
        let Some((&byte, after)) = input.split_first() else {
            return (State::BetweenFrames { bom_bytes_seen }, input);
        };
        if UTF8_BOM.get(bom_bytes_seen) == Some(&byte) {
            let seen = (bom_bytes_seen + 1) % UTF8_BOM.len();
            return (
                State::BetweenFrames {
                    bom_bytes_seen: seen,
                },
                after,
            );
        }
        // Bytes that looked like the start of a BOM but were not belong to the frame.
        let partial_bom = UTF8_BOM.get(..bom_bytes_seen).unwrap_or_default();
        if partial_bom.is_empty() && is_filler(byte) {
            let fillers = input.iter().take_while(|byte| is_filler(**byte)).count();
            let (_, rest) = input.split_at(fillers);
            return (State::BetweenFrames { bom_bytes_seen: 0 }, rest);
        }
        let first_byte = partial_bom.first().copied().unwrap_or(byte);
        match (self.framing, first_byte.is_ascii_digit()) {
            (None | Some(Framing::OctetCounting), true) => {
                self.framing = Some(Framing::OctetCounting);
                (State::Length { digits: Vec::new() }, input)
            }
            (None, false) | (Some(Framing::NonTransparent), _) => {
                self.framing = Some(Framing::NonTransparent);
                let frame = partial_bom.to_vec();
                (State::Line { frame }, input)
            }
            (Some(Framing::OctetCounting), false) => {
                let mut raw = partial_bom.to_vec();
                raw.push(byte);
                let error = frame_error(
                    "missing_length",
                    "an octet-counted frame does not start with its length".to_owned(),
                    &raw,
                    true,
                );
                out.push(Err(error));
                (State::Lost, &[])
            }
        }
    }

    fn length<'a>(
        &mut self,
        mut digits: Vec<u8>,
        input: &'a [u8],
        out: &mut Vec<Result<Vec<u8>, FrameError>>,
    ) -> (State, &'a [u8]) {
        let digit_count = input
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        let (new_digits, rest) = input.split_at(digit_count);
        digits.extend_from_slice(new_digits);
        if digits.len() > MAX_LENGTH_DIGITS {
            digits.truncate(MAX_LENGTH_DIGITS + 1);
            let error = frame_error(
                "invalid_length",
                format!("the message length has more than {MAX_LENGTH_DIGITS} digits"),
                &digits,
                true,
            );
            out.push(Err(error));
            return (State::Lost, &[]);
        }
        let Some((&separator, after)) = rest.split_first() else {
            return (State::Length { digits }, rest);
        };
        if separator != b' ' {
            let mut raw = digits;
            raw.push(separator);
            let error = frame_error(
                "invalid_length",
                "the message length is not a number followed by a space".to_owned(),
                &raw,
                true,
            );
            out.push(Err(error));
            return (State::Lost, &[]);
        }
        // At most ten ASCII digits: always fits in a u64.
        let announced = digits
            .iter()
            .fold(0_u64, |value, digit| value * 10 + u64::from(digit - b'0'));
        let announced = usize::try_from(announced).unwrap_or(usize::MAX);
        if announced == 0 {
            let error = frame_error(
                "empty_frame",
                "an octet-counted frame has length 0".to_owned(),
                &digits,
                false,
            );
            out.push(Err(error));
            return (State::BetweenFrames { bom_bytes_seen: 0 }, after);
        }
        if announced > self.max_frame_bytes {
            let state = State::SkippingOctets {
                announced,
                remaining: announced,
                raw: Vec::new(),
            };
            return (state, after);
        }
        // The announced length is only a claim until the bytes arrive.
        let frame = Vec::with_capacity(announced.min(INITIAL_FRAME_CAPACITY));
        let state = State::Octets {
            remaining: announced,
            frame,
        };
        (state, after)
    }

    fn line<'a>(
        &mut self,
        mut frame: Vec<u8>,
        input: &'a [u8],
        out: &mut Vec<Result<Vec<u8>, FrameError>>,
    ) -> (State, &'a [u8]) {
        // One byte of slack for the CR of a CRLF, which is not part of the message.
        let limit_with_cr = self.max_frame_bytes.saturating_add(1);
        let Some(end) = memchr2(b'\n', 0, input) else {
            if frame.len().saturating_add(input.len()) > limit_with_cr {
                keep_raw(&mut frame, input);
                frame.truncate(MAX_RAW_BYTES);
                return (State::SkippingLine { raw: frame }, &[]);
            }
            frame.extend_from_slice(input);
            return (State::Line { frame }, &[]);
        };
        let (content, rest) = input.split_at(end);
        let rest = skip_first(rest);
        if frame.len().saturating_add(content.len()) > limit_with_cr {
            keep_raw(&mut frame, content);
            frame.truncate(MAX_RAW_BYTES);
            out.push(Err(self.too_large_line(frame)));
            return (State::BetweenFrames { bom_bytes_seen: 0 }, rest);
        }
        frame.extend_from_slice(content);
        if frame.last() == Some(&b'\r') {
            frame.pop();
        }
        if frame.len() > self.max_frame_bytes {
            out.push(Err(self.too_large_line(frame)));
        } else {
            out.push(Ok(frame));
        }
        (State::BetweenFrames { bom_bytes_seen: 0 }, rest)
    }

    fn too_large_octets(&self, announced: usize, raw: Vec<u8>) -> FrameError {
        frame_error(
            "frame_too_large",
            format!(
                "an octet-counted frame of {announced} bytes exceeds the limit of {} bytes and was skipped",
                self.max_frame_bytes
            ),
            &raw,
            false,
        )
    }

    fn too_large_line(&self, raw: Vec<u8>) -> FrameError {
        frame_error(
            "frame_too_large",
            format!(
                "a message longer than {} bytes was discarded up to its line end",
                self.max_frame_bytes
            ),
            &raw,
            false,
        )
    }
}

/// What may stand between frames: whitespace, stray line ends and NUL terminators.
fn is_filler(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n' | 0)
}

fn skip_first(bytes: &[u8]) -> &[u8] {
    bytes.split_first().map_or(bytes, |(_, rest)| rest)
}

/// Appends to `raw` without letting it grow beyond [`MAX_RAW_BYTES`].
fn keep_raw(raw: &mut Vec<u8>, bytes: &[u8]) {
    let room = MAX_RAW_BYTES.saturating_sub(raw.len());
    raw.extend_from_slice(bytes.get(..room).unwrap_or(bytes));
}

fn frame_error(reason_code: &'static str, reason: String, raw: &[u8], fatal: bool) -> FrameError {
    FrameError {
        reason_code,
        reason,
        raw: raw.get(..MAX_RAW_BYTES).unwrap_or(raw).to_vec(),
        fatal,
    }
}

#[cfg(test)]
#[path = "syslog_frame_tests.rs"]
mod tests;
