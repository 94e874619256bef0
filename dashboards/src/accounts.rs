//! careaudit's own accounts: argon2id password hashes, lockout after repeated failures, links
//! to identities at an organisation's OpenID provider, and a record of every sign-in attempt
//! (`sign_in_events`). Accounts are provisioned by an administrator; signing in never creates
//! one, so no identity provider can grant itself roles in careaudit.

use crate::roles::AccountRole;
/// The request extractor's old home: the workflow, breach, directory and export routes use it.
pub(crate) use crate::viewer::Viewer;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use serde::Deserialize;
use sqlx::PgPool;

/// When repeated failures lock an account, and for how long.
#[derive(Debug, Clone, Deserialize)]
pub struct LockoutSettings {
    /// Consecutive failed sign-ins that lock the account.
    #[serde(default = "default_threshold")]
    pub threshold: i32,
    /// How long a locked account stays locked, in minutes.
    #[serde(default = "default_minutes")]
    pub minutes: f64,
}

impl Default for LockoutSettings {
    fn default() -> Self {
        Self {
            threshold: default_threshold(),
            minutes: default_minutes(),
        }
    }
}

fn default_threshold() -> i32 {
    5
}
fn default_minutes() -> f64 {
    15.0
}

/// The outcome of a password check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    Accepted(uuid::Uuid),
    /// Unknown account, disabled account or wrong password: indistinguishable to the caller.
    Refused,
    /// Too many failures: refused without looking at the password until the lock expires.
    Locked,
}

fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|error| anyhow::anyhow!("hashing the password failed: {error}"))?
        .to_string())
}

/// Creates (or resets the password and roles of) an account.
pub async fn create_account(
    pool: &PgPool,
    username: &str,
    display_name: &str,
    password: &str,
    roles: &[AccountRole],
) -> anyhow::Result<()> {
    let hash = hash_password(password)?;
    let mut transaction = pool.begin().await?;
    let id: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO app_users (id, username, display_name, password_hash) VALUES ($1, $2, $3, $4)
         ON CONFLICT (username) DO UPDATE SET display_name = EXCLUDED.display_name,
             password_hash = EXCLUDED.password_hash, failed_sign_ins = 0, locked_until = NULL
         RETURNING id",
    )
    .bind(uuid::Uuid::new_v4())
    .bind(username)
    .bind(display_name)
    .bind(hash)
    .fetch_one(&mut *transaction)
    .await?;
    sqlx::query("DELETE FROM app_user_roles WHERE user_id = $1")
        .bind(id)
        .execute(&mut *transaction)
        .await?;
    for role in roles {
        sqlx::query("INSERT INTO app_user_roles (user_id, role, org_code) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(role.role)
            .bind(&role.org_code)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// Links an account to a person's subject at an OpenID provider (`issuer`).
pub async fn link_identity(
    pool: &PgPool,
    username: &str,
    issuer: &str,
    subject: &str,
) -> anyhow::Result<()> {
    let linked = sqlx::query(
        "INSERT INTO app_user_identities (issuer, subject, user_id)
         SELECT $2, $3, id FROM app_users WHERE username = $1
         ON CONFLICT (issuer, subject) DO UPDATE SET user_id = EXCLUDED.user_id",
    )
    .bind(username)
    .bind(issuer)
    .bind(subject)
    .execute(pool)
    .await?;
    anyhow::ensure!(linked.rows_affected() == 1, "no account named {username:?}");
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Candidate {
    id: uuid::Uuid,
    password_hash: Option<String>,
    locked: bool,
}

/// A hash to verify against when the account does not exist, so that an unknown username costs
/// the same time as a wrong password and cannot be told apart by timing.
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password("no such account").unwrap_or_default())
        .clone()
}

fn verify(password: String, stored: Option<String>) -> bool {
    let stored = stored.unwrap_or_else(dummy_hash);
    PasswordHash::new(&stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Checks a password, counting failures towards the lockout and recording the attempt.
pub async fn check_password(
    pool: &PgPool,
    lockout: &LockoutSettings,
    username: &str,
    password: &str,
    method: &str,
    client_address: Option<&str>,
) -> Result<PasswordCheck, sqlx::Error> {
    let candidate: Option<Candidate> = sqlx::query_as(
        "SELECT id, password_hash, COALESCE(locked_until > now(), false) AS locked
         FROM app_users WHERE username = $1 AND NOT disabled",
    )
    .bind(username)
    .fetch_optional(pool)
    .await?;
    if candidate.as_ref().is_some_and(|account| account.locked) {
        record_sign_in(pool, username, method, "locked", client_address).await?;
        return Ok(PasswordCheck::Locked);
    }
    let stored = candidate
        .as_ref()
        .and_then(|account| account.password_hash.clone());
    // Argon2 is deliberately slow: keep it off the async workers.
    let password = password.to_owned();
    let verified = tokio::task::spawn_blocking(move || verify(password, stored))
        .await
        .unwrap_or(false);
    let Some(account) = candidate else {
        record_sign_in(pool, username, method, "unknown_account", client_address).await?;
        return Ok(PasswordCheck::Refused);
    };
    if verified {
        sqlx::query("UPDATE app_users SET failed_sign_ins = 0, locked_until = NULL, last_sign_in_at = now() WHERE id = $1")
            .bind(account.id)
            .execute(pool)
            .await?;
        record_sign_in(pool, username, method, "success", client_address).await?;
        return Ok(PasswordCheck::Accepted(account.id));
    }
    let locked_now: bool = sqlx::query_scalar(include_str!("accounts/count_failure.sql"))
        .bind(account.id)
        .bind(lockout.threshold)
        .bind(lockout.minutes * 60.0)
        .fetch_one(pool)
        .await?;
    let outcome = if locked_now {
        tracing::warn!(username, "account locked after repeated failed sign-ins");
        "wrong_password_locked"
    } else {
        "wrong_password"
    };
    record_sign_in(pool, username, method, outcome, client_address).await?;
    Ok(PasswordCheck::Refused)
}

/// Records one sign-in attempt in `sign_in_events`.
pub async fn record_sign_in(
    pool: &PgPool,
    username: &str,
    method: &str,
    outcome: &str,
    client_address: Option<&str>,
) -> Result<(), sqlx::Error> {
    tracing::info!(username, method, outcome, "sign-in attempt");
    crate::telemetry::sign_in(method, outcome);
    sqlx::query(
        "INSERT INTO sign_in_events (username, method, outcome, client_address) VALUES ($1, $2, $3, $4)",
    )
    .bind(username)
    .bind(method)
    .bind(outcome)
    .bind(client_address)
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_the_dummy_hash_parses_but_matches_nothing() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(verify("correct horse".into(), Some(hash.clone())));
        assert!(!verify("wrong".into(), Some(hash)));
        assert!(PasswordHash::new(&dummy_hash()).is_ok());
        assert!(!verify("anything".into(), None));
    }
}
