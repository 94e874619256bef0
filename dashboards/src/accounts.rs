//! careaudit's own accounts and sign-in. Passwords are stored as argon2id hashes. Requests
//! authenticate with HTTP Basic over the deployment's TLS terminator (session sign-in and
//! OpenID Connect come with the full dashboards).

use crate::error::DashboardError;
use crate::AppState;
use alerts::Scope;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use sqlx::PgPool;

/// A role a careaudit account holds, for one organisation or (with `None`) all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRole {
    pub role: &'static str,
    pub org_code: Option<String>,
}

/// The signed-in reader of a request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<(String, Option<String>)>,
}

impl Viewer {
    /// The organisations whose cases this viewer may see: all, when any role is unscoped.
    pub fn scope(&self) -> Scope {
        if self.roles.iter().any(|(_, org)| org.is_none()) {
            return Scope::AllOrganisations;
        }
        Scope::Organisations(
            self.roles
                .iter()
                .filter_map(|(_, org)| org.clone())
                .collect(),
        )
    }
}

/// Creates (or resets the password and roles of) an account.
pub async fn create_account(
    pool: &PgPool,
    username: &str,
    display_name: &str,
    password: &str,
    roles: &[AccountRole],
) -> anyhow::Result<()> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|error| anyhow::anyhow!("hashing the password failed: {error}"))?
        .to_string();
    let mut transaction = pool.begin().await?;
    let id: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO app_users (id, username, display_name, password_hash) VALUES ($1, $2, $3, $4)
         ON CONFLICT (username) DO UPDATE SET display_name = EXCLUDED.display_name, password_hash = EXCLUDED.password_hash
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

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: uuid::Uuid,
    display_name: String,
    password_hash: Option<String>,
}

fn basic_credentials(parts: &Parts) -> Option<(String, String)> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let encoded = header.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (username, password) = text.split_once(':')?;
    Some((username.to_owned(), password.to_owned()))
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = DashboardError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, DashboardError> {
        let (username, password) =
            basic_credentials(parts).ok_or(DashboardError::Unauthenticated)?;
        let account: Option<AccountRow> = sqlx::query_as(
            "SELECT id, display_name, password_hash FROM app_users WHERE username = $1 AND NOT disabled",
        )
        .bind(&username)
        .fetch_optional(&state.pool)
        .await?;
        let Some(account) = account else {
            return Err(DashboardError::Unauthenticated);
        };
        let verified = account.password_hash.as_deref().is_some_and(|stored| {
            PasswordHash::new(stored).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        });
        if !verified {
            tracing::info!(username, "sign-in refused");
            return Err(DashboardError::Unauthenticated);
        }
        let roles: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT role, org_code FROM app_user_roles WHERE user_id = $1 ORDER BY role, org_code",
        )
        .bind(account.id)
        .fetch_all(&state.pool)
        .await?;
        if roles.is_empty() {
            return Err(DashboardError::Forbidden);
        }
        Ok(Viewer {
            username,
            display_name: account.display_name,
            roles,
        })
    }
}
