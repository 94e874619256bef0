//! Evidence packs and report downloads: CSV (with a `#` preamble saying what the file is,
//! who made it and the integrity statement) and PDF. Every CSV cell that a spreadsheet would
//! read as a formula is prefixed with an apostrophe (CSV injection), since audit payloads carry
//! text chosen by whoever sent them.

use crate::error::DashboardError;
use crate::evidence_pack::IntegrityProof;
use crate::pdf::Document;
use crate::trace::Trace;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The formats of a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
    Csv,
    Pdf,
}

impl Format {
    pub fn parse(raw: Option<&str>, default: Format) -> Result<Self, DashboardError> {
        match raw.map(str::trim) {
            None | Some("") => Ok(default),
            Some("json") => Ok(Self::Json),
            Some("html") => Ok(Self::Html),
            Some("csv") => Ok(Self::Csv),
            Some("pdf") => Ok(Self::Pdf),
            Some(other) => Err(DashboardError::BadRequest(format!(
                "unknown format {other:?}: use json, html, csv or pdf"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Html => "html",
            Self::Csv => "csv",
            Self::Pdf => "pdf",
        }
    }
}

/// Who made a pack and when: printed in it.
#[derive(Debug, Clone)]
pub struct PackMeta {
    pub title: String,
    pub generated_by: String,
    pub generated_at: String,
}

/// A CSV cell that no spreadsheet evaluates.
pub fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Writes a CSV: `#` preamble lines, the header, then rows (each cell made safe).
pub fn csv_bytes(
    preamble: &[String],
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, DashboardError> {
    let mut out = Vec::new();
    for line in preamble {
        for part in line.lines() {
            out.extend_from_slice(format!("# {part}\n").as_bytes());
        }
    }
    let mut writer = csv::Writer::from_writer(out);
    let failed = |error: csv::Error| DashboardError::Internal(format!("csv: {error}"));
    writer.write_record(header).map_err(failed)?;
    for row in rows {
        writer
            .write_record(row.iter().map(|value| cell(value)))
            .map_err(failed)?;
    }
    writer
        .into_inner()
        .map_err(|error| DashboardError::Internal(format!("csv: {error}")))
}

/// A download response with a safe file name.
pub fn download(bytes: Vec<u8>, content_type: &'static str, file_name: &str) -> Response {
    let safe: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn preamble(trace: &Trace, proof: &IntegrityProof, meta: &PackMeta) -> Vec<String> {
    let mut lines = vec![
        meta.title.clone(),
        format!(
            "{} {}, {}; accesses by staff of: {}",
            trace.subject_kind, trace.subject_id, trace.period, trace.scope
        ),
        format!("made by {} at {}", meta.generated_by, meta.generated_at),
        format!("{} accesses", trace.accesses.len()),
    ];
    if trace.truncated {
        lines.push("INCOMPLETE: the trace reached its row limit; narrow the period".to_owned());
    }
    lines.push(proof.statement.clone());
    lines
}

const TRACE_HEADER: [&str; 24] = [
    "occurred_at",
    "event_id",
    "recorded_patient_id",
    "user_id",
    "user_name",
    "user_org",
    "user_roles",
    "action",
    "outcome",
    "purpose_of_use",
    "emergency_access",
    "emergency_reason",
    "explanation",
    "relationship_id",
    "source_node",
    "channel",
    "received_at",
    "payload_sha256",
    "leaf_sha256",
    "collector_id",
    "batch_seq",
    "batch_sha256",
    "batch_chain_sha256",
    "integrity",
];

/// A trace as a CSV evidence pack.
pub fn trace_csv(
    trace: &Trace,
    proof: &IntegrityProof,
    meta: &PackMeta,
) -> Result<Vec<u8>, DashboardError> {
    let rows = trace
        .accesses
        .iter()
        .zip(&proof.events)
        .map(|(access, event)| {
            vec![
                access.occurred_at.clone(),
                access.event_id.clone(),
                access.recorded_patient_id.clone(),
                access.user_id.clone(),
                access.user_name.clone(),
                access.user_org.clone(),
                access.user_roles.join(" "),
                access.action.clone(),
                access.outcome.to_string(),
                access.purpose_of_use.join(" "),
                access.emergency_access.to_string(),
                access.emergency_reason.clone(),
                access.explanation_text(),
                access
                    .explanation
                    .as_ref()
                    .map(|found| found.relationship_id.clone())
                    .unwrap_or_default(),
                access.source_node.clone(),
                access.channel.clone(),
                access.received_at.clone(),
                access.payload_sha256.clone(),
                event.leaf_sha256.clone(),
                event.collector_id.clone(),
                event.batch_seq.to_string(),
                event.batch_sha256.clone(),
                event.chain_sha256.clone(),
                event.status.as_str().to_owned(),
            ]
        });
    csv_bytes(&preamble(trace, proof, meta), &TRACE_HEADER, rows)
}

/// A trace as a PDF evidence pack.
pub fn trace_pdf(trace: &Trace, proof: &IntegrityProof, meta: &PackMeta) -> Vec<u8> {
    let mut document = Document::new(meta.title.clone());
    document.text(format!(
        "{} {}, {}. Accesses by staff of: {}. Made by {} at {}.",
        trace.subject_kind,
        trace.subject_id,
        trace.period,
        trace.scope,
        meta.generated_by,
        meta.generated_at
    ));
    if trace.truncated {
        document.text("INCOMPLETE: the trace reached its row limit; narrow the period.");
    }
    document.heading("Integrity");
    document.text(proof.statement.clone());
    document.heading(format!(
        "Accesses by organisation ({})",
        trace.accesses.len()
    ));
    let mut summary = vec![format!(
        "{:<12} {:>9} {:>10} {:>12} {:>14}",
        "organisation", "accesses", "explained", "unexplained", "not evaluated"
    )];
    summary.extend(trace.organisations.iter().map(|org| {
        format!(
            "{:<12} {:>9} {:>10} {:>12} {:>14}",
            org.org_code, org.accesses, org.explained, org.unexplained, org.not_evaluated
        )
    }));
    document.mono(summary);
    document.heading("Accesses");
    let mut rows = vec![format!(
        "{:<24} {:<14} {:<22} {:<8} {:<10} {:<28} {}",
        "when (UTC)", "user", "name", "org", "purpose", "explanation", "patient record"
    )];
    for access in &trace.accesses {
        rows.push(format!(
            "{:<24} {:<14} {:<22} {:<8} {:<10} {:<28} {}",
            access.occurred_at,
            access.user_id,
            access.user_name.chars().take(22).collect::<String>(),
            access.user_org,
            access.purpose_of_use.join(" "),
            access
                .explanation_text()
                .chars()
                .take(28)
                .collect::<String>(),
            access.recorded_patient_id
        ));
    }
    document.mono(rows);
    document.heading("Integrity of each access");
    let mut proofs = vec![format!(
        "{:<38} {:<16} {:>6} {:<18} {}",
        "event id", "collector", "batch", "leaf sha256", "status"
    )];
    for event in &proof.events {
        proofs.push(format!(
            "{:<38} {:<16} {:>6} {:<18} {}",
            event.event_id,
            event.collector_id,
            event.batch_seq,
            event.leaf_sha256.chars().take(16).collect::<String>(),
            event.status.as_str()
        ));
    }
    document.mono(proofs);
    crate::pdf::render(&document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused() {
        for (raw, expected) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("9990001283", "9990001283"),
            ("", ""),
        ] {
            assert_eq!(cell(raw), expected);
        }
    }

    #[test]
    fn csv_has_its_preamble_and_quotes_fields() {
        let bytes = csv_bytes(
            &["first\nsecond".to_owned()],
            &["a", "b"],
            vec![vec!["x,y".to_owned(), "=1".to_owned()]].into_iter(),
        )
        .expect("csv");
        assert_eq!(
            String::from_utf8(bytes).expect("utf8"),
            "# first\n# second\na,b\n\"x,y\",'=1\n"
        );
    }

    #[test]
    fn formats_parse() {
        assert_eq!(Format::parse(None, Format::Html).ok(), Some(Format::Html));
        assert_eq!(
            Format::parse(Some("pdf"), Format::Html).ok(),
            Some(Format::Pdf)
        );
        assert!(Format::parse(Some("xlsx"), Format::Html).is_err());
    }
}
