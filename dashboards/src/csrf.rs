//! The request guard every route sits behind: it resolves the browser session once per request
//! (for the [`Viewer`](crate::viewer::Viewer) extractor) and refuses cross-site requests that
//! would change state. Because it is a layer over the whole router, it also protects routes
//! other modules add; no handler needs code of its own.
//!
//! For every POST, PUT, PATCH and DELETE:
//! - a browser's cross-site request (`Sec-Fetch-Site` other than same-origin, or an `Origin`
//!   that is not this service) is refused outright;
//! - with a session cookie, the request must carry the session's CSRF token, in the
//!   `X-CSRF-Token` header (scripts, fetch) or the `csrf_token` form field (HTML forms);
//! - without a session, a request with an `Authorization` header (HTTP Basic for scripts) is
//!   exempt: no cookie is involved, so a forged request has no ambient authority;
//! - anything else (the sign-in form) must repeat the pre-session cookie's token in its form
//!   (double submit), which stops login CSRF.

use crate::error::DashboardError;
use crate::session::{self, cookie_value, ActiveSession};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What the guard found out about a request's session, for the extractors.
#[derive(Debug, Clone, Default)]
pub struct RequestSession {
    /// The session cookie's token, if the request presented one (live or not).
    pub presented_token: Option<String>,
    pub session: Option<ActiveSession>,
}

/// Largest form body the guard reads to find the CSRF field.
const MAX_FORM_BYTES: usize = 4 * 1024 * 1024;

pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match check(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => {
            if matches!(error, DashboardError::Csrf) {
                crate::telemetry::csrf_refused();
            }
            error.into_response()
        }
    }
}

async fn check(state: &AppState, request: Request) -> Result<Request, DashboardError> {
    let (mut parts, body) = request.into_parts();
    let presented_token = cookie_value(&parts.headers, state.cookies.session);
    let session = match &presented_token {
        Some(token) => session::resume(&state.pool, &state.settings.session, token).await?,
        None => None,
    };
    let mut body = body;
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        if is_cross_site(&parts.headers, &state.settings.public_url) {
            return Err(DashboardError::Csrf);
        }
        let expected = match &session {
            Some(session) => Some(session.csrf_token.clone()),
            None if parts.headers.contains_key(header::AUTHORIZATION) => None,
            None => Some(
                cookie_value(&parts.headers, state.cookies.pre_session)
                    .ok_or(DashboardError::Csrf)?,
            ),
        };
        if let Some(expected) = expected {
            let (presented, rebuilt) = presented_csrf_token(&parts.headers, body).await?;
            body = rebuilt;
            if !presented.is_some_and(|presented| constant_time_eq(&presented, &expected)) {
                return Err(DashboardError::Csrf);
            }
        }
    }
    parts.extensions.insert(RequestSession {
        presented_token,
        session,
    });
    Ok(Request::from_parts(parts, body))
}

/// The token from the header, or else from the form body (which is read and handed back).
async fn presented_csrf_token(
    headers: &HeaderMap,
    body: Body,
) -> Result<(Option<String>, Body), DashboardError> {
    if let Some(value) = headers.get("x-csrf-token") {
        return Ok((value.to_str().ok().map(str::to_owned), body));
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((None, body));
    }
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| DashboardError::BadRequest("the form is too large".to_owned()))?;
    let token = form_urlencoded::parse(&bytes)
        .find(|(key, _)| key == "csrf_token")
        .map(|(_, value)| value.into_owned());
    Ok((token, Body::from(bytes)))
}

/// Whether a browser says this request comes from another site.
fn is_cross_site(headers: &HeaderMap, public_url: &str) -> bool {
    let header_text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    // Browsers that send Fetch metadata say exactly where a request comes from; older ones
    // are judged by their Origin.
    if let Some(site) = header_text("sec-fetch-site") {
        return site != "same-origin" && site != "none";
    }
    let Some(origin) = header_text("origin") else {
        return false;
    };
    let public_origin = origin_of(public_url);
    let host_origins = header_text("host")
        .map(|host| [format!("http://{host}"), format!("https://{host}")])
        .unwrap_or_default();
    !(origin == public_origin || host_origins.iter().any(|allowed| allowed == origin))
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |index| index + 3);
    match url[after_scheme..].find('/') {
        Some(index) => &url[..after_scheme + index],
        None => url,
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0_u8, |difference, (x, y)| difference | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn cross_site_requests_are_recognised() {
        let public = "https://careaudit.example/";
        let cases: [(&[(&'static str, &'static str)], bool); 7] = [
            (&[], false),
            (&[("sec-fetch-site", "same-origin")], false),
            (&[("sec-fetch-site", "cross-site")], true),
            (&[("sec-fetch-site", "same-site")], true),
            (&[("origin", "https://careaudit.example")], false),
            (&[("origin", "https://evil.example")], true),
            (
                &[
                    ("origin", "http://127.0.0.1:4081"),
                    ("host", "127.0.0.1:4081"),
                ],
                false,
            ),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                is_cross_site(&headers(pairs), public),
                expected,
                "{pairs:?}"
            );
        }
        assert!(is_cross_site(&headers(&[("origin", "null")]), public));
        assert!(!is_cross_site(
            &headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
            public
        ));
    }

    #[test]
    fn origins_and_comparisons() {
        assert_eq!(
            origin_of("https://a.example:8443/x/y"),
            "https://a.example:8443"
        );
        assert_eq!(origin_of("http://a"), "http://a");
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd") && !constant_time_eq("abc", "ab"));
    }
}
