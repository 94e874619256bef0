//! `SyslogFramer` on arbitrary bytes, fed whole, one byte at a time and in pseudo-random chunks
//! (chosen from a hash of the input, so every input replays the same way). Besides not
//! panicking, the framer must keep its documented promises: chunking never changes what comes
//! out, frames are never larger than the limit nor, together, than the input, an error keeps at
//! most `MAX_RAW_BYTES` of the frame, and nothing follows a fatal error.

#![no_main]

use collector::{FrameError, Framing, SyslogFramer, MAX_RAW_BYTES};
use libfuzzer_sys::fuzz_target;

/// Frame limits to try: tiny ones reach the oversized-frame paths with short inputs.
const MAX_FRAME_BYTES: [usize; 6] = [0, 1, 7, 64, 1024, 64 * 1024];

type Output = Vec<Result<Vec<u8>, FrameError>>;

fuzz_target!(|data: &[u8]| {
    let mut random = XorShift::new(fnv1a(data));
    let max_frame_bytes = MAX_FRAME_BYTES[random.below(MAX_FRAME_BYTES.len())];

    let (whole, framing) = run(&[data], max_frame_bytes);
    check_invariants(data, max_frame_bytes, &whole, framing);

    let mut chunks = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let (chunk, after) = rest.split_at(1 + random.below(rest.len().min(64)));
        chunks.push(chunk);
        rest = after;
    }
    assert_eq!(
        run(&chunks, max_frame_bytes),
        (whole.clone(), framing),
        "random chunks"
    );
    if data.len() <= 4096 {
        let bytes: Vec<&[u8]> = data.chunks(1).collect();
        assert_eq!(
            run(&bytes, max_frame_bytes),
            (whole, framing),
            "one byte at a time"
        );
    }
});

fn run(chunks: &[&[u8]], max_frame_bytes: usize) -> (Output, Option<Framing>) {
    let mut framer = SyslogFramer::new(max_frame_bytes);
    let mut out = Vec::new();
    for chunk in chunks {
        framer.push(chunk, &mut out);
    }
    out.extend(framer.finish());
    assert_eq!(framer.finish(), None, "finish must be idempotent");
    (out, framer.framing())
}

fn check_invariants(data: &[u8], max_frame_bytes: usize, out: &Output, framing: Option<Framing>) {
    let mut frame_bytes = 0;
    for (index, result) in out.iter().enumerate() {
        match result {
            Ok(frame) => {
                assert!(frame.len() <= max_frame_bytes, "a frame exceeds the limit");
                if framing == Some(Framing::NonTransparent) {
                    assert!(!frame.contains(&b'\n'), "an LF-framed frame holds an LF");
                }
                frame_bytes += frame.len();
            }
            Err(error) => {
                assert!(error.raw.len() <= MAX_RAW_BYTES, "an error keeps too much");
                assert!(!error.reason_code.is_empty());
                if error.fatal {
                    assert_eq!(index + 1, out.len(), "output after a fatal error");
                }
            }
        }
    }
    assert!(frame_bytes <= data.len(), "frames hold more than the input");
}

fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A tiny deterministic generator for chunk sizes (xorshift64*).
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let value = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (value % bound as u64) as usize
    }
}
