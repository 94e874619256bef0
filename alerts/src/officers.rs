//! Privacy officers (each with their own address, careaudit account and notification
//! preferences) and the addresses of staff for the optional user warning. Administrators of an
//! organisation manage its officers; staff addresses are managed by administrators of every
//! organisation (they come from the HR extract).

use crate::actor::Actor;
use crate::email::parse_mailbox;
use crate::error::AlertsError;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

/// A privacy officer, identified by organisation and address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Officer {
    pub org_code: String,
    pub email: String,
    pub display_name: String,
    /// Their careaudit account, for assignment.
    #[serde(default)]
    pub username: Option<String>,
    /// `immediate`, `digest` or `none`.
    #[serde(default = "default_case_alerts")]
    pub case_alerts: String,
    /// Immediate alerts only from this severity up.
    #[serde(default = "default_min_severity")]
    pub min_severity: String,
    /// `none`, `daily` or `weekly`.
    #[serde(default = "default_digest")]
    pub digest: String,
    #[serde(default = "default_true")]
    pub escalations: bool,
    #[serde(default = "default_true")]
    pub breach_reminders: bool,
    #[serde(default = "default_true")]
    pub active: bool,
}

fn default_case_alerts() -> String {
    "immediate".to_owned()
}
fn default_min_severity() -> String {
    "low".to_owned()
}
fn default_digest() -> String {
    "none".to_owned()
}
fn default_true() -> bool {
    true
}

impl Officer {
    /// An active officer with the default preferences (immediate alerts of every severity, no
    /// digest, escalations and breach reminders).
    pub fn new(org_code: &str, email: &str, display_name: &str) -> Self {
        Self {
            org_code: org_code.to_owned(),
            email: email.to_owned(),
            display_name: display_name.to_owned(),
            username: None,
            case_alerts: default_case_alerts(),
            min_severity: default_min_severity(),
            digest: default_digest(),
            escalations: true,
            breach_reminders: true,
            active: true,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), AlertsError> {
        parse_mailbox(self.email.trim())
            .map_err(|error| AlertsError::invalid(format!("email: {error}")))?;
        if self.display_name.trim().is_empty() {
            return Err(AlertsError::invalid("display_name: empty"));
        }
        let choices: [(&str, &str, &[&str]); 3] = [
            (
                "case_alerts",
                &self.case_alerts,
                &["immediate", "digest", "none"],
            ),
            (
                "min_severity",
                &self.min_severity,
                &["low", "medium", "high", "critical"],
            ),
            ("digest", &self.digest, &["none", "daily", "weekly"]),
        ];
        for (field, value, allowed) in choices {
            if !allowed.contains(&value) {
                return Err(AlertsError::invalid(format!(
                    "{field}: {value:?} is not one of {}",
                    allowed.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// Creates or updates an officer (by organisation and address).
pub async fn put_officer(
    pool: &PgPool,
    actor: &Actor,
    officer: &Officer,
) -> Result<(), AlertsError> {
    if !actor.administers(&officer.org_code) {
        return Err(AlertsError::Forbidden(format!(
            "only administrators of {} manage its officers",
            officer.org_code
        )));
    }
    officer.validate()?;
    let result = sqlx::query(
        "INSERT INTO privacy_officers (org_code, email, display_name, username, case_alerts, min_severity, digest,
                                       escalations, breach_reminders, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (org_code, email) DO UPDATE
         SET display_name = EXCLUDED.display_name, username = EXCLUDED.username, case_alerts = EXCLUDED.case_alerts,
             min_severity = EXCLUDED.min_severity, digest = EXCLUDED.digest, escalations = EXCLUDED.escalations,
             breach_reminders = EXCLUDED.breach_reminders, active = EXCLUDED.active, updated_at = now()",
    )
    .bind(officer.org_code.trim())
    .bind(officer.email.trim())
    .bind(officer.display_name.trim())
    .bind(officer.username.as_deref().map(str::trim).filter(|u| !u.is_empty()))
    .bind(&officer.case_alerts)
    .bind(&officer.min_severity)
    .bind(&officer.digest)
    .bind(officer.escalations)
    .bind(officer.breach_reminders)
    .bind(officer.active)
    .execute(pool)
    .await;
    AlertsError::unknown_organisation(result, &officer.org_code).map(|_| ())
}

/// The officers of the organisations the actor may read (optionally of one of them).
pub async fn list_officers(
    pool: &PgPool,
    actor: &Actor,
    org_code: Option<&str>,
) -> Result<Vec<Officer>, AlertsError> {
    let all: Vec<Officer> = sqlx::query_as(
        "SELECT org_code, email, display_name, username, case_alerts, min_severity, digest, escalations,
                breach_reminders, active
         FROM privacy_officers WHERE ($1::text IS NULL OR org_code = $1) ORDER BY org_code, email",
    )
    .bind(org_code)
    .fetch_all(pool)
    .await?;
    Ok(all
        .into_iter()
        .filter(|officer| actor.may_read(&officer.org_code))
        .collect())
}

/// Where a member of staff receives the optional user warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserContact {
    pub user_id: String,
    pub email: String,
}

pub async fn put_user_contact(
    pool: &PgPool,
    actor: &Actor,
    contact: &UserContact,
) -> Result<(), AlertsError> {
    if !actor.administers_all() {
        return Err(AlertsError::Forbidden(
            "only administrators of every organisation manage staff addresses".to_owned(),
        ));
    }
    domain::UserId::parse(&contact.user_id)
        .map_err(|error| AlertsError::invalid(format!("user_id: {error}")))?;
    parse_mailbox(contact.email.trim())
        .map_err(|error| AlertsError::invalid(format!("email: {error}")))?;
    sqlx::query(
        "INSERT INTO user_contacts (user_id, email) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, updated_at = now()",
    )
    .bind(contact.user_id.trim())
    .bind(contact.email.trim())
    .execute(pool)
    .await?;
    Ok(())
}
