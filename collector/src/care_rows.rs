//! The storage rows of the care context (`migrations/clickhouse/0003_care_context.sql`) and the
//! one conversion from [`CareFact`]s to them. Every row carries its provenance and a version
//! (the receive time in milliseconds), so the ReplacingMergeTree tables resolve to the latest
//! statement of each fact.

use clickhouse::Row;
use domain::{CareFact, CareProvenance, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct PatientRow {
    pub patient_id: String,
    pub nhs_number: String,
    pub family_name: String,
    pub given_names: String,
    /// Days since 1970-01-01 (ClickHouse `Date`).
    pub birth_date: Option<u16>,
    pub death_date: Option<u16>,
    pub address_line: String,
    pub postcode: String,
    pub gp_practice: String,
    pub source_channel: String,
    pub source_message_id: String,
    pub version: u64,
    pub deleted: u8,
}

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct PatientFlagRow {
    pub patient_id: String,
    pub flag: String,
    pub value: u8,
    pub reason: String,
    pub source_channel: String,
    pub source_message_id: String,
    pub version: u64,
    pub deleted: u8,
}

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct PatientLinkRow {
    pub alias_id: String,
    pub canonical_id: String,
    pub source_channel: String,
    pub source_message_id: String,
    pub version: u64,
    pub deleted: u8,
}

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct PatientIdentifierRow {
    pub id_system: String,
    pub id_value: String,
    pub patient_id: String,
    pub source_channel: String,
    pub source_message_id: String,
    pub version: u64,
    pub deleted: u8,
}

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct StaffRow {
    pub user_id: String,
    pub family_name: String,
    pub given_names: String,
    pub org_code: String,
    pub role_codes: Vec<String>,
    pub job_title: String,
    pub team: String,
    pub home_address_line: String,
    pub home_postcode: String,
    pub start_date: Option<u16>,
    pub leave_date: Option<u16>,
    pub patient_id: String,
    pub source_channel: String,
    pub source_message_id: String,
    pub version: u64,
    pub deleted: u8,
}

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct OrganisationRow {
    pub org_code: String,
    pub name: String,
    pub org_type: String,
    pub parent_code: String,
    pub region: String,
    pub postcode: String,
    pub source_channel: String,
    pub source_message_id: String,
    pub version: u64,
    pub deleted: u8,
}

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct RelationshipRow {
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
    pub version: u64,
    pub deleted: u8,
}

/// One care-context row for one table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum CareRow {
    Patient(PatientRow),
    PatientFlag(PatientFlagRow),
    PatientLink(PatientLinkRow),
    PatientIdentifier(PatientIdentifierRow),
    Staff(StaffRow),
    Organisation(OrganisationRow),
    Relationship(RelationshipRow),
}

impl CareRow {
    /// A key naming the fact this row states, for the integrity ledger.
    pub fn key(&self) -> String {
        match self {
            Self::Patient(row) => format!("patient:{}", row.patient_id),
            Self::PatientFlag(row) => format!("patient_flag:{}:{}", row.patient_id, row.flag),
            Self::PatientLink(row) => format!("patient_link:{}", row.alias_id),
            Self::PatientIdentifier(row) => {
                format!("patient_identifier:{}|{}", row.id_system, row.id_value)
            }
            Self::Staff(row) => format!("staff:{}", row.user_id),
            Self::Organisation(row) => format!("organisation:{}", row.org_code),
            Self::Relationship(row) => format!("relationship:{}", row.relationship_id),
        }
    }
}

fn days(date: Option<chrono::NaiveDate>) -> Option<u16> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let days = date?.signed_duration_since(epoch).num_days();
    u16::try_from(days).ok()
}

fn seconds(timestamp: Timestamp) -> u32 {
    timestamp.to_seconds_and_millis().0
}

/// The rows that state `fact`, versioned by `received_at`.
pub fn care_rows(
    fact: &CareFact,
    provenance: &CareProvenance,
    received_at: Timestamp,
) -> Vec<CareRow> {
    let version = u64::try_from(received_at.as_millis()).unwrap_or(0);
    let (channel, message) = (
        provenance.source_channel.clone(),
        provenance.source_message_id.clone(),
    );
    match fact {
        CareFact::Patient(patient) => {
            let mut rows = vec![CareRow::Patient(PatientRow {
                patient_id: patient.patient_id.clone(),
                nhs_number: patient.nhs_number.clone(),
                family_name: patient.family_name.clone(),
                given_names: patient.given_names.clone(),
                birth_date: days(patient.birth_date),
                death_date: days(patient.death_date),
                address_line: patient.address_line.clone(),
                postcode: patient.postcode.clone(),
                gp_practice: patient.gp_practice.clone(),
                source_channel: channel.clone(),
                source_message_id: message.clone(),
                version,
                deleted: 0,
            })];
            for (system, value) in &patient.identifiers {
                rows.push(CareRow::PatientIdentifier(PatientIdentifierRow {
                    id_system: system.clone(),
                    id_value: value.clone(),
                    patient_id: patient.patient_id.clone(),
                    source_channel: channel.clone(),
                    source_message_id: message.clone(),
                    version,
                    deleted: 0,
                }));
            }
            // A feed that sets a flag states it; a feed that does not mention one says nothing
            // about it (a demographic update must not clear a VIP flag set by another feed).
            for (flag, set) in [
                ("vip", patient.vip),
                ("confidential", patient.confidential),
                ("sharing_objection", patient.sharing_objection),
            ] {
                if set {
                    rows.push(flag_row(
                        &patient.patient_id,
                        flag,
                        true,
                        "",
                        &channel,
                        &message,
                        version,
                    ));
                }
            }
            rows
        }
        CareFact::PatientFlag {
            patient_id,
            flag,
            value,
            reason,
        } => {
            vec![flag_row(
                patient_id,
                flag.as_str(),
                *value,
                reason,
                &channel,
                &message,
                version,
            )]
        }
        CareFact::PatientMerge { surviving, merged } => {
            vec![CareRow::PatientLink(PatientLinkRow {
                alias_id: merged.clone(),
                canonical_id: surviving.clone(),
                source_channel: channel,
                source_message_id: message,
                version,
                deleted: 0,
            })]
        }
        CareFact::Staff(staff) => vec![CareRow::Staff(StaffRow {
            user_id: staff.user_id.clone(),
            family_name: staff.family_name.clone(),
            given_names: staff.given_names.clone(),
            org_code: staff.org_code.clone(),
            role_codes: staff.role_codes.clone(),
            job_title: staff.job_title.clone(),
            team: staff.team.clone(),
            home_address_line: staff.home_address_line.clone(),
            home_postcode: staff.home_postcode.clone(),
            start_date: days(staff.start_date),
            leave_date: days(staff.leave_date),
            patient_id: staff.patient_id.clone(),
            source_channel: channel,
            source_message_id: message,
            version,
            deleted: 0,
        })],
        CareFact::Organisation(organisation) => vec![CareRow::Organisation(OrganisationRow {
            org_code: organisation.org_code.clone(),
            name: organisation.name.clone(),
            org_type: organisation.org_type.clone(),
            parent_code: organisation.parent_code.clone(),
            region: organisation.region.clone(),
            postcode: organisation.postcode.clone(),
            source_channel: channel,
            source_message_id: message,
            version,
            deleted: 0,
        })],
        CareFact::Relationship(relationship) => vec![CareRow::Relationship(RelationshipRow {
            relationship_id: relationship.relationship_id.clone(),
            patient_id: relationship.patient_id.clone(),
            kind: relationship.kind.as_str().to_owned(),
            user_id: relationship.user_id.clone(),
            team: relationship.team.clone(),
            org_code: relationship.org_code.clone(),
            valid_from: seconds(relationship.valid_from),
            valid_to: relationship.valid_to.map(seconds),
            source_channel: channel,
            source_message_id: message,
            version,
            deleted: u8::from(relationship.cancelled),
        })],
    }
}

fn flag_row(
    patient_id: &str,
    flag: &str,
    value: bool,
    reason: &str,
    channel: &str,
    message: &str,
    version: u64,
) -> CareRow {
    CareRow::PatientFlag(PatientFlagRow {
        patient_id: patient_id.to_owned(),
        flag: flag.to_owned(),
        value: u8::from(value),
        reason: reason.to_owned(),
        source_channel: channel.to_owned(),
        source_message_id: message.to_owned(),
        version,
        deleted: 0,
    })
}
