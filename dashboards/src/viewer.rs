//! `Viewer`: who is signed in on a request, with their roles. It is the one entry point every
//! route uses (the other modules' routes included). People sign in through a browser and are
//! known by their session cookie (see [`crate::session`]); scripts such as `careaudit
//! evaluate` authenticate each request with HTTP Basic, meant to be used only over the
//! deployment's TLS, which counts failures towards the same lockout as the sign-in form.

use crate::accounts::{check_password, PasswordCheck};
use crate::csrf::RequestSession;
use crate::error::DashboardError;
use crate::roles::{scope_for, Permission, Role};
use crate::AppState;
use alerts::Scope;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use base64::Engine;
use std::net::SocketAddr;

/// How a viewer proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    Password,
    OpenIdConnect,
    /// HTTP Basic on every request (scripts); no cookie, no CSRF token.
    Basic,
}

/// The signed-in reader of a request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub account_id: uuid::Uuid,
    pub username: String,
    pub display_name: String,
    /// (role, organisation) pairs; organisation `None` = every organisation.
    pub roles: Vec<(String, Option<String>)>,
    pub method: SignInMethod,
    /// The session's CSRF token, for the forms a page renders.
    pub csrf_token: Option<String>,
}

impl Viewer {
    /// The organisations whose cases this viewer may see (none, when no role grants cases).
    pub fn scope(&self) -> Scope {
        self.scope_for(Permission::ViewCases)
            .unwrap_or(Scope::Organisations(Vec::new()))
    }

    /// The organisations `permission` is granted for, or `None`.
    pub fn scope_for(&self, permission: Permission) -> Option<Scope> {
        scope_for(&self.roles, permission)
    }

    /// The scope of `permission`, or `Forbidden`.
    pub fn require(&self, permission: Permission) -> Result<Scope, DashboardError> {
        self.scope_for(permission).ok_or(DashboardError::Forbidden)
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.scope_for(permission).is_some()
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|(held, _)| held == role.as_str())
    }

    /// The roles as shown to people: `privacy_officer@RDM01, auditor`.
    pub fn roles_text(&self) -> String {
        self.roles
            .iter()
            .map(|(role, org)| match org {
                Some(org) => format!("{role}@{org}"),
                None => role.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (username, password) = text.split_once(':')?;
    Some((username.to_owned(), password.to_owned()))
}

/// Whether the client is a browser asking for a page (it gets a redirect to the sign-in page
/// rather than a 401).
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("text/html"))
}

/// The API and FHIR answer 401 to everyone; only pages redirect to the sign-in form.
fn is_machine_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/fhir/")
}

pub(crate) fn client_address(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_string())
}

/// Loads a signed-in account's name and roles.
pub(crate) async fn load_viewer(
    pool: &sqlx::PgPool,
    account_id: uuid::Uuid,
    method: SignInMethod,
    csrf_token: Option<String>,
) -> Result<Viewer, DashboardError> {
    let account: Option<(String, String)> = sqlx::query_as(
        "SELECT username, display_name FROM app_users WHERE id = $1 AND NOT disabled",
    )
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    let (username, display_name) = account.ok_or(DashboardError::Unauthenticated)?;
    let roles: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT role, org_code FROM app_user_roles WHERE user_id = $1 ORDER BY role, org_code",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    if roles.is_empty() {
        return Err(DashboardError::Forbidden);
    }
    Ok(Viewer {
        account_id,
        username,
        display_name,
        roles,
        method,
        csrf_token,
    })
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = DashboardError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, DashboardError> {
        if let Some(viewer) = parts.extensions.get::<Viewer>() {
            return Ok(viewer.clone());
        }
        let viewer = if let Some((username, password)) = basic_credentials(&parts.headers) {
            let check = check_password(
                &state.pool,
                &state.settings.lockout,
                &username,
                &password,
                "basic",
                client_address(parts).as_deref(),
            )
            .await?;
            match check {
                PasswordCheck::Accepted(id) => {
                    load_viewer(&state.pool, id, SignInMethod::Basic, None).await?
                }
                PasswordCheck::Refused | PasswordCheck::Locked => {
                    return Err(DashboardError::Unauthenticated)
                }
            }
        } else {
            let session = parts
                .extensions
                .get::<RequestSession>()
                .and_then(|request| request.session.clone());
            match session {
                Some(session) => {
                    let method = if session.auth_method == "oidc" {
                        SignInMethod::OpenIdConnect
                    } else {
                        SignInMethod::Password
                    };
                    load_viewer(
                        &state.pool,
                        session.user_id,
                        method,
                        Some(session.csrf_token),
                    )
                    .await?
                }
                None if wants_html(&parts.headers) && !is_machine_path(parts.uri.path()) => {
                    let next = parts
                        .uri
                        .path_and_query()
                        .map_or("/".to_owned(), |path| path.as_str().to_owned());
                    return Err(DashboardError::SignInRequired { next });
                }
                None => return Err(DashboardError::Unauthenticated),
            }
        };
        parts.extensions.insert(viewer.clone());
        Ok(viewer)
    }
}
