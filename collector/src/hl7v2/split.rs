//! Input bytes to messages: lines, then one message per MSH, with the FHS/BHS/BTS/FTS
//! envelopes of batch files checked and dropped.

use super::{Charset, Delimiters, Hl7Error, Hl7Message, Syntax};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Splits `bytes` (one MLLP frame, or a file) into its messages, in order. Each entry is a
/// message, or an error for a stretch of input that is not one: segments before any MSH
/// (`segment_before_msh`, or `not_hl7` when they do not even look like segments), an MSH whose
/// delimiters cannot be read (`invalid_delimiters`, covering that message), a second batch or
/// file header inside an open batch or file (`repeated_batch_header`, `repeated_file_header`).
/// Empty input gives no entries.
pub fn split_messages(bytes: &[u8]) -> Vec<Result<Hl7Message, Hl7Error>> {
    let mut splitter = Splitter::default();
    let (bytes, bom) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    splitter.pending_bom = bom;
    for line in lines(bytes) {
        splitter.line(line);
    }
    splitter.flush();
    splitter.results
}

/// One line of input and how it ended.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    bytes: &'a [u8],
    /// Whether LF (alone or after CR) ended it, rather than CR or the end of the input.
    ended_by_lf: bool,
}

/// Lines ended by CR, LF or CRLF.
fn lines(bytes: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .iter()
            .position(|byte| matches!(byte, b'\r' | b'\n'))
            .unwrap_or(rest.len());
        let (line, after) = rest.split_at(end);
        let (ended_by_lf, after) = match after {
            [b'\r', b'\n', tail @ ..] => (true, tail),
            [b'\n', tail @ ..] => (true, tail),
            [b'\r', tail @ ..] => (false, tail),
            _ => (false, after),
        };
        rest = after;
        Some(Line {
            bytes: line,
            ended_by_lf,
        })
    })
}

/// Whitespace and the MLLP framing bytes (VT, FS) and NUL: a line of only these is blank.
fn is_blank(line: &[u8]) -> bool {
    line.iter()
        .all(|byte| byte.is_ascii_whitespace() || matches!(byte, 0x00 | 0x0b | 0x1c))
}

/// The segment id when `line` starts like a segment: three upper-case letters or digits (the
/// first a letter) followed by a non-alphanumeric byte or the end of the line.
fn segment_id(line: &[u8]) -> Option<&[u8]> {
    let id = line.get(..3)?;
    let id_ok = id.first().is_some_and(u8::is_ascii_uppercase)
        && id
            .iter()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit());
    let next_ok = line.get(3).is_none_or(|byte| !byte.is_ascii_alphanumeric());
    (id_ok && next_ok).then_some(id)
}

/// A line of a message: a segment, or a line that is not one and continues the segment before.
enum Piece<'a> {
    Segment(&'a [u8]),
    Continuation(&'a [u8]),
}

/// A message being collected.
struct MessageBuilder<'a> {
    delimiters: Result<Delimiters, Hl7Error>,
    pieces: Vec<Piece<'a>>,
    /// The lines as received, each ended by CR.
    raw: Vec<u8>,
    deviations: Vec<&'static str>,
}

impl<'a> MessageBuilder<'a> {
    fn deviation(&mut self, name: &'static str) {
        if !self.deviations.contains(&name) {
            self.deviations.push(name);
        }
    }
}

#[derive(Default)]
struct Splitter<'a> {
    results: Vec<Result<Hl7Message, Hl7Error>>,
    message: Option<MessageBuilder<'a>>,
    /// Lines before any MSH (or after an envelope segment), reported together.
    orphans: Vec<&'a [u8]>,
    file_open: bool,
    batch_open: bool,
    pending_bom: bool,
    /// Blank lines seen since the last segment of the current message.
    blank_pending: bool,
}

impl<'a> Splitter<'a> {
    fn line(&mut self, line: Line<'a>) {
        if is_blank(line.bytes) {
            self.blank_pending = self.message.is_some();
            return;
        }
        match segment_id(line.bytes) {
            Some(b"MSH") => {
                self.flush();
                let mut builder = MessageBuilder {
                    delimiters: parse_delimiters(line.bytes),
                    pieces: vec![Piece::Segment(line.bytes)],
                    raw: [line.bytes, b"\r"].concat(),
                    deviations: Vec::new(),
                };
                if std::mem::take(&mut self.pending_bom) {
                    builder.deviation("bom");
                }
                if line.ended_by_lf {
                    builder.deviation("lf_segment_separators");
                }
                self.message = Some(builder);
            }
            Some(id @ (b"FHS" | b"BHS" | b"BTS" | b"FTS")) => {
                self.flush();
                self.envelope(id);
            }
            Some(_) | None => self.body_line(line),
        }
    }

    fn body_line(&mut self, line: Line<'a>) {
        let blank_before = std::mem::take(&mut self.blank_pending);
        let Some(message) = self.message.as_mut() else {
            self.orphans.push(line.bytes);
            return;
        };
        if blank_before {
            message.deviation("blank_lines");
        }
        if line.ended_by_lf {
            message.deviation("lf_segment_separators");
        }
        let field_separator = message
            .delimiters
            .as_ref()
            .ok()
            .and_then(|delimiters| u8::try_from(delimiters.field).ok())
            .unwrap_or(b'|');
        let is_segment = segment_id(line.bytes).is_some()
            && line
                .bytes
                .get(3)
                .is_none_or(|byte| *byte == field_separator);
        message.raw.extend_from_slice(line.bytes);
        message.raw.push(b'\r');
        if is_segment {
            message.pieces.push(Piece::Segment(line.bytes));
        } else {
            message.deviation("continuation_lines");
            message.pieces.push(Piece::Continuation(line.bytes));
        }
    }

    fn envelope(&mut self, id: &[u8]) {
        match id {
            b"FHS" => {
                if self.file_open {
                    self.results.push(Err(Hl7Error::new(
                        "repeated_file_header",
                        "a file header (FHS) inside a file that is still open",
                    )));
                }
                self.file_open = true;
            }
            b"BHS" => {
                if self.batch_open {
                    self.results.push(Err(Hl7Error::new(
                        "repeated_batch_header",
                        "a batch header (BHS) inside a batch that has not ended (BTS)",
                    )));
                }
                self.batch_open = true;
            }
            b"BTS" => self.batch_open = false,
            _ => {
                self.file_open = false;
                self.batch_open = false;
            }
        }
    }

    /// Ends the current message or run of orphan lines.
    fn flush(&mut self) {
        self.blank_pending = false;
        if !self.orphans.is_empty() {
            let looks_like_hl7 = self
                .orphans
                .first()
                .is_some_and(|line| segment_id(line).is_some());
            self.orphans.clear();
            self.results.push(Err(if looks_like_hl7 {
                Hl7Error::new(
                    "segment_before_msh",
                    "segments that belong to no message: they do not follow an MSH",
                )
            } else {
                Hl7Error::new(
                    "not_hl7",
                    "the input is not HL7 v2: it does not start with MSH",
                )
            }));
        }
        let Some(builder) = self.message.take() else {
            return;
        };
        self.results.push(finish(builder));
    }
}

fn finish(mut builder: MessageBuilder<'_>) -> Result<Hl7Message, Hl7Error> {
    let delimiters = builder.delimiters.clone()?;
    let msh = match builder.pieces.first() {
        Some(Piece::Segment(msh)) => *msh,
        _ => &[],
    };
    let all_utf8 = builder.pieces.iter().all(|piece| match piece {
        Piece::Segment(bytes) | Piece::Continuation(bytes) => std::str::from_utf8(bytes).is_ok(),
    });
    let charset = match declared_charset(msh, &delimiters) {
        Some(charset) => charset,
        None if all_utf8 => Charset::Utf8,
        None => {
            builder.deviation("latin1_text");
            Charset::Latin1
        }
    };
    let mut segments: Vec<String> = Vec::with_capacity(builder.pieces.len());
    for piece in &builder.pieces {
        match (piece, segments.last_mut()) {
            // A line that is not a segment joins the previous one, with its line break: what
            // senders that put raw newlines into text fields produce.
            (Piece::Continuation(bytes), Some(previous)) => {
                previous.push('\n');
                previous.push_str(&decode(bytes, charset));
            }
            (Piece::Segment(bytes) | Piece::Continuation(bytes), _) => {
                segments.push(decode(bytes, charset));
            }
        }
    }
    Ok(Hl7Message {
        syntax: Syntax {
            delimiters,
            charset,
        },
        segments,
        raw: builder.raw,
        deviations: builder.deviations,
    })
}

pub(super) fn decode(bytes: &[u8], charset: Charset) -> String {
    match charset {
        Charset::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Charset::Latin1 => bytes.iter().map(|byte| char::from(*byte)).collect(),
    }
}

/// MSH-18: ISO 8859 parts are read as 8859-1 (their differences are rare letters), the
/// Unicode ones as UTF-8; anything else (or nothing) leaves it to the bytes.
fn declared_charset(msh: &[u8], delimiters: &Delimiters) -> Option<Charset> {
    let msh = String::from_utf8_lossy(msh);
    let field = msh.split(delimiters.field).nth(17)?;
    let first = match delimiters.repetition {
        Some(repetition) => field.split(repetition).next().unwrap_or_default(),
        None => field,
    };
    let charset = first.trim().to_ascii_uppercase();
    if charset.starts_with("8859") {
        return Some(Charset::Latin1);
    }
    if charset.starts_with("UNICODE") {
        return Some(Charset::Utf8);
    }
    None
}

/// MSH-1 and MSH-2: the field separator, then component, repetition, escape and subcomponent
/// characters (a fifth, v2.7's truncation character, is ignored). Each must be a printable
/// ASCII character that is not a letter, digit or space, and all must differ.
fn parse_delimiters(msh: &[u8]) -> Result<Delimiters, Hl7Error> {
    let invalid = |reason: &str| Hl7Error::new("invalid_delimiters", reason);
    let Some(&field) = msh.get(3) else {
        return Err(invalid("MSH has no field separator (MSH-1)"));
    };
    let encoding: Vec<u8> = msh
        .get(4..)
        .unwrap_or_default()
        .iter()
        .take_while(|byte| **byte != field)
        .copied()
        .collect();
    let usable = |byte: u8| byte.is_ascii_graphic() && !byte.is_ascii_alphanumeric();
    if !usable(field) {
        return Err(invalid(
            "the field separator (MSH-1) is not a printable symbol",
        ));
    }
    if encoding.is_empty() || encoding.len() > 5 {
        return Err(invalid(
            "MSH-2 does not hold one to five encoding characters",
        ));
    }
    if !encoding.iter().all(|byte| usable(*byte)) {
        return Err(invalid(
            "an encoding character (MSH-2) is not a printable symbol",
        ));
    }
    let mut all = vec![field];
    all.extend(encoding.iter().take(4));
    let mut distinct = all.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != all.len() {
        return Err(invalid(
            "the delimiters in MSH-1 and MSH-2 are not all different",
        ));
    }
    let nth = |index: usize| encoding.get(index).map(|byte| char::from(*byte));
    let Some(component) = nth(0) else {
        return Err(invalid("MSH-2 has no component separator"));
    };
    Ok(Delimiters {
        field: char::from(field),
        component,
        repetition: nth(1),
        escape: nth(2),
        subcomponent: nth(3),
    })
}
