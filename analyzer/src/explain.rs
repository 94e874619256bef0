//! Explaining accesses: for every event of a window, the strongest care relationship that
//! makes it legitimate (or none), written to `access_explanations` by up to three
//! `INSERT … SELECT` passes in ClickHouse (relationships, then prior episodes, then cover within
//! the integrated care system), so "why was this access not flagged?" has a stored answer for
//! every access. The relationship windows per kind come from the settings.
//!
//! Cover within the care system (`covering_appointment`, binding `system`, the weakest): the
//! duty doctor of a neighbouring practice covers a home visit or a session booked at the
//! patient's own practice, and no feed says who covers whom. An access no relationship or prior
//! episode explains is explained when the user's organisation is a peer (same `org_type`) of the
//! patient's registered practice in the same integrated care system (`parent_code` of the
//! organisation directory), the user holds a clinical role, and an appointment of the patient
//! with that practice ends within hours of the access (`[analyzer.explanation.covering]`). It
//! is below `organisation`, so it explains away only the rules that rest on "unexplained"
//! (their `explained_away_at` is `system`), never a family, neighbour or co-worker finding, and
//! it is never a prior episode for later accesses.

use crate::error::AnalyzerError;
use crate::rules::Binding;
use crate::settings::ExplanationSettings;
use crate::sql::{query, BindValue, Binds};
use crate::window::Window;
use clickhouse::Row;
use serde::Deserialize;
use std::collections::HashMap;

pub(crate) const EXPLAIN_WINDOW: (&str, &str) = (
    "explain/explain_window.sql",
    include_str!("explain/explain_window.sql"),
);
pub(crate) const PRIOR_EPISODE: (&str, &str) = (
    "explain/prior_episode.sql",
    include_str!("explain/prior_episode.sql"),
);
pub(crate) const COVERING: (&str, &str) =
    ("explain/covering.sql", include_str!("explain/covering.sql"));
pub(crate) const BINDINGS: (&str, &str) =
    ("explain/bindings.sql", include_str!("explain/bindings.sql"));

pub(crate) const WINDOW_BINDINGS: (&str, &str) = (
    "explain/window_bindings.sql",
    include_str!("explain/window_bindings.sql"),
);

/// The explanation kinds the passes derive rather than take from a relationship kind:
/// `same_team` (explain_window.sql), `prior_episode` and `covering_appointment` (their files).
pub(crate) const DERIVED_KINDS: [&str; 3] = ["same_team", "prior_episode", "covering_appointment"];

pub(crate) const LATE_CONTEXT_ACCESSES: (&str, &str) = (
    "explain/late_context_accesses.sql",
    include_str!("explain/late_context_accesses.sql"),
);

pub(crate) const ARRIVED_PATIENTS: (&str, &str) = (
    "explain/arrived_patients.sql",
    include_str!("explain/arrived_patients.sql"),
);

pub(crate) const CARE_ARRIVED: (&str, &str) = (
    "explain/care_arrived.sql",
    include_str!("explain/care_arrived.sql"),
);

const DAY_SECONDS: f64 = 86_400.0;
const HOUR_SECONDS: f64 = 3_600.0;
/// At most this many ids per lookup, so a query stays far below ClickHouse's query size limit.
const LOOKUP_CHUNK: usize = 2_000;
/// At most this many bytes of ids per explanation query: an explanation pass names its events
/// up to five times (the events, and the patients of those events for each table it reads), and
/// ClickHouse refuses a query text over `max_query_size` (256 KiB by default).
const EXPLAIN_ID_BYTES: usize = 40_000;

/// Which events of the window to explain.
#[derive(Debug, Clone)]
pub(crate) enum Events {
    /// Every event stored in the window; those stored before `fresh_from` (the overlap) only
    /// when that arrival has no explanation yet (`explanations_by_arrival`).
    Window { fresh_from: u32 },
    /// These events again (late care context, a fast rule's candidates): every arrival of
    /// them stored in the window.
    Only(Vec<String>),
}

/// Explains `events` of `window`, writing `version` (milliseconds), `version + 1` (prior
/// episodes) and `version + 2` (cover within the care system).
pub(crate) async fn explain(
    clickhouse: &clickhouse::Client,
    settings: &ExplanationSettings,
    window: Window,
    events: &Events,
    version: u64,
) -> Result<(), AnalyzerError> {
    let mut binds = window.binds();
    let (kinds, before, after): (Vec<String>, Vec<i64>, Vec<i64>) = {
        let mut kinds = Vec::new();
        let mut before = Vec::new();
        let mut after = Vec::new();
        for (kind, kind_window) in &settings.windows {
            kinds.push(kind.clone());
            before.push((kind_window.before_days * DAY_SECONDS).round() as i64);
            after.push((kind_window.after_days * DAY_SECONDS).round() as i64);
        }
        (kinds, before, after)
    };
    binds.insert("kinds", BindValue::Texts(kinds));
    binds.insert("before_seconds", BindValue::Ints(before));
    binds.insert("after_seconds", BindValue::Ints(after));
    binds.insert("version", BindValue::UInt(version));
    // Every row of this explanation is stamped with ClickHouse's clock before its first pass
    // reads the care context: care context stored after it may not have been seen, which is
    // what the late-care-context pass compares its arrivals with.
    let evaluated = crate::job::clickhouse_now(clickhouse).await?.as_millis() / 1000;
    binds.insert(
        "evaluated_at",
        BindValue::UInt(u64::try_from(evaluated).unwrap_or(0)),
    );
    binds.insert(
        "prior_episode_seconds",
        BindValue::UInt((settings.prior_episode_days * DAY_SECONDS).round() as u64),
    );
    match events {
        Events::Window { fresh_from } => {
            binds.insert("fresh_from", BindValue::UInt(u64::from(*fresh_from)));
            binds.insert("all_events", BindValue::UInt(1));
            binds.insert("event_ids", BindValue::Texts(vec![String::new()]));
        }
        Events::Only(ids) => {
            binds.insert("fresh_from", BindValue::UInt(0));
            binds.insert("all_events", BindValue::UInt(0));
            binds.insert("event_ids", BindValue::Texts(ids.clone()));
        }
    }
    query(clickhouse, EXPLAIN_WINDOW.0, EXPLAIN_WINDOW.1, &binds)?
        .execute()
        .await?;
    query(clickhouse, PRIOR_EPISODE.0, PRIOR_EPISODE.1, &binds)?
        .execute()
        .await?;
    let covering = &settings.covering;
    if covering.enabled && !covering.kinds.is_empty() {
        binds.insert("covering_kinds", BindValue::Texts(covering.kinds.clone()));
        binds.insert(
            "covering_before_seconds",
            BindValue::UInt((covering.before_hours.max(0.0) * HOUR_SECONDS).round() as u64),
        );
        binds.insert(
            "covering_after_seconds",
            BindValue::UInt((covering.after_hours.max(0.0) * HOUR_SECONDS).round() as u64),
        );
        binds.insert(
            "covering_same_type",
            BindValue::UInt(u64::from(covering.same_org_type)),
        );
        binds.insert(
            "covering_any_role",
            BindValue::UInt(u64::from(covering.roles.is_empty())),
        );
        let roles = if covering.roles.is_empty() {
            vec![String::new()]
        } else {
            covering.roles.clone()
        };
        binds.insert("covering_roles", BindValue::Texts(roles));
        query(clickhouse, COVERING.0, COVERING.1, &binds)?
            .execute()
            .await?;
    }
    Ok(())
}

/// Explains exactly `ids` (stored in `window`) at `version`, in queries of at most
/// `LOOKUP_CHUNK` ids and `EXPLAIN_ID_BYTES` of them each (the ids are in the query text).
pub(crate) async fn explain_events(
    clickhouse: &clickhouse::Client,
    settings: &ExplanationSettings,
    window: Window,
    ids: &[String],
    version: u64,
) -> Result<(), AnalyzerError> {
    for chunk in bounded_chunks(ids, LOOKUP_CHUNK, EXPLAIN_ID_BYTES) {
        explain(
            clickhouse,
            settings,
            window,
            &Events::Only(chunk.to_vec()),
            version,
        )
        .await?;
    }
    Ok(())
}

/// `ids` in order, cut into runs of at most `max_ids` ids and at most `max_bytes` of quoted
/// text each (a longer single id is a run of its own) (pure).
fn bounded_chunks(ids: &[String], max_ids: usize, max_bytes: usize) -> Vec<&[String]> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (index, id) in ids.iter().enumerate() {
        // Quoted and separated in the query text: 'id',
        let cost = id.len() + 3;
        if index > start && (index - start == max_ids || bytes + cost > max_bytes) {
            chunks.push(&ids[start..index]);
            (start, bytes) = (index, 0);
        }
        bytes += cost;
    }
    if start < ids.len() {
        chunks.push(&ids[start..]);
    }
    chunks
}

/// The latest explanation of one access.
#[derive(Debug, Clone, Row, Deserialize, serde::Serialize, PartialEq)]
pub(crate) struct StoredExplanation {
    pub event_id: String,
    pub explained: u8,
    pub kind: String,
    pub binding: String,
    pub relationship_id: String,
    pub source_channel: String,
    pub source_message_id: String,
    /// When the latest explanation was evaluated (ClickHouse's clock, seconds): whether care
    /// context stored since could explain the access better. Not part of the evidence.
    #[serde(default, skip_serializing)]
    pub evaluated: u32,
}

impl StoredExplanation {
    pub fn binding(&self) -> Option<Binding> {
        (self.explained == 1)
            .then(|| Binding::parse(&self.binding))
            .flatten()
    }

    /// An explanation row stored before migration 0025 gave explanations_by_arrival the
    /// evidence: explained, but without the binding every explanation pass writes.
    fn without_evidence(&self) -> bool {
        self.explained == 1 && self.binding.is_empty()
    }
}

/// The latest explanations of `events` (event id, patient id), accesses stored in `window`, by
/// event id: read from the window's arrivals (explanations_by_arrival), and by patient
/// (`explanations`) for those the window's arrivals do not hold with their evidence.
pub(crate) async fn window_explanations(
    clickhouse: &clickhouse::Client,
    window: Window,
    events: &[(String, String)],
) -> Result<HashMap<String, StoredExplanation>, AnalyzerError> {
    let mut found = HashMap::new();
    for chunk in events.chunks(LOOKUP_CHUNK) {
        let mut binds = window.binds();
        binds.insert(
            "event_ids",
            BindValue::Texts(chunk.iter().map(|(e, _)| e.clone()).collect()),
        );
        let rows: Vec<StoredExplanation> =
            query(clickhouse, WINDOW_BINDINGS.0, WINDOW_BINDINGS.1, &binds)?
                .fetch_all()
                .await?;
        found.extend(
            rows.into_iter()
                .filter(|row| !row.without_evidence())
                .map(|row| (row.event_id.clone(), row)),
        );
    }
    let rest: Vec<(String, String)> = events
        .iter()
        .filter(|(event, _)| !found.contains_key(event))
        .cloned()
        .collect();
    if !rest.is_empty() {
        found.extend(explanations(clickhouse, &rest).await?);
    }
    Ok(found)
}

/// The latest explanations of `events` (event id, patient id), by event id.
pub(crate) async fn explanations(
    clickhouse: &clickhouse::Client,
    events: &[(String, String)],
) -> Result<HashMap<String, StoredExplanation>, AnalyzerError> {
    let mut found = HashMap::new();
    for chunk in events.chunks(LOOKUP_CHUNK) {
        let mut patients: Vec<String> = chunk.iter().map(|(_, p)| p.clone()).collect();
        patients.sort_unstable();
        patients.dedup();
        let binds = Binds::from([
            ("patient_ids", BindValue::Texts(patients)),
            (
                "event_ids",
                BindValue::Texts(chunk.iter().map(|(e, _)| e.clone()).collect()),
            ),
        ]);
        let rows: Vec<StoredExplanation> = query(clickhouse, BINDINGS.0, BINDINGS.1, &binds)?
            .fetch_all()
            .await?;
        found.extend(rows.into_iter().map(|row| (row.event_id.clone(), row)));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::bounded_chunks;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn chunks_keep_every_id_in_order_within_both_bounds(
            ids in proptest::collection::vec("[a-z0-9:-]{1,60}", 0..300),
            max_ids in 1usize..50,
            max_bytes in 1usize..2_000,
        ) {
            let chunks = bounded_chunks(&ids, max_ids, max_bytes);
            let joined: Vec<String> = chunks.iter().flat_map(|c| c.iter().cloned()).collect();
            prop_assert_eq!(&joined, &ids);
            for chunk in &chunks {
                prop_assert!(!chunk.is_empty() && chunk.len() <= max_ids);
                let bytes: usize = chunk.iter().map(|id| id.len() + 3).sum();
                prop_assert!(chunk.len() == 1 || bytes <= max_bytes, "{} bytes", bytes);
            }
        }
    }

    #[test]
    fn two_thousand_fhir_event_ids_are_cut_by_their_bytes() {
        let ids: Vec<String> = (0..2_000)
            .map(|n| format!("urn:uuid:{n:08}-258e-5ca3-a1d0-a1e72e33d2c5"))
            .collect();
        let chunks = bounded_chunks(&ids, super::LOOKUP_CHUNK, super::EXPLAIN_ID_BYTES);
        assert_eq!(chunks.len(), 3);
        assert!(chunks.iter().all(|c| c.len() <= 833));
    }
}
