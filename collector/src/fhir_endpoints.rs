//! The FHIR ingest endpoints: `POST /fhir/AuditEvent` (one AuditEvent, or bulk NDJSON) and
//! `POST /fhir` (a batch or transaction Bundle, or bulk NDJSON). Every AuditEvent goes through
//! [`prepare_fhir_event`]; what is refused is answered specifically and kept in quarantine.

use crate::fhir_bundle::{
    check_entry_request, issues_for_entry, BundleKind, ResponseBundle, ResponseEntry, WireBundle,
};
use crate::http::{body_kind, fhir_json, AppState, BodyKind, FhirError};
use crate::ingest::{
    prepare_fhir_event, quarantine_entry, IngestEntry, Source, RAW_FORMAT_FHIR_JSON,
};
use crate::internal_events;
use crate::operation_outcome::{Issue, IssueCode, OperationOutcome};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use domain::{Channel, Timestamp};
use http_body_util::BodyExt;
use std::net::SocketAddr;

const CHANNEL: Channel = Channel::FhirHttp;
/// NDJSON lines are mapped and stored in groups of this many.
const NDJSON_GROUP: usize = 1_000;
/// At most this many per-line errors are listed in an NDJSON answer (all are counted).
const MAX_LISTED_ISSUES: usize = 1_000;

fn http_source(peer: SocketAddr) -> Source {
    Source {
        node: format!("http:{}", peer.ip()),
        channel: CHANNEL,
        authenticated_as: String::new(),
        client_address: peer.ip().to_string(),
    }
}

async fn read_limited(body: Body, limit: usize) -> Result<Bytes, FhirError> {
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes),
        Err(error) => {
            let is_length_limit = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            if is_length_limit {
                Err(FhirError::TooLarge { limit })
            } else {
                Err(FhirError::UnreadableBody(error.to_string()))
            }
        }
    }
}

/// Stores refused input in quarantine; best effort, since the sender already gets the error.
async fn quarantine(
    state: &AppState,
    source: &Source,
    reason_code: &'static str,
    issues: &[Issue],
    raw: &[u8],
) {
    let reason = issues
        .iter()
        .map(|issue| issue.diagnostics.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let Some(entry) = quarantine_entry(source, reason_code, &reason, RAW_FORMAT_FHIR_JSON, raw)
    else {
        return;
    };
    if let Err(error) = state.ingest.submit(CHANNEL, vec![entry]).await {
        tracing::warn!(%error, reason_code, "could not quarantine refused input");
    }
}

pub(crate) async fn post_audit_events(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, FhirError> {
    let source = http_source(peer);
    match body_kind(&headers)? {
        BodyKind::Ndjson => post_ndjson(&state, &source, body).await,
        BodyKind::Json => post_single(&state, &source, body).await,
    }
}

pub(crate) async fn post_bundle_or_ndjson(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, FhirError> {
    let source = http_source(peer);
    match body_kind(&headers)? {
        BodyKind::Ndjson => post_ndjson(&state, &source, body).await,
        BodyKind::Json => post_bundle(&state, &source, body).await,
    }
}

async fn post_single(state: &AppState, source: &Source, body: Body) -> Result<Response, FhirError> {
    let bytes = read_limited(body, state.limits.max_resource_bytes).await?;
    internal_events::events_received(CHANNEL.as_str(), 1);
    let row = match prepare_fhir_event(&bytes, source, Timestamp::now()) {
        Ok(row) => row,
        Err(rejection) => {
            quarantine(
                state,
                source,
                rejection.reason_code,
                &rejection.issues,
                &bytes,
            )
            .await;
            return Err(FhirError::Rejected(rejection.issues));
        }
    };
    let event_id = row.event_id.clone();
    state
        .ingest
        .submit(CHANNEL, vec![IngestEntry::Event(Box::new(row))])
        .await?;
    let outcome = OperationOutcome::new(vec![Issue::information(format!(
        "stored audit event {event_id}"
    ))]);
    let mut response = fhir_json(StatusCode::CREATED, &outcome);
    if let Ok(location) = HeaderValue::from_str(&format!("AuditEvent/{event_id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn post_bundle(state: &AppState, source: &Source, body: Body) -> Result<Response, FhirError> {
    let bytes = read_limited(body, state.limits.max_bundle_bytes).await?;
    let bundle: WireBundle<'_> = match serde_json::from_slice(&bytes) {
        Ok(bundle) => bundle,
        Err(error) => {
            let issues = vec![Issue::error(
                IssueCode::Structure,
                "",
                format!("body is not a valid Bundle: {error}"),
            )];
            quarantine(state, source, "invalid_bundle", &issues, &bytes).await;
            return Err(FhirError::Rejected(issues));
        }
    };
    let kind = match BundleKind::parse(&bundle) {
        Ok(kind) => kind,
        Err(issue) => {
            let issues = vec![issue];
            quarantine(state, source, "invalid_bundle", &issues, &bytes).await;
            return Err(FhirError::Rejected(issues));
        }
    };
    // A Bundle without AuditEvents is care context (Patients, Encounters, ...): a different
    // mapping, the same log. (Mixed Bundles take the audit path; their other entries are
    // refused one by one.)
    let is_audit_event = |raw: &str| {
        raw.contains("\"resourceType\":\"AuditEvent\"")
            || raw.contains("\"resourceType\": \"AuditEvent\"")
    };
    if !bundle.entry.is_empty()
        && bundle.entry.iter().all(|entry| {
            entry
                .resource
                .is_some_and(|resource| !is_audit_event(resource.get()))
        })
    {
        return crate::care_endpoints::post_care_bundle(
            state,
            &bytes,
            kind == BundleKind::Transaction,
        )
        .await;
    }
    internal_events::events_received(CHANNEL.as_str(), bundle.entry.len() as u64);
    let received_at = Timestamp::now();
    let mut stored = Vec::new();
    let mut answers = Vec::with_capacity(bundle.entry.len());
    let mut refused: Vec<(usize, &'static str, Vec<Issue>, &[u8])> = Vec::new();
    for (index, entry) in bundle.entry.iter().enumerate() {
        let raw = entry
            .resource
            .map(|resource| resource.get().as_bytes())
            .unwrap_or_default();
        let prepared = check_entry_request(index, entry)
            .map_err(|issue| ("unsupported_entry", vec![issue]))
            .and_then(|()| {
                if entry.resource.is_none() {
                    return Err((
                        "missing_resource",
                        vec![Issue::error(
                            IssueCode::Required,
                            &format!("Bundle.entry[{index}].resource"),
                            "entry has no resource",
                        )],
                    ));
                }
                prepare_fhir_event(raw, source, received_at).map_err(|rejection| {
                    (
                        rejection.reason_code,
                        issues_for_entry(index, rejection.issues),
                    )
                })
            });
        match prepared {
            Ok(row) => {
                answers.push(ResponseEntry::created(&row.event_id));
                stored.push(IngestEntry::Event(Box::new(row)));
            }
            Err((reason_code, issues)) => {
                answers.push(ResponseEntry::failed("400 Bad Request", issues.clone()));
                refused.push((index, reason_code, issues, raw));
            }
        }
    }

    if kind == BundleKind::Transaction && !refused.is_empty() {
        // All or nothing: the whole transaction is refused and kept as one quarantine row.
        let issues: Vec<Issue> = refused
            .into_iter()
            .flat_map(|(_, _, issues, _)| issues)
            .collect();
        quarantine(state, source, "transaction_rejected", &issues, &bytes).await;
        return Err(FhirError::Rejected(issues));
    }
    for (_, reason_code, issues, raw) in &refused {
        let reason = issues
            .iter()
            .map(|issue| issue.diagnostics.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        if let Some(entry) =
            quarantine_entry(source, reason_code, &reason, RAW_FORMAT_FHIR_JSON, raw)
        {
            stored.push(entry);
        }
    }
    state.ingest.submit(CHANNEL, stored).await?;
    Ok(fhir_json(
        StatusCode::OK,
        &ResponseBundle::new(kind, answers),
    ))
}

/// Bulk NDJSON, streamed: lines are mapped and stored in groups as they arrive, bad lines are
/// reported by number without rejecting the good ones. The answer comes once every accepted
/// line is durable; if storage fails part-way, the answer says which lines were stored.
async fn post_ndjson(
    state: &AppState,
    source: &Source,
    mut body: Body,
) -> Result<Response, FhirError> {
    let mut progress = NdjsonProgress::default();
    let mut pending: Vec<IngestEntry> = Vec::with_capacity(NDJSON_GROUP);
    let mut buffer: Vec<u8> = Vec::new();
    let mut skipping_long_line = false;
    let limit = state.limits.max_resource_bytes;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| FhirError::UnreadableBody(error.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let mut rest: &[u8] = &data;
        while let Some(newline) = memchr::memchr(b'\n', rest) {
            let (head, tail) = rest.split_at(newline);
            rest = &tail[1..];
            if skipping_long_line {
                skipping_long_line = false;
                continue;
            }
            buffer.extend_from_slice(head);
            progress.line(source, &buffer, &mut pending);
            buffer.clear();
            if pending.len() >= NDJSON_GROUP {
                flush(state, &mut pending, &mut progress).await?;
            }
        }
        if skipping_long_line {
            continue;
        }
        buffer.extend_from_slice(rest);
        if buffer.len() > limit {
            progress.too_long(limit);
            buffer.clear();
            skipping_long_line = true;
        }
    }
    if !skipping_long_line {
        progress.line(source, &buffer, &mut pending);
    }
    flush(state, &mut pending, &mut progress).await?;
    Ok(progress.answer())
}

async fn flush(
    state: &AppState,
    pending: &mut Vec<IngestEntry>,
    progress: &mut NdjsonProgress,
) -> Result<(), FhirError> {
    let group = std::mem::take(pending);
    let events = group
        .iter()
        .filter(|entry| matches!(entry, IngestEntry::Event(_)))
        .count();
    match state.ingest.submit(CHANNEL, group).await {
        Ok(()) => {
            progress.stored += events;
            progress.stored_through_line = progress.lines;
            Ok(())
        }
        Err(error) => Err(FhirError::Partial {
            error,
            issues: vec![Issue::information(format!(
                "lines 1 to {} were processed and stored ({} events); resend from line {}",
                progress.stored_through_line,
                progress.stored,
                progress.stored_through_line + 1
            ))],
        }),
    }
}

#[derive(Default)]
struct NdjsonProgress {
    lines: usize,
    stored: usize,
    stored_through_line: usize,
    rejected: usize,
    issues: Vec<Issue>,
}

impl NdjsonProgress {
    fn line(&mut self, source: &Source, raw: &[u8], pending: &mut Vec<IngestEntry>) {
        self.lines += 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            return; // blank lines are allowed between resources
        }
        internal_events::events_received(CHANNEL.as_str(), 1);
        match prepare_fhir_event(line, source, Timestamp::now()) {
            Ok(row) => pending.push(IngestEntry::Event(Box::new(row))),
            Err(rejection) => {
                let reason = rejection
                    .issues
                    .iter()
                    .map(|issue| issue.diagnostics.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                if let Some(entry) = quarantine_entry(
                    source,
                    rejection.reason_code,
                    &reason,
                    RAW_FORMAT_FHIR_JSON,
                    line,
                ) {
                    pending.push(entry);
                }
                self.reject(rejection.issues);
            }
        }
    }

    fn too_long(&mut self, limit: usize) {
        self.lines += 1;
        internal_events::event_rejected(CHANNEL.as_str(), "line_too_long");
        self.reject(vec![Issue::error(
            IssueCode::TooLong,
            "",
            format!("line is longer than the limit of {limit} bytes"),
        )]);
    }

    fn reject(&mut self, issues: Vec<Issue>) {
        self.rejected += 1;
        for mut issue in issues {
            if self.issues.len() >= MAX_LISTED_ISSUES {
                break;
            }
            issue.diagnostics = format!("line {}: {}", self.lines, issue.diagnostics);
            self.issues.push(issue);
        }
    }

    fn answer(self) -> Response {
        let status = if self.stored == 0 && self.rejected > 0 {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        let mut issues = vec![Issue::information(format!(
            "stored {} audit events; rejected {} lines{}",
            self.stored,
            self.rejected,
            if self.issues.len() < self.rejected {
                format!(" (first {} problems listed)", self.issues.len())
            } else {
                String::new()
            }
        ))];
        issues.extend(self.issues);
        fhir_json(status, &OperationOutcome::new(issues))
    }
}
