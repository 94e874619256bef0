//! Server-side sessions for people signed in through a browser. The cookie carries 256 random
//! bits; PostgreSQL keeps only their SHA-256, the account, the sign-in method and a CSRF token
//! bound to the session. A session ends after `idle_minutes` without a request or
//! `max_hours` after sign-in, whichever comes first, and on sign-out.
//!
//! Session fixation: a session token is only ever created by a successful sign-in, never
//! accepted from the client, and any session the client presented when signing in is ended.

use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

#[derive(Debug, Clone, Deserialize)]
pub struct SessionSettings {
    #[serde(default = "default_idle_minutes")]
    pub idle_minutes: f64,
    #[serde(default = "default_max_hours")]
    pub max_hours: f64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            idle_minutes: default_idle_minutes(),
            max_hours: default_max_hours(),
        }
    }
}

fn default_idle_minutes() -> f64 {
    30.0
}
fn default_max_hours() -> f64 {
    12.0
}

/// A random token for a cookie or a form: 32 bytes, URL-safe base64.
pub fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A session as a request sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActiveSession {
    pub user_id: uuid::Uuid,
    pub csrf_token: String,
    pub auth_method: String,
}

/// Starts a session for `user_id`; returns the cookie token (shown to nobody else).
pub async fn start(
    pool: &PgPool,
    settings: &SessionSettings,
    user_id: uuid::Uuid,
    auth_method: &str,
) -> Result<String, sqlx::Error> {
    let token = random_token();
    sqlx::query(
        "INSERT INTO app_sessions (token_sha256, user_id, csrf_token, auth_method, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))",
    )
    .bind(digest(&token))
    .bind(user_id)
    .bind(random_token())
    .bind(auth_method)
    .bind(settings.max_hours * 3600.0)
    .execute(pool)
    .await?;
    Ok(token)
}

/// The live session named by `token`, touching its idle timer; `None` when unknown, expired,
/// idle too long or the account is disabled.
pub async fn resume(
    pool: &PgPool,
    settings: &SessionSettings,
    token: &str,
) -> Result<Option<ActiveSession>, sqlx::Error> {
    sqlx::query_as(include_str!("session/resume.sql"))
        .bind(digest(token))
        .bind(settings.idle_minutes * 60.0)
        .fetch_optional(pool)
        .await
}

/// Ends the session named by `token` (sign-out, or a new sign-in from the same browser).
pub async fn end(pool: &PgPool, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM app_sessions WHERE token_sha256 = $1")
        .bind(digest(token))
        .execute(pool)
        .await?;
    Ok(())
}

/// The cookies careaudit sets. With an `https://` public address they are `Secure` and use
/// the `__Host-` prefix (bound to this host, path `/`, never sent over plain HTTP).
#[derive(Debug, Clone)]
pub struct CookieNames {
    pub secure: bool,
    pub session: &'static str,
    pub pre_session: &'static str,
    pub oidc: &'static str,
}

impl CookieNames {
    pub fn for_public_url(public_url: &str) -> Self {
        let secure = public_url.starts_with("https://");
        if secure {
            Self {
                secure,
                session: "__Host-careaudit_session",
                pre_session: "__Host-careaudit_presession",
                oidc: "__Host-careaudit_oidc",
            }
        } else {
            Self {
                secure,
                session: "careaudit_session",
                pre_session: "careaudit_presession",
                oidc: "careaudit_oidc",
            }
        }
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Lax (the OpenID callback is a cross-site
    /// top-level navigation), path `/`; `max_age_seconds` 0 deletes the cookie.
    pub fn set_cookie(&self, name: &str, value: &str, max_age_seconds: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}")
    }
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            "cookie",
            HeaderValue::from_static("a=1; careaudit_session=xyz"),
        );
        headers.append("cookie", HeaderValue::from_static("b=2"));
        assert_eq!(
            cookie_value(&headers, "careaudit_session").as_deref(),
            Some("xyz")
        );
        assert_eq!(cookie_value(&headers, "b").as_deref(), Some("2"));
        assert_eq!(cookie_value(&headers, "careaudit"), None);
    }

    #[test]
    fn https_deployments_get_host_bound_secure_cookies() {
        let secure = CookieNames::for_public_url("https://careaudit.example");
        assert_eq!(secure.session, "__Host-careaudit_session");
        let set = secure.set_cookie(secure.session, "t", 60);
        assert!(set.ends_with("; Secure") && set.contains("HttpOnly"));
        let plain = CookieNames::for_public_url("http://127.0.0.1:4081");
        assert!(!plain.set_cookie(plain.session, "t", 0).contains("Secure"));
    }

    #[test]
    fn tokens_are_random_and_long() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_ne!(digest(&a), a);
    }
}
