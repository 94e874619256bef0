//! Sign-in through an organisation's OpenID Connect provider (NHS CIS2 is one): the
//! authorization code flow with PKCE (S256), a nonce and a state, using the `openidconnect`
//! crate. The state, nonce and PKCE verifier stay on the server (`oidc_pending`, single use,
//! ten minutes) and the state is also bound to the browser by a cookie, so a callback from
//! another browser or a replayed callback is refused. The ID token's signature (the
//! provider's published keys), issuer, audience, expiry and nonce are verified by the crate.
//! The person's (issuer, subject) must be linked to a careaudit account by an administrator:
//! the provider says who someone is, careaudit decides what they may do.

use crate::error::DashboardError;
use crate::session;
use crate::viewer::client_address;
use crate::AppState;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{header, request::Parts, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// One identity provider careaudit accepts sign-ins from.
#[derive(Debug, Clone, Deserialize)]
pub struct OidcProviderSettings {
    /// Short name used in URLs (`/signin/oidc/{name}`).
    pub name: String,
    /// What the sign-in button says, e.g. "NHS Care Identity Service 2".
    pub display_name: String,
    /// The issuer; its `/.well-known/openid-configuration` is read at each sign-in.
    pub issuer_url: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    /// Scopes beyond `openid` (CIS2 uses e.g. `profile`, `nationalrbacaccess`).
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// A pending sign-in expires after this many seconds.
const PENDING_SECONDS: f64 = 600.0;

fn provider<'a>(
    state: &'a AppState,
    name: &str,
) -> Result<&'a OidcProviderSettings, DashboardError> {
    state
        .settings
        .oidc
        .iter()
        .find(|provider| provider.name == name)
        .ok_or(DashboardError::NotFound)
}

fn http_client() -> Result<openidconnect::reqwest::Client, DashboardError> {
    // Following redirects from the provider's endpoints would open the server to SSRF.
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|error| DashboardError::Internal(format!("http client: {error}")))
}

fn oidc_failure(what: &str, error: impl std::fmt::Display) -> DashboardError {
    tracing::warn!(error = %error, "openid connect {what} failed");
    DashboardError::Internal(format!("openid connect {what} failed: {error}"))
}

fn redirect_uri(state: &AppState, name: &str) -> String {
    format!(
        "{}/signin/oidc/{name}/callback",
        state.settings.public_url.trim_end_matches('/')
    )
}

async fn discover(
    settings: &OidcProviderSettings,
    http: &openidconnect::reqwest::Client,
) -> Result<CoreProviderMetadata, DashboardError> {
    let issuer = IssuerUrl::new(settings.issuer_url.clone())
        .map_err(|error| oidc_failure("issuer URL", error))?;
    CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|error| oidc_failure("discovery", error))
}

/// The provider's client as careaudit registered it there: id, secret, redirect URI.
type ConfiguredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

fn configured_client(
    state: &AppState,
    name: &str,
    settings: &OidcProviderSettings,
    metadata: CoreProviderMetadata,
) -> Result<ConfiguredClient, DashboardError> {
    let secret = settings
        .client_secret
        .as_ref()
        .map(|secret| ClientSecret::new(secret.expose_secret().to_owned()));
    let redirect = RedirectUrl::new(redirect_uri(state, name))
        .map_err(|error| oidc_failure("redirect URL", error))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(settings.client_id.clone()),
        secret,
    )
    .set_redirect_uri(redirect))
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /signin/oidc/{provider}`: sends the browser to the provider.
pub async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<StartQuery>,
) -> Result<Response, DashboardError> {
    let settings = provider(&state, &name)?;
    let http = http_client()?;
    let metadata = discover(settings, &http).await?;
    let client = configured_client(&state, &name, settings, metadata)?;
    let (pkce_challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(pkce_challenge);
    for scope in &settings.scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, csrf_state, nonce) = request.url();
    let next = crate::signin::safe_next(query.next.as_deref());
    sqlx::query("DELETE FROM oidc_pending WHERE created_at < now() - make_interval(secs => $1)")
        .bind(PENDING_SECONDS)
        .execute(&state.pool)
        .await?;
    sqlx::query("INSERT INTO oidc_pending (state, provider, nonce, pkce_verifier, return_to) VALUES ($1, $2, $3, $4, $5)")
        .bind(csrf_state.secret())
        .bind(&name)
        .bind(nonce.secret())
        .bind(pkce_verifier.secret())
        .bind(&next)
        .execute(&state.pool)
        .await?;
    let cookie = state.cookies.set_cookie(
        state.cookies.oidc,
        csrf_state.secret(),
        PENDING_SECONDS as i64,
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(url.as_str())).into_response())
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Pending {
    provider: String,
    nonce: String,
    pkce_verifier: String,
    return_to: String,
}

/// The client address, for the sign-in record.
pub struct ClientAddress(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(client_address(parts)))
    }
}

/// `GET /signin/oidc/{provider}/callback`: the provider sends the browser back with a code.
pub async fn callback(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<CallbackQuery>,
    ClientAddress(client_ip): ClientAddress,
    headers: HeaderMap,
) -> Result<Response, DashboardError> {
    let settings = provider(&state, &name)?;
    if let Some(error) = &query.error {
        return Err(DashboardError::BadRequest(format!(
            "the identity provider refused the sign-in: {error}"
        )));
    }
    let (Some(code), Some(returned_state)) = (query.code, query.state) else {
        return Err(DashboardError::BadRequest(
            "code and state are required".to_owned(),
        ));
    };
    let bound_state = session::cookie_value(&headers, state.cookies.oidc);
    if bound_state.as_deref() != Some(returned_state.as_str()) {
        return Err(DashboardError::BadRequest(
            "this sign-in was not started from this browser".to_owned(),
        ));
    }
    let pending: Option<Pending> = sqlx::query_as(
        "DELETE FROM oidc_pending WHERE state = $1 AND created_at > now() - make_interval(secs => $2)
         RETURNING provider, nonce, pkce_verifier, return_to",
    )
    .bind(&returned_state)
    .bind(PENDING_SECONDS)
    .fetch_optional(&state.pool)
    .await?;
    let pending = pending
        .filter(|pending| pending.provider == name)
        .ok_or_else(|| DashboardError::BadRequest("unknown or expired sign-in".to_owned()))?;
    let http = http_client()?;
    let metadata = discover(settings, &http).await?;
    let client = configured_client(&state, &name, settings, metadata)?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|error| oidc_failure("token request", error))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
        .request_async(&http)
        .await
        .map_err(|error| oidc_failure("token exchange", error))?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| oidc_failure("token exchange", "no ID token in the answer"))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(pending.nonce))
        .map_err(|error| oidc_failure("ID token verification", error))?;
    let issuer = claims.issuer().as_str().to_owned();
    let subject = claims.subject().as_str().to_owned();
    let account: Option<(uuid::Uuid, String)> = sqlx::query_as(
        "SELECT u.id, u.username FROM app_user_identities i JOIN app_users u ON u.id = i.user_id
         WHERE i.issuer = $1 AND i.subject = $2 AND NOT u.disabled",
    )
    .bind(&issuer)
    .bind(&subject)
    .fetch_optional(&state.pool)
    .await?;
    let label = format!("{name}:{subject}");
    let Some((account_id, username)) = account else {
        crate::accounts::record_sign_in(
            &state.pool,
            &label,
            "oidc",
            "no_linked_account",
            client_ip.as_deref(),
        )
        .await?;
        return Err(DashboardError::Forbidden);
    };
    crate::accounts::record_sign_in(
        &state.pool,
        &username,
        "oidc",
        "success",
        client_ip.as_deref(),
    )
    .await?;
    if let Some(previous) = session::cookie_value(&headers, state.cookies.session) {
        session::end(&state.pool, &previous).await?;
    }
    sqlx::query("UPDATE app_users SET last_sign_in_at = now() WHERE id = $1")
        .bind(account_id)
        .execute(&state.pool)
        .await?;
    let token = session::start(&state.pool, &state.settings.session, account_id, "oidc").await?;
    let max_age = (state.settings.session.max_hours * 3600.0) as i64;
    let mut response = Redirect::to(&pending.return_to).into_response();
    let cookies = [
        state
            .cookies
            .set_cookie(state.cookies.session, &token, max_age),
        state.cookies.set_cookie(state.cookies.oidc, "", 0),
    ];
    for cookie in cookies {
        if let Ok(value) = header::HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}
