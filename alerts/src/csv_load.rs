//! CSV loads of the directory: organisations, privacy officers and staff addresses, as
//! spreadsheets and HR extracts provide them. A header line names the columns (any order;
//! unknown columns are reported and ignored); each line is validated and stored on its own,
//! so one bad line is reported with its number and reason and every good line is kept. A
//! reload updates organisations and officers: what a line does not carry (a missing column, a
//! blank cell) keeps its stored value, so an HR extract of names and addresses resets nobody's
//! preferences, account or deactivation.

use crate::actor::Actor;
use crate::directory_update::{update_officer, update_organisation};
use crate::error::AlertsError;
use crate::officers::{put_user_contact, UserContact};
use serde::Serialize;
use sqlx::PgPool;

/// What a CSV load may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryKind {
    /// `ods_code,name[,contact_email,escalation_minutes,user_warnings,user_warning_holdout_percent]`
    Organisations,
    /// `org_code,email,display_name[,username,case_alerts,min_severity,digest,escalations,breach_reminders,active]`
    Officers,
    /// `user_id,email`
    UserContacts,
}

impl DirectoryKind {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "organisations" => Some(Self::Organisations),
            "officers" => Some(Self::Officers),
            "user-contacts" | "user_contacts" => Some(Self::UserContacts),
            _ => None,
        }
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Organisations => &[
                "ods_code",
                "name",
                "contact_email",
                "escalation_minutes",
                "user_warnings",
                "user_warning_holdout_percent",
            ],
            Self::Officers => &[
                "org_code",
                "email",
                "display_name",
                "username",
                "case_alerts",
                "min_severity",
                "digest",
                "escalations",
                "breach_reminders",
                "active",
            ],
            Self::UserContacts => &["user_id", "email"],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: u64,
    pub error: String,
}

/// The outcome of a load, in the same shape as the collector's care-context loads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    pub accepted: usize,
    pub rejected: usize,
    pub errors: Vec<LineError>,
    pub ignored_columns: Vec<String>,
}

/// Loads a CSV text of `kind`. A file that cannot be read as CSV at all (no header, not
/// UTF-8) is an error; bad lines are only reported.
pub async fn load_directory_csv(
    pool: &PgPool,
    actor: &Actor,
    kind: DirectoryKind,
    text: &str,
) -> Result<LoadReport, AlertsError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|error| AlertsError::invalid(format!("the header line cannot be read: {error}")))?
        .clone();
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return Err(AlertsError::invalid("the file has no header line"));
    }
    let mut report = LoadReport {
        ignored_columns: headers
            .iter()
            .filter(|h| !kind.columns().contains(h))
            .map(str::to_owned)
            .collect(),
        ..LoadReport::default()
    };
    for (index, record) in reader.records().enumerate() {
        // Line numbers as an editor shows them: the header is line 1.
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(index as u64 + 2, |p| p.line());
        let outcome = match record {
            Err(error) => Err(AlertsError::invalid(error.to_string())),
            Ok(record) => store_line(pool, actor, kind, &headers, &record).await,
        };
        match outcome {
            Ok(()) => report.accepted += 1,
            // Storage failures and a missing permission concern the whole file, not a line.
            Err(error @ (AlertsError::Database(_) | AlertsError::Forbidden(_))) => {
                return Err(error)
            }
            Err(error) => {
                report.rejected += 1;
                report.errors.push(LineError {
                    line,
                    error: error.to_string(),
                });
            }
        }
    }
    Ok(report)
}

async fn store_line(
    pool: &PgPool,
    actor: &Actor,
    kind: DirectoryKind,
    headers: &csv::StringRecord,
    record: &csv::StringRecord,
) -> Result<(), AlertsError> {
    // Empty cells mean "not given", so that optional columns may be left blank.
    let cells: Vec<(&str, &str)> = headers
        .iter()
        .zip(record.iter())
        .filter(|(_, value)| !value.is_empty())
        .collect();
    let object: serde_json::Map<String, serde_json::Value> = cells
        .iter()
        .filter(|(header, _)| kind.columns().contains(header))
        .map(|(header, value)| ((*header).to_owned(), typed(header, value)))
        .collect();
    // Organisations and officers are updated, not replaced: a column the file does not have,
    // or a blank cell, keeps the stored value.
    let key = |column: &str| match object.get(column) {
        Some(serde_json::Value::String(code)) => Ok(code.clone()),
        _ => Err(AlertsError::invalid(format!("{column}: missing"))),
    };
    match kind {
        DirectoryKind::Organisations => {
            let ods_code = key("ods_code")?;
            update_organisation(pool, actor, &ods_code, object).await
        }
        DirectoryKind::Officers => {
            let org_code = key("org_code")?;
            update_officer(pool, actor, &org_code, object).await
        }
        DirectoryKind::UserContacts => {
            let value = serde_json::Value::Object(object);
            let invalid = |error: serde_json::Error| AlertsError::invalid(error.to_string());
            let contact: UserContact = serde_json::from_value(value).map_err(invalid)?;
            put_user_contact(pool, actor, &contact).await
        }
    }
}

/// A cell as JSON: numbers and booleans for the columns that hold them, text otherwise (so a
/// bad number is reported by the deserialiser with the column's name).
fn typed(header: &str, value: &str) -> serde_json::Value {
    match header {
        "escalation_minutes" | "user_warning_holdout_percent" => value
            .parse::<i64>()
            .map(serde_json::Value::from)
            .unwrap_or_else(|_| serde_json::Value::String(value.to_owned())),
        "user_warnings" | "escalations" | "breach_reminders" | "active" => {
            match value.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => serde_json::Value::Bool(true),
                "false" | "no" | "n" | "0" => serde_json::Value::Bool(false),
                _ => serde_json::Value::String(value.to_owned()),
            }
        }
        _ => serde_json::Value::String(value.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_typed_json() {
        let cases = [
            ("escalation_minutes", "90", serde_json::json!(90)),
            ("escalation_minutes", "soon", serde_json::json!("soon")),
            ("active", "No", serde_json::json!(false)),
            ("user_warnings", "yes", serde_json::json!(true)),
            (
                "email",
                "po@example.nhs.uk",
                serde_json::json!("po@example.nhs.uk"),
            ),
        ];
        for (header, value, expected) in cases {
            assert_eq!(typed(header, value), expected, "{header}={value}");
        }
    }
}
