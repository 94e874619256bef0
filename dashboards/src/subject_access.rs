//! The subject access report: a patient's access history as the patient is entitled to see it
//! (dates, organisations, purposes, and the staff member's name or only their role, as the
//! deployment is configured), for the organisations the reader answers for. The same entries
//! feed the FHIR AuditEvent search of patient portals (IHE ITI-81, [`crate::iti81`]).

use crate::error::DashboardError;
use crate::trace::{patient_trace, Period, Trace};
use alerts::Scope;
use clickhouse::Row;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Whether a subject access report names the staff who looked, or only their role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffNames {
    Names,
    /// The default: many organisations disclose roles, not names, unless asked.
    #[default]
    Roles,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SubjectAccessSettings {
    #[serde(default)]
    pub staff_names: StaffNames,
}

/// One access as the patient sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubjectAccessEntry {
    pub event_id: String,
    pub occurred_at: String,
    pub organisation_code: String,
    pub organisation: String,
    /// What was done: viewed, created, updated, deleted.
    pub action: String,
    pub purpose: String,
    /// The staff member's name, or their role, according to configuration.
    pub staff: String,
    pub emergency_access: bool,
}

/// A subject access report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubjectAccessReport {
    pub patient_id: String,
    pub period: String,
    /// Which organisations' accesses the report covers.
    pub organisations_covered: String,
    pub staff_shown_as: String,
    pub entries: Vec<SubjectAccessEntry>,
    pub truncated: bool,
}

/// Plain words for the national RBAC role codes that are commonly seen.
pub fn role_text(code: &str) -> String {
    let known = match code {
        "R8000" => "Clinical practitioner",
        "R8001" => "Nurse",
        "R8003" => "Health professional",
        "R8004" => "Healthcare student",
        "R8008" => "Admin and clinical support",
        "R8010" => "Clerical staff",
        "" => return "Staff member".to_owned(),
        _ => return format!("Staff member (role {code})"),
    };
    known.to_owned()
}

/// Plain words for HL7 v3 ActReason purposes of use.
pub fn purpose_text(codes: &[String]) -> String {
    if codes.is_empty() {
        return "Not stated".to_owned();
    }
    codes
        .iter()
        // Stored as `system|code` (the system is HL7 v3 ActReason for these codes).
        .map(|coded| coded.rsplit('|').next().unwrap_or(coded))
        .map(|code| match code {
            "TREAT" => "Care and treatment".to_owned(),
            "ETREAT" | "ERTREAT" => "Emergency treatment".to_owned(),
            "BTG" => "Emergency access (break the glass)".to_owned(),
            "HOPERAT" => "Running the health service".to_owned(),
            "PATRQT" => "At the patient's request".to_owned(),
            "PUBHLTH" => "Public health".to_owned(),
            "HRESCH" => "Research".to_owned(),
            "HPAYMT" => "Payment".to_owned(),
            other => format!("Other ({other})"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn action_text(code: &str) -> &'static str {
    match code {
        "C" => "Created",
        "R" => "Viewed",
        "U" => "Updated",
        "D" => "Deleted",
        "E" => "Used",
        _ => "Accessed",
    }
}

#[derive(Debug, Row, Deserialize)]
struct OrganisationName {
    org_code: String,
    name: String,
}

/// Organisation names from the care-context directory, then careaudit's own list.
pub async fn organisation_names(
    pool: &sqlx::PgPool,
    clickhouse: &clickhouse::Client,
    codes: Vec<String>,
) -> Result<HashMap<String, String>, DashboardError> {
    let mut names: HashMap<String, String> = sqlx::query_as::<_, (String, String)>(
        "SELECT ods_code, name FROM organisations WHERE ods_code = ANY($1)",
    )
    .bind(&codes)
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    if !codes.is_empty() {
        let directory: Vec<OrganisationName> = clickhouse
            .query(include_str!("subject_access/organisation_names.sql"))
            .bind(&codes)
            .fetch_all()
            .await?;
        for row in directory.into_iter().filter(|row| !row.name.is_empty()) {
            names.insert(row.org_code, row.name);
        }
    }
    Ok(names)
}

/// The report for `patient_id` over `period`, for the organisations in `scope`.
pub async fn report(
    pool: &sqlx::PgPool,
    clickhouse: &clickhouse::Client,
    settings: &SubjectAccessSettings,
    patient_id: &str,
    period: Period,
    scope: &Scope,
) -> Result<SubjectAccessReport, DashboardError> {
    let trace = patient_trace(clickhouse, patient_id, period, scope).await?;
    let codes: Vec<String> = trace
        .organisations
        .iter()
        .map(|org| org.org_code.clone())
        .collect();
    let names = organisation_names(pool, clickhouse, codes).await?;
    Ok(from_trace(settings, trace, &names))
}

fn from_trace(
    settings: &SubjectAccessSettings,
    trace: Trace,
    names: &HashMap<String, String>,
) -> SubjectAccessReport {
    let entries = trace
        .accesses
        .into_iter()
        .map(|access| SubjectAccessEntry {
            organisation: names
                .get(&access.user_org)
                .cloned()
                .unwrap_or_else(|| access.user_org.clone()),
            organisation_code: access.user_org,
            action: action_text(&access.action).to_owned(),
            purpose: purpose_text(&access.purpose_of_use),
            staff: match settings.staff_names {
                StaffNames::Names if !access.user_name.is_empty() => access.user_name,
                _ => role_text(access.user_roles.first().map_or("", String::as_str)),
            },
            emergency_access: access.emergency_access,
            occurred_at: access.occurred_at,
            event_id: access.event_id,
        })
        .collect();
    SubjectAccessReport {
        patient_id: trace.subject_id,
        period: trace.period,
        organisations_covered: trace.scope,
        staff_shown_as: match settings.staff_names {
            StaffNames::Names => "names",
            StaffNames::Roles => "roles",
        }
        .to_owned(),
        entries,
        truncated: trace.truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words() {
        assert_eq!(
            purpose_text(&["TREAT".into(), "BTG".into()]),
            "Care and treatment; Emergency access (break the glass)"
        );
        assert_eq!(purpose_text(&[]), "Not stated");
        assert_eq!(purpose_text(&["XYZ".into()]), "Other (XYZ)");
        assert_eq!(
            purpose_text(&["http://terminology.hl7.org/CodeSystem/v3-ActReason|TREAT".into()]),
            "Care and treatment"
        );
        assert_eq!(role_text("R8000"), "Clinical practitioner");
        assert_eq!(role_text("R9999"), "Staff member (role R9999)");
        assert_eq!(action_text("R"), "Viewed");
    }
}
