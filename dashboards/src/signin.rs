//! The sign-in page (local accounts, and a button per OpenID provider), its form handler and
//! sign-out. Every successful sign-in starts a new session with a fresh token and ends any
//! session the browser already had (no session fixation); failures say nothing about whether
//! the account exists or is locked.

use crate::accounts::{check_password, PasswordCheck};
use crate::csrf::RequestSession;
use crate::error::DashboardError;
use crate::oidc::ClientAddress;
use crate::pages::page;
use crate::session::{self, random_token};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::html;
use serde::Deserialize;

/// Where to go after signing in: only a path on this site (never `//host` or a full URL).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.contains(['\r', '\n']) =>
        {
            path.to_owned()
        }
        _ => "/cases".to_owned(),
    }
}

#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
}

fn sign_in_form(state: &AppState, csrf: &str, next: &str, problem: Option<&str>) -> Html<String> {
    page(
        "Sign in",
        None,
        html! {
            @if let Some(problem) = problem { p.problem role="alert" { (problem) } }
            form method="post" action="/signin" id="signin" {
                input type="hidden" name="csrf_token" value=(csrf);
                input type="hidden" name="next" value=(next);
                label { "Username " input type="text" name="username" autocomplete="username" required; }
                label { "Password " input type="password" name="password" autocomplete="current-password" required; }
                button type="submit" { "Sign in" }
            }
            @if !state.settings.oidc.is_empty() {
                h2 { "Or sign in with your organisation" }
                ul {
                    @for provider in &state.settings.oidc {
                        li { a.button href={ "/signin/oidc/" (provider.name) "?next=" (urlencoding::encode(next)) } { (provider.display_name) } }
                    }
                }
            }
            p.small { "After " (state.settings.lockout.threshold) " failed attempts an account is locked for "
                (state.settings.lockout.minutes) " minutes." }
        },
    )
}

fn with_cookie(mut response: Response, cookie: String) -> Response {
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `GET /signin`: the form, with a fresh pre-session token (double-submit cookie).
pub async fn form(
    State(state): State<AppState>,
    Extension(request): Extension<RequestSession>,
    Query(query): Query<SignInQuery>,
) -> Response {
    let next = safe_next(query.next.as_deref());
    if request.session.is_some() {
        return Redirect::to(&next).into_response();
    }
    let token = random_token();
    let cookie = state
        .cookies
        .set_cookie(state.cookies.pre_session, &token, 3600);
    with_cookie(
        sign_in_form(&state, &token, &next, None).into_response(),
        cookie,
    )
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// `POST /signin`.
pub async fn submit(
    State(state): State<AppState>,
    Extension(request): Extension<RequestSession>,
    ClientAddress(client): ClientAddress,
    Form(form): Form<SignInForm>,
) -> Result<Response, DashboardError> {
    let next = safe_next(form.next.as_deref());
    let check = check_password(
        &state.pool,
        &state.settings.lockout,
        form.username.trim(),
        &form.password,
        "password",
        client.as_deref(),
    )
    .await?;
    let PasswordCheck::Accepted(account_id) = check else {
        let token = random_token();
        let cookie = state
            .cookies
            .set_cookie(state.cookies.pre_session, &token, 3600);
        let body = sign_in_form(
            &state,
            &token,
            &next,
            Some("Sign-in failed: unknown username, wrong password, or the account is locked."),
        );
        return Ok(with_cookie(
            (StatusCode::UNAUTHORIZED, body).into_response(),
            cookie,
        ));
    };
    if let Some(previous) = &request.presented_token {
        session::end(&state.pool, previous).await?;
    }
    let token =
        session::start(&state.pool, &state.settings.session, account_id, "password").await?;
    let max_age = (state.settings.session.max_hours * 3600.0) as i64;
    let response = Redirect::to(&next).into_response();
    let response = with_cookie(
        response,
        state
            .cookies
            .set_cookie(state.cookies.session, &token, max_age),
    );
    Ok(with_cookie(
        response,
        state.cookies.set_cookie(state.cookies.pre_session, "", 0),
    ))
}

/// `POST /signout`: ends the session (the CSRF guard has checked the form's token).
pub async fn sign_out(
    State(state): State<AppState>,
    Extension(request): Extension<RequestSession>,
) -> Result<Response, DashboardError> {
    if let Some(token) = &request.presented_token {
        session::end(&state.pool, token).await?;
    }
    Ok(with_cookie(
        Redirect::to("/signin").into_response(),
        state.cookies.set_cookie(state.cookies.session, "", 0),
    ))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        let cases = [
            (Some("/cases/CA-1"), "/cases/CA-1"),
            (
                Some("/trace/patient?id=1&from=x"),
                "/trace/patient?id=1&from=x",
            ),
            (Some("//evil.example/"), "/cases"),
            (Some("/\\evil.example"), "/cases"),
            (Some("https://evil.example/"), "/cases"),
            (Some("/x\r\nSet-Cookie: a=b"), "/cases"),
            (None, "/cases"),
        ];
        for (next, expected) in cases {
            assert_eq!(safe_next(next), expected, "{next:?}");
        }
    }
}
