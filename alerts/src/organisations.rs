//! The organisations careaudit routes cases to: their name, contact address, escalation time
//! and user-warning settings, and the joint-case rule (which exchange nodes serve an
//! organisation's data). Managed by administrators through the API or a CSV load.

use crate::actor::Actor;
use crate::email::parse_mailbox;
use crate::error::AlertsError;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

/// The first release's organisation record: a code, a name and one privacy officer address.
/// Kept so existing callers (the demo, tests) work unchanged; the address also becomes a
/// privacy officer of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Organisation {
    pub ods_code: String,
    pub name: String,
    pub privacy_officer_email: Option<String>,
}

pub async fn upsert_organisation(
    pool: &PgPool,
    organisation: &Organisation,
) -> Result<(), AlertsError> {
    let record = OrganisationRecord {
        ods_code: organisation.ods_code.clone(),
        name: organisation.name.clone(),
        contact_email: organisation.privacy_officer_email.clone(),
        escalation_minutes: None,
        user_warnings: false,
        user_warning_holdout_percent: 0,
    };
    record.validate()?;
    // Only the name and the address: settings made since through the API stay as they are.
    sqlx::query(
        "INSERT INTO organisations (ods_code, name, privacy_officer_email) VALUES ($1, $2, $3)
         ON CONFLICT (ods_code) DO UPDATE
         SET name = EXCLUDED.name, privacy_officer_email = EXCLUDED.privacy_officer_email, updated_at = now()",
    )
    .bind(record.ods_code.trim())
    .bind(record.name.trim())
    .bind(record.contact_email.as_deref().map(str::trim).filter(|e| !e.is_empty()))
    .execute(pool)
    .await?;
    if let Some(email) = organisation
        .privacy_officer_email
        .as_deref()
        .filter(|e| !e.trim().is_empty())
    {
        sqlx::query(
            "INSERT INTO privacy_officers (org_code, email, display_name) VALUES ($1, $2, 'Privacy officer')
             ON CONFLICT (org_code, email) DO UPDATE SET active = true, updated_at = now()",
        )
        .bind(organisation.ods_code.trim())
        .bind(email.trim())
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// An organisation with every setting careaudit keeps for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct OrganisationRecord {
    pub ods_code: String,
    pub name: String,
    /// The address staff and officers are told to write to (shown in user warnings).
    #[serde(default)]
    pub contact_email: Option<String>,
    /// Minutes before an unpicked high-severity case is escalated; `None` = the default.
    #[serde(default)]
    pub escalation_minutes: Option<i32>,
    #[serde(default)]
    pub user_warnings: bool,
    #[serde(default)]
    pub user_warning_holdout_percent: i32,
}

impl OrganisationRecord {
    pub(crate) fn validate(&self) -> Result<(), AlertsError> {
        domain::OrgCode::parse(&self.ods_code)
            .map_err(|error| AlertsError::invalid(format!("ods_code: {error}")))?;
        if self.name.trim().is_empty() {
            return Err(AlertsError::invalid("name: an organisation needs a name"));
        }
        if let Some(email) = self
            .contact_email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
        {
            parse_mailbox(email.trim())
                .map_err(|error| AlertsError::invalid(format!("contact_email: {error}")))?;
        }
        if self.escalation_minutes.is_some_and(|minutes| minutes <= 0) {
            return Err(AlertsError::invalid("escalation_minutes: must be positive"));
        }
        if !(0..=100).contains(&self.user_warning_holdout_percent) {
            return Err(AlertsError::invalid(
                "user_warning_holdout_percent: between 0 and 100",
            ));
        }
        Ok(())
    }
}

/// Creates or updates an organisation (administrators only).
pub async fn put_organisation(
    pool: &PgPool,
    actor: &Actor,
    record: &OrganisationRecord,
) -> Result<(), AlertsError> {
    if !actor.administers(&record.ods_code) {
        return Err(AlertsError::Forbidden(
            "only administrators manage organisations".to_owned(),
        ));
    }
    record.validate()?;
    sqlx::query(
        "INSERT INTO organisations (ods_code, name, privacy_officer_email, escalation_minutes, user_warnings,
                                    user_warning_holdout_percent)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (ods_code) DO UPDATE
         SET name = EXCLUDED.name, privacy_officer_email = EXCLUDED.privacy_officer_email,
             escalation_minutes = EXCLUDED.escalation_minutes, user_warnings = EXCLUDED.user_warnings,
             user_warning_holdout_percent = EXCLUDED.user_warning_holdout_percent, updated_at = now()",
    )
    .bind(record.ods_code.trim())
    .bind(record.name.trim())
    .bind(record.contact_email.as_deref().map(str::trim).filter(|e| !e.is_empty()))
    .bind(record.escalation_minutes)
    .bind(record.user_warnings)
    .bind(record.user_warning_holdout_percent)
    .execute(pool)
    .await?;
    Ok(())
}

/// The organisations the actor may read.
pub async fn list_organisations(
    pool: &PgPool,
    actor: &Actor,
) -> Result<Vec<OrganisationRecord>, AlertsError> {
    let all: Vec<OrganisationRecord> = sqlx::query_as(
        "SELECT ods_code, name, privacy_officer_email AS contact_email, escalation_minutes, user_warnings,
                user_warning_holdout_percent
         FROM organisations ORDER BY ods_code",
    )
    .fetch_all(pool)
    .await?;
    Ok(all
        .into_iter()
        .filter(|org| actor.may_read(&org.ods_code))
        .collect())
}

/// One rule of the joint-case rule: events served by `source_node` carry `org_code`'s data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct DataSource {
    pub source_node: String,
    pub org_code: String,
}

/// Registers (or moves) a data source (administrators of every organisation only: the rule
/// decides which organisation sees other organisations' cases).
pub async fn put_data_source(
    pool: &PgPool,
    actor: &Actor,
    source: &DataSource,
) -> Result<(), AlertsError> {
    if !actor.administers_all() {
        return Err(AlertsError::Forbidden(
            "only administrators of every organisation manage the joint-case rule".to_owned(),
        ));
    }
    if source.source_node.trim().is_empty() {
        return Err(AlertsError::invalid("source_node: empty"));
    }
    let result = sqlx::query(
        "INSERT INTO organisation_data_sources (source_node, org_code) VALUES ($1, $2)
         ON CONFLICT (source_node) DO UPDATE SET org_code = EXCLUDED.org_code",
    )
    .bind(source.source_node.trim())
    .bind(source.org_code.trim())
    .execute(pool)
    .await;
    AlertsError::unknown_organisation(result, &source.org_code).map(|_| ())
}

pub async fn remove_data_source(
    pool: &PgPool,
    actor: &Actor,
    source_node: &str,
) -> Result<(), AlertsError> {
    if !actor.administers_all() {
        return Err(AlertsError::Forbidden(
            "only administrators of every organisation manage the joint-case rule".to_owned(),
        ));
    }
    let removed = sqlx::query("DELETE FROM organisation_data_sources WHERE source_node = $1")
        .bind(source_node)
        .execute(pool)
        .await?
        .rows_affected();
    if removed == 0 {
        return Err(AlertsError::not_found(format!("data source {source_node}")));
    }
    Ok(())
}

pub async fn list_data_sources(
    pool: &PgPool,
    actor: &Actor,
) -> Result<Vec<DataSource>, AlertsError> {
    let all: Vec<DataSource> = sqlx::query_as(
        "SELECT source_node, org_code FROM organisation_data_sources ORDER BY source_node",
    )
    .fetch_all(pool)
    .await?;
    Ok(all
        .into_iter()
        .filter(|source| actor.may_read(&source.org_code))
        .collect())
}
