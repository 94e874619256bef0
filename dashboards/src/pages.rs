//! Server-rendered HTML pages (maud escapes every value): plain, fast, usable without
//! JavaScript. This module holds the layout every page shares, the security headers every
//! response gets, and the style sheet; each page lives in its own file under `pages/`.

pub mod bulk;
pub mod case;
pub mod case_forms;
pub mod case_workflow;
pub mod queue;
pub mod reports;
pub mod subject_access;
pub mod trace;

use crate::roles::Permission;
use crate::viewer::Viewer;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup, DOCTYPE};

const STYLE: &str = include_str!("pages/careaudit.css");

/// `GET /static/careaudit.css`.
pub async fn style_sheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

/// Headers on every response: a strict content security policy (no scripts at all, styles only
/// from this site), no framing, no MIME sniffing, no referrer to other sites (URLs name
/// patients; `no-referrer` would also make browsers send `Origin: null` on our own forms), and no
/// caching of anything but the style sheet (pages and downloads carry patient data).
pub async fn security_headers(request: Request, next: Next) -> Response {
    let is_static = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "x-frame-options", "DENY");
    set(headers, "referrer-policy", "same-origin");
    if !is_static {
        set(headers, "cache-control", "no-store");
    }
    response
}

/// Errors answered to a browser asking for a page are shown as a page, not as the API's JSON.
pub async fn html_errors(request: Request, next: Next) -> Response {
    let wants_page = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("text/html"));
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    let machine = path.starts_with("/api/") || path.starts_with("/fhir/");
    if !wants_page
        || machine
        || !is_json
        || !(response.status().is_client_error() || response.status().is_server_error())
    {
        return response;
    }
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|json| json["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "something went wrong".to_owned());
    let title = status.canonical_reason().unwrap_or("Error");
    let page = page(
        title,
        None,
        html! {
            p.problem { (message) }
            p { a href="/cases" { "Back to careaudit" } }
        },
    );
    (status, page).into_response()
}

/// A complete page. `viewer` is `None` on the sign-in page.
pub fn page(title: &str, viewer: Option<&Viewer>, body: Markup) -> Html<String> {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — careaudit" }
                link rel="stylesheet" href="/static/careaudit.css";
            }
            body {
                header {
                    span.brand { "careaudit" }
                    @if let Some(viewer) = viewer {
                        nav {
                            @if viewer.may(Permission::ViewCases) { a href="/cases" { "Case queue" } }
                            @if viewer.may(Permission::Traces) { a href="/trace" { "Traces" } }
                            @if viewer.may(Permission::Reports) || viewer.may(Permission::SelfAudit) { a href="/reports" { "Reports" } }
                        }
                        form.signout method="post" action="/signout" {
                            (csrf_field(viewer))
                            span { (viewer.display_name) " (" (viewer.roles_text()) ")" }
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    Html(page.into_string())
}

/// The hidden CSRF field every form of a signed-in page carries.
pub fn csrf_field(viewer: &Viewer) -> Markup {
    html! {
        @if let Some(token) = &viewer.csrf_token {
            input type="hidden" name="csrf_token" value=(token);
        }
    }
}

pub async fn home() -> Redirect {
    Redirect::to("/cases")
}

/// A `<select>` with an empty "any" choice and `current` selected.
pub fn select(name: &str, choices: &[&str], current: Option<&str>) -> Markup {
    html! {
        select name=(name) {
            option value="" { "any" }
            @for choice in choices {
                option value=(choice) selected[current == Some(*choice)] { (choice) }
            }
        }
    }
}
