//! Updating a directory record from input that carries only some of its fields: a CSV with
//! some of the columns (or blank cells), an API body with some of the keys. What the input does
//! not carry keeps its stored value (a reload from HR with names and addresses does not reset
//! anyone's preferences, account or deactivation); a new record gets the defaults. In a JSON
//! body an explicit `null` clears an optional field.

use crate::actor::Actor;
use crate::error::AlertsError;
use crate::officers::{put_officer, Officer};
use crate::organisations::{put_organisation, OrganisationRecord};
use serde_json::{Map, Value};
use sqlx::PgPool;

/// The stored record with `fields` laid over it, read back as `T`.
fn overlay<T: serde::Serialize + serde::de::DeserializeOwned>(
    stored: Option<T>,
    fields: Map<String, Value>,
) -> Result<T, AlertsError> {
    let mut merged = match stored.map(serde_json::to_value) {
        Some(Ok(Value::Object(map))) => map,
        _ => Map::new(),
    };
    merged.extend(fields);
    serde_json::from_value(Value::Object(merged))
        .map_err(|error| AlertsError::invalid(error.to_string()))
}

/// Creates organisation `ods_code`, or changes the fields `fields` names.
pub async fn update_organisation(
    pool: &PgPool,
    actor: &Actor,
    ods_code: &str,
    mut fields: Map<String, Value>,
) -> Result<(), AlertsError> {
    let ods_code = ods_code.trim();
    if !actor.administers(ods_code) {
        return Err(AlertsError::Forbidden(
            "only administrators manage organisations".to_owned(),
        ));
    }
    let stored: Option<OrganisationRecord> = sqlx::query_as(
        "SELECT ods_code, name, privacy_officer_email AS contact_email, escalation_minutes, user_warnings,
                user_warning_holdout_percent
         FROM organisations WHERE ods_code = $1",
    )
    .bind(ods_code)
    .fetch_optional(pool)
    .await?;
    fields.insert("ods_code".to_owned(), ods_code.into());
    let record = overlay(stored, fields)?;
    put_organisation(pool, actor, &record).await
}

/// Creates the officer of `org_code` whose address `fields` names, or changes the fields it
/// names.
pub async fn update_officer(
    pool: &PgPool,
    actor: &Actor,
    org_code: &str,
    mut fields: Map<String, Value>,
) -> Result<(), AlertsError> {
    let org_code = org_code.trim();
    if !actor.administers(org_code) {
        return Err(AlertsError::Forbidden(format!(
            "only administrators of {org_code} manage its officers"
        )));
    }
    let email = match fields.get("email") {
        Some(Value::String(email)) if !email.trim().is_empty() => email.trim().to_owned(),
        _ => {
            return Err(AlertsError::invalid(
                "email: an officer is identified by their address",
            ))
        }
    };
    let stored: Option<Officer> = sqlx::query_as(
        "SELECT org_code, email, display_name, username, case_alerts, min_severity, digest, escalations,
                breach_reminders, active
         FROM privacy_officers WHERE org_code = $1 AND email = $2",
    )
    .bind(org_code)
    .bind(&email)
    .fetch_optional(pool)
    .await?;
    fields.insert("org_code".to_owned(), org_code.into());
    fields.insert("email".to_owned(), email.into());
    let officer = overlay(stored, fields)?;
    put_officer(pool, actor, &officer).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_fields_win_and_missing_ones_keep_their_value() {
        let stored = OrganisationRecord {
            ods_code: "RDM01".to_owned(),
            name: "Riverside".to_owned(),
            contact_email: Some("ig@rdm01.example".to_owned()),
            escalation_minutes: Some(30),
            user_warnings: true,
            user_warning_holdout_percent: 20,
        };
        let cases = [
            (serde_json::json!({}), Ok(stored.clone())),
            (
                serde_json::json!({"name": "Riverside FT", "escalation_minutes": null}),
                Ok(OrganisationRecord {
                    name: "Riverside FT".to_owned(),
                    escalation_minutes: None,
                    ..stored.clone()
                }),
            ),
            (
                serde_json::json!({"user_warnings": "perhaps"}),
                Err("invalid type"),
            ),
        ];
        for (fields, expected) in cases {
            let Value::Object(fields) = fields else {
                panic!("an object")
            };
            let merged =
                overlay(Some(stored.clone()), fields.clone()).map_err(|error| error.to_string());
            match expected {
                Ok(record) => assert_eq!(merged.as_ref(), Ok(&record), "{fields:?}"),
                Err(text) => assert!(
                    merged.as_ref().is_err_and(|e| e.contains(text)),
                    "{fields:?}: {merged:?}"
                ),
            }
        }
        let new: Result<OrganisationRecord, _> = overlay(None, Map::new());
        assert!(new.is_err_and(|e| e.to_string().contains("missing field")));
    }
}
