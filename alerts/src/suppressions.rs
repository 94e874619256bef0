//! Suppressions, as people manage them: a privacy officer (for their own organisation) or an
//! administrator stops a rule, or every rule, from raising cases about a user, a patient
//! and/or an organisation, for a stated reason, until an expiry (at most a year ahead). Every
//! creation and revocation is written to the append-only `suppression_audit` in the same
//! transaction, and what each suppression held back is kept by the analyzer in
//! `suppressed_findings`, so a suppression can always be shown to have done only what it said.

use crate::Scope;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

/// The longest a suppression may run before someone must decide again.
const MAX_DURATION_DAYS: i64 = 366;

#[derive(Debug, thiserror::Error)]
pub enum SuppressionError {
    #[error("{0}")]
    Invalid(String),
    #[error("no such suppression")]
    NotFound,
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
}

/// What a person asks to suppress.
#[derive(Debug, Clone, Deserialize)]
pub struct NewSuppression {
    pub rule_id: Option<String>,
    pub user_id: Option<String>,
    pub patient_id: Option<String>,
    pub org_code: Option<String>,
    pub reason: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Suppression {
    pub id: i64,
    pub rule_id: Option<String>,
    pub user_id: Option<String>,
    pub patient_id: Option<String>,
    pub org_code: Option<String>,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
    /// How many findings it has held back so far.
    pub held_back: i64,
}

const SELECT: &str =
    "SELECT s.id, s.rule_id, s.user_id, s.patient_id, s.org_code, s.reason, s.created_by,
       s.created_at, s.expires_at, s.revoked_at, s.revoked_by, s.revoke_reason,
       (SELECT count(*) FROM suppressed_findings f WHERE f.suppression_id = s.id) AS held_back
FROM suppressions s";

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Checks a request against the rules and the creator's scope (pure).
pub fn validate(
    scope: &Scope,
    request: NewSuppression,
    now: DateTime<Utc>,
) -> Result<NewSuppression, SuppressionError> {
    let request = NewSuppression {
        rule_id: non_empty(request.rule_id),
        user_id: non_empty(request.user_id),
        patient_id: non_empty(request.patient_id),
        org_code: non_empty(request.org_code),
        reason: request.reason.trim().to_owned(),
        expires_at: request.expires_at,
    };
    let invalid = |text: &str| Err(SuppressionError::Invalid(text.to_owned()));
    if request.reason.is_empty() {
        return invalid("a suppression needs a reason");
    }
    if request.user_id.is_none() && request.patient_id.is_none() && request.org_code.is_none() {
        return invalid("a suppression must name a user, a patient or an organisation");
    }
    if request.expires_at <= now {
        return invalid("a suppression must expire in the future");
    }
    if request.expires_at > now + Duration::days(MAX_DURATION_DAYS) {
        return invalid("a suppression may last at most a year");
    }
    if let Scope::Organisations(codes) = scope {
        match &request.org_code {
            Some(code) if codes.contains(code) => {}
            _ => return invalid("a suppression must name one of your own organisations"),
        }
    }
    Ok(request)
}

/// Creates a suppression on behalf of `actor`, audited.
pub async fn create_suppression(
    pool: &PgPool,
    scope: &Scope,
    actor: &str,
    request: NewSuppression,
) -> Result<Suppression, SuppressionError> {
    let request = validate(scope, request, Utc::now())?;
    let mut transaction = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO suppressions (rule_id, user_id, patient_id, org_code, reason, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&request.rule_id)
    .bind(&request.user_id)
    .bind(&request.patient_id)
    .bind(&request.org_code)
    .bind(&request.reason)
    .bind(actor)
    .bind(request.expires_at)
    .fetch_one(&mut *transaction)
    .await?;
    audit(&mut transaction, id, actor, "created", &request.reason).await?;
    transaction.commit().await?;
    get(pool, scope, id).await
}

/// The suppressions the reader may see (their organisations', or all), newest first; only
/// those in force unless `include_inactive`.
pub async fn list_suppressions(
    pool: &PgPool,
    scope: &Scope,
    include_inactive: bool,
) -> Result<Vec<Suppression>, SuppressionError> {
    let codes = match scope {
        Scope::AllOrganisations => None,
        Scope::Organisations(codes) => Some(codes.clone()),
    };
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE ($1::text[] IS NULL OR s.org_code = ANY($1))
           AND ($2 OR (s.revoked_at IS NULL AND s.expires_at > now()))
         ORDER BY s.id DESC"
    ))
    .bind(codes)
    .bind(include_inactive)
    .fetch_all(pool)
    .await?)
}

/// Revokes a suppression in force, audited with the reason.
pub async fn revoke_suppression(
    pool: &PgPool,
    scope: &Scope,
    actor: &str,
    id: i64,
    reason: &str,
) -> Result<Suppression, SuppressionError> {
    if reason.trim().is_empty() {
        return Err(SuppressionError::Invalid(
            "a revocation needs a reason".to_owned(),
        ));
    }
    get(pool, scope, id).await?;
    let mut transaction = pool.begin().await?;
    let revoked = sqlx::query(
        "UPDATE suppressions SET revoked_at = now(), revoked_by = $2, revoke_reason = $3
         WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(actor)
    .bind(reason.trim())
    .execute(&mut *transaction)
    .await?;
    if revoked.rows_affected() == 0 {
        return Err(SuppressionError::Invalid(
            "the suppression is already revoked".to_owned(),
        ));
    }
    audit(&mut transaction, id, actor, "revoked", reason.trim()).await?;
    transaction.commit().await?;
    get(pool, scope, id).await
}

async fn get(pool: &PgPool, scope: &Scope, id: i64) -> Result<Suppression, SuppressionError> {
    let found: Option<Suppression> = sqlx::query_as(&format!("{SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    match (found, scope) {
        (Some(found), Scope::AllOrganisations) => Ok(found),
        (Some(found), Scope::Organisations(codes))
            if found
                .org_code
                .as_ref()
                .is_some_and(|code| codes.contains(code)) =>
        {
            Ok(found)
        }
        _ => Err(SuppressionError::NotFound),
    }
}

async fn audit(
    transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    id: i64,
    actor: &str,
    action: &str,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO suppression_audit (suppression_id, actor, action, detail) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(actor)
    .bind(action)
    .bind(serde_json::json!({ "reason": reason }))
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(org: Option<&str>, reason: &str, days: i64) -> NewSuppression {
        NewSuppression {
            rule_id: Some("emergency_access".to_owned()),
            user_id: Some("555000000207".to_owned()),
            patient_id: None,
            org_code: org.map(str::to_owned),
            reason: reason.to_owned(),
            expires_at: Utc::now() + Duration::days(days),
        }
    }

    #[test]
    fn requests_are_checked() {
        let officer = Scope::Organisations(vec!["RDM02".to_owned()]);
        let now = Utc::now();
        assert!(validate(&officer, request(Some("RDM02"), "A&E consultant", 30), now).is_ok());
        let problems = [
            (
                request(Some("RDM02"), "  ", 30),
                "a suppression needs a reason",
            ),
            (
                request(Some("RDM01"), "x", 30),
                "a suppression must name one of your own organisations",
            ),
            (
                request(None, "x", 30),
                "a suppression must name one of your own organisations",
            ),
            (
                request(Some("RDM02"), "x", -1),
                "a suppression must expire in the future",
            ),
            (
                request(Some("RDM02"), "x", 400),
                "a suppression may last at most a year",
            ),
        ];
        for (request, expected) in problems {
            let error = validate(&officer, request, now).expect_err(expected);
            assert_eq!(error.to_string(), expected);
        }
        let nobody = NewSuppression {
            user_id: None,
            ..request(None, "x", 30)
        };
        assert_eq!(
            validate(&Scope::AllOrganisations, nobody, now)
                .expect_err("nobody")
                .to_string(),
            "a suppression must name a user, a patient or an organisation"
        );
    }
}
