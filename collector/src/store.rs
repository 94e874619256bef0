//! The collector's ClickHouse rows and writes. `AccessEventRow` is the storage form of
//! [`AccessEvent`]; the conversion is explicit and lives here, next to the table it fills.

use crate::care_rows::{
    CareRow, OrganisationRow, PatientFlagRow, PatientIdentifierRow, PatientLinkRow, PatientRow,
    RelationshipRow, StaffRow,
};
use crate::ingest::Source;
use crate::integrity::BatchRecord;
use clickhouse::{Client, Row};
use domain::{AccessEvent, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// zstd level for raw payloads: level 3 is zstd's default trade-off, fast enough for the ingest
/// path and about 4× on FHIR JSON.
const PAYLOAD_COMPRESSION_LEVEL: i32 = 3;

pub fn compress_payload(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    zstd::bulk::compress(raw, PAYLOAD_COMPRESSION_LEVEL)
}

/// Decompresses a stored payload (evidence packs, the dashboards' raw view).
pub fn decompress_payload(stored: &[u8]) -> std::io::Result<Vec<u8>> {
    zstd::stream::decode_all(stored)
}

/// One row of `access_events` (see `migrations/clickhouse/0001_access_events.sql`).
#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct AccessEventRow {
    pub event_id: String,
    pub occurred_at: u32,
    pub occurred_ms: u16,
    pub received_at: u32,
    pub received_ms: u16,
    pub action: String,
    pub outcome: u8,
    pub event_type: String,
    pub event_subtypes: Vec<String>,
    pub patient_id: String,
    pub patient_id_system: String,
    pub user_id: String,
    pub user_id_system: String,
    pub user_name: String,
    pub user_org: String,
    pub user_roles: Vec<String>,
    pub purpose_of_use: Vec<String>,
    pub emergency_access: u8,
    pub emergency_reason: String,
    pub data_entities: Vec<String>,
    pub client_address: String,
    pub source_node: String,
    pub channel: String,
    pub authenticated_as: String,
    pub raw_format: String,
    /// SHA-256 of the original payload (hex), for the integrity chain and evidence packs.
    pub payload_sha256: String,
    #[serde(with = "serde_bytes")]
    pub raw_payload: Vec<u8>,
}

impl AccessEventRow {
    /// The storage form of an event; `compressed_raw` is the original payload `raw` as received,
    /// compressed with [`compress_payload`].
    pub fn from_event(
        event: &AccessEvent,
        raw_format: &str,
        compressed_raw: Vec<u8>,
        raw: &[u8],
    ) -> Self {
        let (occurred_at, occurred_ms) = event.occurred_at.to_seconds_and_millis();
        let (received_at, received_ms) = event.provenance.received_at.to_seconds_and_millis();
        Self {
            event_id: event.event_id.to_string(),
            occurred_at,
            occurred_ms,
            received_at,
            received_ms,
            action: event.action.code().to_owned(),
            outcome: event.outcome.code(),
            event_type: event.event_type.clone(),
            event_subtypes: event.event_subtypes.clone(),
            patient_id: event.patient_id.to_string(),
            patient_id_system: event.patient_id_system.clone(),
            user_id: event.user_id.to_string(),
            user_id_system: event.user_id_system.clone(),
            user_name: event.user_name.clone(),
            user_org: event
                .user_org
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            user_roles: event.user_roles.iter().map(ToString::to_string).collect(),
            purpose_of_use: event.purpose_of_use.clone(),
            emergency_access: u8::from(event.emergency_access),
            emergency_reason: event.emergency_reason.clone(),
            data_entities: event.data_entities.clone(),
            client_address: event.client_address.clone(),
            source_node: event.provenance.source_node.clone(),
            channel: event.provenance.channel.as_str().to_owned(),
            authenticated_as: event.provenance.authenticated_as.clone(),
            raw_format: raw_format.to_owned(),
            payload_sha256: sha256_hex(raw),
            raw_payload: compressed_raw,
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// One row of `quarantine`: input that was refused, with the reason and the raw bytes.
#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct QuarantineRow {
    pub quarantine_id: String,
    pub received_at: u32,
    pub received_ms: u16,
    pub channel: String,
    pub source_node: String,
    pub authenticated_as: String,
    pub client_address: String,
    pub reason_code: String,
    pub reason: String,
    pub raw_format: String,
    pub raw_size: u32,
    pub payload_sha256: String,
    #[serde(with = "serde_bytes")]
    pub raw_payload: Vec<u8>,
}

impl QuarantineRow {
    pub fn new(
        source: &Source,
        reason_code: &str,
        reason: &str,
        raw_format: &str,
        raw: &[u8],
    ) -> std::io::Result<Self> {
        let (received_at, received_ms) = Timestamp::now().to_seconds_and_millis();
        Ok(Self {
            quarantine_id: uuid::Uuid::new_v4().to_string(),
            received_at,
            received_ms,
            channel: source.channel.as_str().to_owned(),
            source_node: source.node.clone(),
            authenticated_as: source.authenticated_as.clone(),
            client_address: source.client_address.clone(),
            reason_code: reason_code.to_owned(),
            reason: reason.to_owned(),
            raw_format: raw_format.to_owned(),
            raw_size: u32::try_from(raw.len()).unwrap_or(u32::MAX),
            payload_sha256: sha256_hex(raw),
            raw_payload: compress_payload(raw)?,
        })
    }
}

/// Writes to the collector's tables. Each call returns only after ClickHouse acknowledged the
/// insert, which is what lets the HTTP handler acknowledge the sender.
#[derive(Clone)]
pub struct EventStore {
    client: Client,
}

impl EventStore {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    pub async fn insert_events(
        &self,
        rows: &[AccessEventRow],
    ) -> Result<(), clickhouse::error::Error> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut insert = self
            .client
            .insert::<AccessEventRow>("access_events")
            .await?;
        for row in rows {
            insert.write(row).await?;
        }
        insert.end().await
    }

    pub async fn insert_quarantine(
        &self,
        rows: &[QuarantineRow],
    ) -> Result<(), clickhouse::error::Error> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut insert = self.client.insert::<QuarantineRow>("quarantine").await?;
        for row in rows {
            insert.write(row).await?;
        }
        insert.end().await
    }

    /// Inserts care-context rows, one insert per table present.
    pub async fn insert_care(&self, rows: &[CareRow]) -> Result<(), clickhouse::error::Error> {
        macro_rules! insert_table {
            ($variant:ident, $row:ty, $table:literal) => {{
                let mut insert: Option<clickhouse::insert::Insert<$row>> = None;
                for row in rows {
                    if let CareRow::$variant(row) = row {
                        if insert.is_none() {
                            insert = Some(self.client.insert::<$row>($table).await?);
                        }
                        if let Some(insert) = insert.as_mut() {
                            insert.write(row).await?;
                        }
                    }
                }
                if let Some(insert) = insert {
                    insert.end().await?;
                }
            }};
        }
        insert_table!(Patient, PatientRow, "patients");
        insert_table!(PatientFlag, PatientFlagRow, "patient_flags");
        insert_table!(PatientLink, PatientLinkRow, "patient_links");
        insert_table!(
            PatientIdentifier,
            PatientIdentifierRow,
            "patient_identifiers"
        );
        insert_table!(Staff, StaffRow, "staff");
        insert_table!(Organisation, OrganisationRow, "organisations");
        insert_table!(Relationship, RelationshipRow, "care_relationships");
        Ok(())
    }

    pub async fn insert_batch(&self, batch: &BatchRecord) -> Result<(), clickhouse::error::Error> {
        let mut insert = self.client.insert::<BatchRecord>("ingest_batches").await?;
        insert.write(batch).await?;
        insert.end().await
    }
}
