//! Traces: "who viewed this patient's record between these dates, from which organisations,
//! and was each view explained?" and "what did this user view?". A patient's history
//! includes everything recorded under identifiers merged into theirs (HL7 A40, FHIR
//! Patient.link), so a merge never hides earlier accesses. Each access carries the analyzer's
//! explanation (`access_explanations`), or none when the analyzer has not explained it.
//! An investigator whose role is for some organisations sees the accesses by those
//! organisations' staff; one granted across organisations sees all.

use crate::error::DashboardError;
use crate::roles::scope_codes;
use alerts::Scope;
use clickhouse::Row;
use domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// At most this many accesses in one trace; a longer one says it was cut short.
pub const MAX_TRACE_ROWS: u64 = 100_000;

/// The period of a trace: `[from, to)` in epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: u32,
    pub to: u32,
}

impl Period {
    /// From the query's `from` and `to`: an RFC 3339 time, or a date (`to` inclusive: up to
    /// the end of that day). Missing bounds mean all time.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, DashboardError> {
        let from = parse_bound(from, false)?.unwrap_or(0);
        let to = parse_bound(to, true)?.unwrap_or(u32::MAX);
        if from >= to {
            return Err(DashboardError::BadRequest(
                "the period is empty: `from` must be before `to`".to_owned(),
            ));
        }
        Ok(Self { from, to })
    }

    pub fn describe(&self) -> String {
        let show = |seconds: u32, open: &str| {
            if seconds == 0 || seconds == u32::MAX {
                open.to_owned()
            } else {
                Timestamp::from_seconds_and_millis(seconds, 0).to_string()
            }
        };
        format!(
            "from {} to {}",
            show(self.from, "the beginning"),
            show(self.to, "now")
        )
    }
}

fn parse_bound(raw: Option<&str>, end_of_day: bool) -> Result<Option<u32>, DashboardError> {
    let Some(text) = raw.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    if let Some(timestamp) = Timestamp::parse_rfc3339(text) {
        return Ok(Some(timestamp.to_seconds_and_millis().0));
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        DashboardError::BadRequest(format!(
            "{text:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 date-time"
        ))
    })?;
    let date = if end_of_day {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    let seconds = date
        .and_hms_opt(0, 0, 0)
        .map(|time| time.and_utc().timestamp())
        .unwrap_or(0);
    Ok(Some(seconds.clamp(0, i64::from(u32::MAX)) as u32))
}

#[derive(Debug, Row, Deserialize)]
pub(crate) struct AccessRow {
    event_id: String,
    patient_id: String,
    occurred_at: u32,
    occurred_ms: u16,
    received_at: u32,
    received_ms: u16,
    action: String,
    outcome: u8,
    user_id: String,
    user_name: String,
    user_org: String,
    user_roles: Vec<String>,
    purpose_of_use: Vec<String>,
    emergency_access: u8,
    emergency_reason: String,
    source_node: String,
    channel: String,
    payload_sha256: String,
}

#[derive(Debug, Clone, Row, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    /// 1 when the care context explained the access.
    pub explained: u8,
    /// The relationship kind (or derived explanation) that explained it.
    pub kind: String,
    /// At which level it bound: user, team or organisation.
    pub binding: String,
    pub relationship_id: String,
    pub source_channel: String,
    pub source_message_id: String,
    pub valid_from: u32,
    pub valid_to: Option<u32>,
}

#[derive(Debug, Row, Deserialize)]
pub(crate) struct ExplanationRow {
    event_id: String,
    explained: u8,
    kind: String,
    binding: String,
    relationship_id: String,
    source_channel: String,
    source_message_id: String,
    valid_from: u32,
    valid_to: Option<u32>,
}

impl ExplanationRow {
    /// The event id and its explanation (RowBinary cannot read a flattened struct).
    pub(crate) fn split(self) -> (String, Explanation) {
        (
            self.event_id,
            Explanation {
                explained: self.explained,
                kind: self.kind,
                binding: self.binding,
                relationship_id: self.relationship_id,
                source_channel: self.source_channel,
                source_message_id: self.source_message_id,
                valid_from: self.valid_from,
                valid_to: self.valid_to,
            },
        )
    }
}

/// One access in a trace.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TracedAccess {
    pub event_id: String,
    /// The identifier the access was recorded under (differs from the traced patient when it
    /// was merged into theirs).
    pub recorded_patient_id: String,
    pub occurred_at: String,
    pub received_at: String,
    pub action: String,
    pub outcome: u8,
    pub user_id: String,
    pub user_name: String,
    pub user_org: String,
    pub user_roles: Vec<String>,
    pub purpose_of_use: Vec<String>,
    pub emergency_access: bool,
    pub emergency_reason: String,
    pub source_node: String,
    pub channel: String,
    pub payload_sha256: String,
    /// The analyzer's explanation; absent when it has not evaluated the access yet.
    pub explanation: Option<Explanation>,
    #[serde(skip)]
    pub(crate) stored_times: ((u32, u16), (u32, u16)),
}

impl TracedAccess {
    /// `explained`, `unexplained` or `not yet evaluated`.
    pub fn explanation_text(&self) -> String {
        match &self.explanation {
            Some(found) if found.explained == 1 => {
                format!("explained: {} ({})", found.kind, found.binding)
            }
            Some(_) => "unexplained".to_owned(),
            None => "not yet evaluated".to_owned(),
        }
    }
}

/// Accesses per organisation.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct OrganisationSummary {
    pub org_code: String,
    pub accesses: usize,
    pub explained: usize,
    pub unexplained: usize,
    pub not_evaluated: usize,
}

/// A patient or user trace.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Trace {
    /// `patient` or `user`.
    pub subject_kind: String,
    pub subject_id: String,
    pub period: String,
    /// Whose accesses the reader may see: `all organisations` or the list.
    pub scope: String,
    pub accesses: Vec<TracedAccess>,
    pub organisations: Vec<OrganisationSummary>,
    /// True when the trace stopped at the row limit: narrow the period.
    pub truncated: bool,
}

fn scope_binds(scope: &Scope) -> (u8, Vec<String>) {
    match scope_codes(scope) {
        None => (1, vec![String::new()]),
        Some(codes) if codes.is_empty() => (0, vec![String::new()]),
        Some(codes) => (0, codes),
    }
}

pub fn scope_text(scope: &Scope) -> String {
    match scope {
        Scope::AllOrganisations => "all organisations".to_owned(),
        Scope::Organisations(codes) => codes.join(", "),
    }
}

fn assemble(
    subject_kind: &str,
    subject_id: &str,
    period: Period,
    scope: &Scope,
    rows: Vec<AccessRow>,
    explanations: Vec<ExplanationRow>,
) -> Trace {
    let truncated = rows.len() as u64 >= MAX_TRACE_ROWS;
    let mut by_event: HashMap<String, Explanation> = explanations
        .into_iter()
        .map(ExplanationRow::split)
        .collect();
    let accesses: Vec<TracedAccess> = rows
        .into_iter()
        .map(|row| TracedAccess {
            explanation: by_event.remove(&row.event_id),
            occurred_at: Timestamp::from_seconds_and_millis(row.occurred_at, row.occurred_ms)
                .to_string(),
            received_at: Timestamp::from_seconds_and_millis(row.received_at, row.received_ms)
                .to_string(),
            stored_times: (
                (row.occurred_at, row.occurred_ms),
                (row.received_at, row.received_ms),
            ),
            event_id: row.event_id,
            recorded_patient_id: row.patient_id,
            action: row.action,
            outcome: row.outcome,
            user_id: row.user_id,
            user_name: row.user_name,
            user_org: row.user_org,
            user_roles: row.user_roles,
            purpose_of_use: row.purpose_of_use,
            emergency_access: row.emergency_access == 1,
            emergency_reason: row.emergency_reason,
            source_node: row.source_node,
            channel: row.channel,
            payload_sha256: row.payload_sha256,
        })
        .collect();
    let mut organisations: BTreeMap<String, OrganisationSummary> = BTreeMap::new();
    for access in &accesses {
        let summary = organisations
            .entry(access.user_org.clone())
            .or_insert_with(|| OrganisationSummary {
                org_code: access.user_org.clone(),
                ..OrganisationSummary::default()
            });
        summary.accesses += 1;
        match &access.explanation {
            Some(found) if found.explained == 1 => summary.explained += 1,
            Some(_) => summary.unexplained += 1,
            None => summary.not_evaluated += 1,
        }
    }
    Trace {
        subject_kind: subject_kind.to_owned(),
        subject_id: subject_id.to_owned(),
        period: period.describe(),
        scope: scope_text(scope),
        accesses,
        organisations: organisations.into_values().collect(),
        truncated,
    }
}

/// Every identifier a patient's accesses may be recorded under: their own, those merged into
/// it, and the bare values of merged `authority|value` identifiers.
pub async fn patient_identities(
    clickhouse: &clickhouse::Client,
    patient_id: &str,
) -> Result<Vec<String>, clickhouse::error::Error> {
    let aliases: Vec<String> = clickhouse
        .query(include_str!("trace/patient_identities.sql"))
        .bind(patient_id)
        .fetch_all()
        .await?;
    let mut identities = vec![patient_id.to_owned()];
    for alias in aliases {
        let bare = alias.rsplit('|').next().unwrap_or(&alias).to_owned();
        identities.push(alias);
        identities.push(bare);
    }
    identities.sort();
    identities.dedup();
    Ok(identities)
}

/// Who viewed this patient's record in `period`, as far as `scope` lets the reader see.
pub async fn patient_trace(
    clickhouse: &clickhouse::Client,
    patient_id: &str,
    period: Period,
    scope: &Scope,
) -> Result<Trace, DashboardError> {
    let identities = patient_identities(clickhouse, patient_id).await?;
    patient_trace_of(clickhouse, patient_id, &identities, period, scope).await
}

/// The trace over identities already resolved (the accesses and their explanations are read
/// concurrently).
pub async fn patient_trace_of(
    clickhouse: &clickhouse::Client,
    patient_id: &str,
    identities: &[String],
    period: Period,
    scope: &Scope,
) -> Result<Trace, DashboardError> {
    let (all, codes) = scope_binds(scope);
    let accesses = clickhouse
        .query(include_str!("trace/patient_accesses.sql"))
        .bind(identities)
        .bind(period.from)
        .bind(period.to)
        .bind(all)
        .bind(codes)
        .bind(MAX_TRACE_ROWS)
        .fetch_all::<AccessRow>();
    let explanations = clickhouse
        .query(include_str!("trace/patient_explanations.sql"))
        .bind(identities)
        .bind(period.from)
        .bind(period.to)
        .fetch_all::<ExplanationRow>();
    let (rows, explanations) = tokio::try_join!(accesses, explanations)?;
    Ok(assemble(
        "patient",
        patient_id,
        period,
        scope,
        rows,
        explanations,
    ))
}

/// What this user viewed in `period`, as far as `scope` lets the reader see.
pub async fn user_trace(
    clickhouse: &clickhouse::Client,
    user_id: &str,
    period: Period,
    scope: &Scope,
) -> Result<Trace, DashboardError> {
    let (all, codes) = scope_binds(scope);
    let accesses = clickhouse
        .query(include_str!("trace/user_accesses.sql"))
        .bind(user_id)
        .bind(period.from)
        .bind(period.to)
        .bind(user_id)
        .bind(period.from)
        .bind(period.to)
        .bind(all)
        .bind(codes)
        .bind(MAX_TRACE_ROWS)
        .fetch_all::<AccessRow>();
    let explanations = clickhouse
        .query(include_str!("trace/user_explanations.sql"))
        .bind(user_id)
        .bind(period.from)
        .bind(period.to)
        .bind(user_id)
        .bind(period.from)
        .bind(period.to)
        .fetch_all::<ExplanationRow>();
    let (rows, explanations) = tokio::try_join!(accesses, explanations)?;
    Ok(assemble("user", user_id, period, scope, rows, explanations))
}

/// A care relationship of the traced patient.
#[derive(Debug, Clone, Row, Deserialize, Serialize, utoipa::ToSchema)]
pub struct TracedRelationship {
    pub relationship_id: String,
    pub patient_id: String,
    pub kind: String,
    pub user_id: String,
    pub team: String,
    pub org_code: String,
    pub valid_from: u32,
    pub valid_to: Option<u32>,
    pub source_channel: String,
    pub source_message_id: String,
}

/// The care relationships of a patient under any of `identities`.
pub async fn patient_relationships(
    clickhouse: &clickhouse::Client,
    identities: &[String],
) -> Result<Vec<TracedRelationship>, clickhouse::error::Error> {
    clickhouse
        .query(include_str!("trace/patient_relationships.sql"))
        .bind(identities)
        .fetch_all()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_dates_and_times_and_refuse_nonsense() {
        let day = Period::parse(Some("2026-11-01"), Some("2026-11-01")).expect("one day");
        assert_eq!(day.to - day.from, 86_400);
        let exact = Period::parse(Some("2026-11-01T10:00:00Z"), Some("2026-11-01T11:00:00Z"))
            .expect("an hour");
        assert_eq!(exact.to - exact.from, 3_600);
        let open = Period::parse(None, Some("")).expect("all time");
        assert_eq!((open.from, open.to), (0, u32::MAX));
        for (from, to) in [
            (Some("yesterday"), None),
            (Some("2026-13-01"), None),
            (Some("' OR 1=1 --"), None),
            (Some("2026-11-02"), Some("2026-11-01")),
        ] {
            assert!(Period::parse(from, to).is_err(), "{from:?} {to:?}");
        }
    }
}
