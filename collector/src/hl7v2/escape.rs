//! HL7 v2 escape sequences (v2.5 section 2.7): the delimiters as `\F\ \S\ \T\ \R\ \E\`,
//! bytes as `\Xhh..\`, and formatting (`\H\`, `\N\`, `\.br\` ...). Unescaping is done on text
//! already split at delimiters, so an escaped delimiter never splits anything.

use super::split::decode;
use super::{Charset, Delimiters, Syntax};

/// Resolves the escape sequences in `raw`. Formatting is reduced to plain text (`\.br\` and
/// `\.sp\` become a line break, highlighting and character-set switches are dropped); an
/// unknown or unterminated sequence is kept as it was sent.
pub(super) fn unescape(raw: &str, syntax: Syntax) -> String {
    let Some(escape) = syntax.delimiters.escape else {
        return raw.to_owned();
    };
    if !raw.contains(escape) {
        return raw.to_owned();
    }
    let delimiters = syntax.delimiters;
    let mut text = String::with_capacity(raw.len());
    // Consecutive `\X..\` sequences are decoded together: one character may span several.
    let mut pending_bytes: Vec<u8> = Vec::new();
    let mut rest = raw;
    while let Some(start) = rest.find(escape) {
        let before = rest.get(..start).unwrap_or_default();
        let after = rest.get(start + escape.len_utf8()..).unwrap_or_default();
        let Some(length) = after.find(escape) else {
            break;
        };
        let sequence = after.get(..length).unwrap_or_default();
        if !before.is_empty() {
            flush_bytes(&mut pending_bytes, &mut text, syntax.charset);
            text.push_str(before);
        }
        rest = after.get(length + escape.len_utf8()..).unwrap_or_default();
        if let Some(bytes) = sequence.strip_prefix('X').and_then(hex_bytes) {
            pending_bytes.extend(bytes);
            continue;
        }
        flush_bytes(&mut pending_bytes, &mut text, syntax.charset);
        match sequence {
            "F" => text.push(delimiters.field),
            "S" => text.push(delimiters.component),
            "T" => text.push(delimiters.subcomponent.unwrap_or('&')),
            "R" => text.push(delimiters.repetition.unwrap_or('~')),
            "E" => text.push(escape),
            ".br" | ".sp" => text.push('\n'),
            "H" | "N" => {}
            _ if is_formatting(sequence) => {}
            _ => {
                text.push(escape);
                text.push_str(sequence);
                text.push(escape);
            }
        }
    }
    flush_bytes(&mut pending_bytes, &mut text, syntax.charset);
    text.push_str(rest);
    text
}

/// Formatted-text commands (`.in+4`, `.ce` ...) and character-set switches (`C2842`,
/// `M2442`): they change how text looks or is coded, not what it says.
fn is_formatting(sequence: &str) -> bool {
    let mut chars = sequence.chars();
    match chars.next() {
        Some('.') => true,
        Some('C' | 'M') => {
            let rest = chars.as_str();
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit())
        }
        _ => false,
    }
}

fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if hex.is_empty() {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [high, low] => Some(hex_digit(*high)? * 16 + hex_digit(*low)?),
            _ => None,
        })
        .collect()
}

fn hex_digit(byte: u8) -> Option<u8> {
    let digit = char::from(byte).to_digit(16)?;
    u8::try_from(digit).ok()
}

/// Bytes from `\X..\` become text: UTF-8 when they are, else the message's character set.
fn flush_bytes(bytes: &mut Vec<u8>, text: &mut String, charset: Charset) {
    if bytes.is_empty() {
        return;
    }
    match std::str::from_utf8(bytes) {
        Ok(utf8) if charset == Charset::Utf8 => text.push_str(utf8),
        _ => text.push_str(&decode(bytes, Charset::Latin1)),
    }
    bytes.clear();
}

/// Escapes `text` for a field written with `delimiters`: each delimiter becomes its escape
/// sequence and CR and LF become `\X0D\` and `\X0A\`, so the text can neither split a field nor
/// end a segment. Without an escape character (MSH-2 named none) delimiters and line breaks
/// become spaces.
pub fn escape(text: &str, delimiters: &Delimiters) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        let Some(escape) = delimiters.escape else {
            let is_delimiter = character == delimiters.field
                || character == delimiters.component
                || Some(character) == delimiters.repetition
                || Some(character) == delimiters.subcomponent;
            let replaced = is_delimiter || matches!(character, '\r' | '\n');
            escaped.push(if replaced { ' ' } else { character });
            continue;
        };
        let sequence = if character == escape {
            "E"
        } else if character == delimiters.field {
            "F"
        } else if character == delimiters.component {
            "S"
        } else if Some(character) == delimiters.subcomponent {
            "T"
        } else if Some(character) == delimiters.repetition {
            "R"
        } else if character == '\r' {
            "X0D"
        } else if character == '\n' {
            "X0A"
        } else {
            escaped.push(character);
            continue;
        };
        escaped.push(escape);
        escaped.push_str(sequence);
        escaped.push(escape);
    }
    escaped
}
