//! The evidence behind a case, read from the audit trail in ClickHouse: each access a finding
//! refers to, with what was viewed, when, from where, and the raw payload as received. Reading
//! it is recorded in `audit_data_views`.

use crate::accounts::Viewer;
use alerts::CaseDetail;
use clickhouse::Row;
use domain::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

#[derive(Debug, Row, Deserialize)]
struct AccessRow {
    event_id: String,
    occurred_at: u32,
    occurred_ms: u16,
    action: String,
    outcome: u8,
    user_id: String,
    user_name: String,
    user_org: String,
    user_roles: Vec<String>,
    purpose_of_use: Vec<String>,
    emergency_reason: String,
    data_entities: Vec<String>,
    client_address: String,
    source_node: String,
    channel: String,
    received_at: u32,
    received_ms: u16,
    raw_format: String,
    #[serde(with = "serde_bytes")]
    raw_payload: Vec<u8>,
}

/// One access as shown on the case page and in the API.
#[derive(Debug, Clone, Serialize)]
pub struct AccessEvidence {
    pub event_id: String,
    pub occurred_at: String,
    pub action: String,
    pub outcome: u8,
    pub user_id: String,
    pub user_name: String,
    pub user_org: String,
    pub user_roles: Vec<String>,
    pub purpose_of_use: Vec<String>,
    pub emergency_reason: String,
    pub data_entities: Vec<String>,
    pub client_address: String,
    pub source_node: String,
    pub channel: String,
    pub received_at: String,
    pub raw_format: String,
    /// The payload exactly as the node sent it (decompressed); empty if it could not be read.
    pub raw_payload: String,
}

impl From<AccessRow> for AccessEvidence {
    fn from(row: AccessRow) -> Self {
        let raw_payload = zstd::stream::decode_all(row.raw_payload.as_slice())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        Self {
            event_id: row.event_id,
            occurred_at: Timestamp::from_seconds_and_millis(row.occurred_at, row.occurred_ms)
                .to_string(),
            action: row.action,
            outcome: row.outcome,
            user_id: row.user_id,
            user_name: row.user_name,
            user_org: row.user_org,
            user_roles: row.user_roles,
            purpose_of_use: row.purpose_of_use,
            emergency_reason: row.emergency_reason,
            data_entities: row.data_entities,
            client_address: row.client_address,
            source_node: row.source_node,
            channel: row.channel,
            received_at: Timestamp::from_seconds_and_millis(row.received_at, row.received_ms)
                .to_string(),
            raw_format: row.raw_format,
            raw_payload,
        }
    }
}

/// The accesses behind a case's findings.
pub async fn case_accesses(
    clickhouse: &clickhouse::Client,
    case: &CaseDetail,
) -> Result<Vec<AccessEvidence>, clickhouse::error::Error> {
    let event_ids: Vec<&str> = case
        .findings
        .iter()
        .map(|finding| finding.event_id.as_str())
        .collect();
    // A case merged into another has no findings left (and ClickHouse 18.16 cannot type an
    // empty array literal in `has`).
    if event_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<AccessRow> = clickhouse
        .query(include_str!("evidence/case_accesses.sql"))
        .bind(&case.summary.patient_id)
        .bind(event_ids)
        .fetch_all()
        .await?;
    Ok(rows.into_iter().map(AccessEvidence::from).collect())
}

/// Records that `viewer` looked at the evidence of a case (careaudit audits itself).
pub async fn record_case_view(
    pool: &PgPool,
    viewer: &Viewer,
    view: &str,
    case: &CaseDetail,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_data_views (viewer, view, case_ref, patient_id, user_id) VALUES ($1, $2, $3, $4, $5)")
        .bind(&viewer.username)
        .bind(view)
        .bind(&case.summary.reference)
        .bind(&case.summary.patient_id)
        .bind(&case.summary.user_id)
        .execute(pool)
        .await?;
    Ok(())
}
