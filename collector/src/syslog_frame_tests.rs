//! Framing tests: byte streams checked through `check` (which also replays each stream whole and
//! one byte at a time, because chunking must never matter), and property tests.

use super::*;
use proptest::collection::vec;
use proptest::prelude::*;

/// One thing the framer produced: a frame, or an error's reason code and whether it was fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
    Frame(Vec<u8>),
    Error(&'static str, bool),
}

fn frame(text: &str) -> Out {
    Out::Frame(text.as_bytes().to_vec())
}

fn error(reason_code: &'static str) -> Out {
    Out::Error(reason_code, false)
}

fn fatal(reason_code: &'static str) -> Out {
    Out::Error(reason_code, true)
}

fn run(chunks: &[&[u8]], max_frame_bytes: usize) -> (Vec<Out>, Option<Framing>) {
    let mut framer = SyslogFramer::new(max_frame_bytes);
    let mut results = Vec::new();
    for chunk in chunks {
        framer.push(chunk, &mut results);
    }
    results.extend(framer.finish());
    assert_eq!(framer.finish(), None, "finish must be idempotent");
    let outs = results
        .into_iter()
        .map(|result| match result {
            Ok(frame) => Out::Frame(frame),
            Err(error) => Out::Error(error.reason_code, error.fatal),
        })
        .collect();
    (outs, framer.framing())
}

fn check(stream: &[u8], max_frame_bytes: usize, expected: &[Out], framing: Option<Framing>) {
    let whole = run(&[stream], max_frame_bytes);
    assert_eq!(whole, (expected.to_vec(), framing), "{stream:?}");
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(run(&bytes, max_frame_bytes), whole, "one byte at a time");
    let (head, tail) = stream.split_at(stream.len() / 2);
    assert_eq!(run(&[head, tail], max_frame_bytes), whole, "two halves");
}

const OCTETS: Option<Framing> = Some(Framing::OctetCounting);
const LINES: Option<Framing> = Some(Framing::NonTransparent);

#[test]
fn octet_counting() {
    check(
        b"5 <1>ab4 <2>c",
        64,
        &[frame("<1>ab"), frame("<2>c")],
        OCTETS,
    );
    // Multi-line XML is why ATNA senders use octet counting.
    check(b"9 <1>a\nb\r\nc", 64, &[frame("<1>a\nb\r\nc")], OCTETS);
    // A BOM and whitespace before the first frame, a LF after each, leading zeros (loggen).
    check(
        "\u{feff} \r\n005 <1>ab\n4 <2>c\n".as_bytes(),
        64,
        &[frame("<1>ab"), frame("<2>c")],
        OCTETS,
    );
    check(b"", 64, &[], None);
    check(b" \r\n", 64, &[], None);
}

#[test]
fn octet_counting_errors() {
    // Too large: skipped, reported, and the next frame still comes out.
    check(
        b"10 <1>abcdefg4 <2>c",
        8,
        &[error("frame_too_large"), frame("<2>c")],
        OCTETS,
    );
    check(
        b"0 5 <1>ab",
        64,
        &[error("empty_frame"), frame("<1>ab")],
        OCTETS,
    );
    // A length that is not a number loses the framing: nothing after it is trusted.
    check(b"12a4 <1>x\n4 <2>c", 64, &[fatal("invalid_length")], OCTETS);
    check(b"12345678901 x", 64, &[fatal("invalid_length")], OCTETS);
    // A miscounted frame: the next "frame" does not start with a length.
    check(
        b"4 <1>a<2>b\n",
        64,
        &[frame("<1>a"), fatal("missing_length")],
        OCTETS,
    );
    check(b"10 <1>a", 64, &[fatal("truncated_frame")], OCTETS);
    check(b"12", 64, &[fatal("truncated_frame")], OCTETS);
    check(b"20 <1>", 8, &[error("frame_too_large")], OCTETS);
}

#[test]
fn non_transparent_framing() {
    check(
        b"<1>a\n<2>b\r\n\n\n<3>c\0<4>d",
        64,
        &[frame("<1>a"), frame("<2>b"), frame("<3>c"), frame("<4>d")],
        LINES,
    );
    check("\u{feff}<1>a\n".as_bytes(), 64, &[frame("<1>a")], LINES);
    // Once LF framing is detected, a message starting with a digit is just a message.
    check(b"<1>a\n1 x\n", 64, &[frame("<1>a"), frame("1 x")], LINES);
    // Not syslog at all still frames; the parser rejects it.
    check(b"hello\n", 64, &[frame("hello")], LINES);
    // Bytes that start like a BOM but are not one belong to the message.
    check(
        b"\xEF\xBBx\n",
        64,
        &[Out::Frame(b"\xEF\xBBx".to_vec())],
        LINES,
    );
}

#[test]
fn non_transparent_framing_errors() {
    // The CR of a CRLF does not count against the limit.
    check(b"<1>a\r\n", 4, &[frame("<1>a")], LINES);
    check(
        b"<1>ab\n<2>c\n",
        4,
        &[error("frame_too_large"), frame("<2>c")],
        LINES,
    );
    check(
        b"<1>abcdefgh\n<2>c\n",
        4,
        &[error("frame_too_large"), frame("<2>c")],
        LINES,
    );
    check(b"<1>abcdefgh", 4, &[error("frame_too_large")], LINES);
}

#[test]
fn skipped_frames_keep_their_first_bytes_only() {
    let message = vec![b'x'; 10_000];
    let mut stream = format!("{} ", message.len()).into_bytes();
    stream.extend_from_slice(&message);
    let mut framer = SyslogFramer::new(100);
    let mut out = Vec::new();
    framer.push(&stream, &mut out);
    let [Err(error)] = out.as_slice() else {
        panic!("expected one error, got {out:?}");
    };
    assert_eq!(error.reason_code, "frame_too_large");
    assert_eq!(error.raw.len(), MAX_RAW_BYTES);
    assert_eq!(
        error.to_string(),
        "an octet-counted frame of 10000 bytes exceeds the limit of 100 bytes and was skipped"
    );
}

/// Found by fuzzing (`syslog_framer`): a fatal error kept the rest of the read it happened in,
/// so what was quarantined depended on how the stream arrived. It keeps the broken frame up to
/// the byte that broke it, however the stream is split.
#[test]
fn fatal_errors_keep_the_same_bytes_however_the_stream_is_split() {
    let cases: [(&[u8], &str, &[u8]); 4] = [
        (b"2(\x08A", "invalid_length", b"2("),
        (b"1234567890123456 <1>x", "invalid_length", b"12345678901"),
        (b"4 <1>a<2>b\n", "missing_length", b"<"),
        (b"4 <1>a\xEF\xBBx\n", "missing_length", b"\xEF\xBBx"),
    ];
    for (stream, reason_code, raw) in cases {
        let mut splits = vec![vec![stream], stream.chunks(1).collect()];
        splits.extend((1..stream.len()).map(|at| {
            let (head, tail) = stream.split_at(at);
            vec![head, tail]
        }));
        for chunks in splits {
            let out = frames_of(&chunks, 64);
            let Some(Err(error)) = out.last() else {
                panic!("{stream:?} in {chunks:?}: expected an error, got {out:?}");
            };
            assert_eq!(error.reason_code, reason_code, "{stream:?} in {chunks:?}");
            assert!(error.fatal, "{stream:?} in {chunks:?}");
            assert_eq!(error.raw, raw, "{stream:?} in {chunks:?}");
        }
    }
}

fn split_at_cuts<'a>(stream: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|cut| cut % (stream.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut rest = stream;
    let mut consumed = 0;
    for point in points {
        let (chunk, tail) = rest.split_at(point - consumed);
        chunks.push(chunk);
        rest = tail;
        consumed = point;
    }
    chunks.push(rest);
    chunks
}

fn frames_of(chunks: &[&[u8]], max_frame_bytes: usize) -> Vec<Result<Vec<u8>, FrameError>> {
    let mut framer = SyslogFramer::new(max_frame_bytes);
    let mut out = Vec::new();
    for chunk in chunks {
        framer.push(chunk, &mut out);
    }
    out.extend(framer.finish());
    out
}

/// Bytes that matter to the framer, mixed with arbitrary ones.
fn stream_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        any::<u8>(),
        proptest::sample::select(b"0123456789 <>\n\r\0\xEF\xBB\xBF".to_vec()),
    ]
}

proptest! {
    #[test]
    fn octet_counted_messages_survive_any_chunking(
        messages in vec(vec(any::<u8>(), 1..300), 0..8),
        cuts in vec(any::<usize>(), 0..12),
    ) {
        let mut stream = Vec::new();
        for message in &messages {
            stream.extend_from_slice(format!("{} ", message.len()).as_bytes());
            stream.extend_from_slice(message);
        }
        let out = frames_of(&split_at_cuts(&stream, &cuts), 300);
        let expected: Vec<Result<Vec<u8>, FrameError>> = messages.into_iter().map(Ok).collect();
        prop_assert_eq!(out, expected);
    }

    #[test]
    fn lf_framed_messages_survive_any_chunking(
        messages in vec("<[^\n\r\u{0}]{0,100}", 0..8),
        terminators in vec(proptest::sample::select(vec!["\n", "\r\n", "\n\n", "\0", "\r\n\r\n"]), 8),
        last_terminated in any::<bool>(),
        cuts in vec(any::<usize>(), 0..12),
    ) {
        let mut stream = Vec::new();
        for (index, message) in messages.iter().enumerate() {
            stream.extend_from_slice(message.as_bytes());
            let is_last = index + 1 == messages.len();
            if !is_last || last_terminated {
                stream.extend_from_slice(terminators[index].as_bytes());
            }
        }
        let out = frames_of(&split_at_cuts(&stream, &cuts), 1000);
        let expected: Vec<Result<Vec<u8>, FrameError>> =
            messages.into_iter().map(|message| Ok(message.into_bytes())).collect();
        prop_assert_eq!(out, expected);
    }

    #[test]
    fn never_panics_and_stays_bounded(
        stream in vec(stream_byte(), 0..2000),
        cuts in vec(any::<usize>(), 0..12),
        max_frame_bytes in 0_usize..64,
    ) {
        let out = frames_of(&split_at_cuts(&stream, &cuts), max_frame_bytes);
        let fatal_at = out.iter().position(|result| result.as_ref().is_err_and(|error| error.fatal));
        if let Some(fatal_at) = fatal_at {
            prop_assert_eq!(fatal_at + 1, out.len(), "nothing after a fatal error");
        }
        for result in out {
            match result {
                Ok(frame) => {
                    prop_assert!(frame.len() <= max_frame_bytes);
                    prop_assert!(!frame.is_empty());
                }
                Err(error) => prop_assert!(error.raw.len() <= MAX_RAW_BYTES),
            }
        }
    }
}
