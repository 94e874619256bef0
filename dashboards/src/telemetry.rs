//! Every metric of the dashboards, defined once (as the collector's `internal_events`). They go
//! to the process-wide recorder that `careaudit` installs at start: `careaudit serve` exports
//! them on the collector's `/metrics` beside the collector's own, and `careaudit dashboards`
//! (no collector in the process) on the dashboards' own `/metrics`. Labels carry route
//! templates (`/cases/{reference}`), outcomes and view names, never a patient or user id.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, histogram};
use std::time::Instant;

/// `GET /metrics`: the process's metrics (Prometheus text format) when this process exports
/// them here, as Prometheus scrapes them (no sign-in, like the collector's: counts by route
/// template and outcome, no patient or user data); 404 when the collector's `/metrics` has them.
pub async fn export(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(render) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            render(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "this process exports its metrics on the collector's /metrics",
        )
            .into_response(),
    }
}

/// Counts and times every request by route template and status.
pub async fn track_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    counter!("careaudit_dashboards_requests_total", "route" => route.clone(), "method" => method, "status" => status).increment(1);
    histogram!("careaudit_dashboards_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// A sign-in attempt, by method (`password`, `basic`, `oidc`) and outcome.
pub fn sign_in(method: &str, outcome: &str) {
    counter!("careaudit_dashboards_sign_ins_total", "method" => method.to_owned(), "outcome" => outcome.to_owned()).increment(1);
}

/// A look at audit data recorded in the self-audit, by view.
pub fn audit_data_view(view: &str) {
    counter!("careaudit_dashboards_audit_data_views_total", "view" => view.to_owned()).increment(1);
}

/// A request refused by the CSRF guard.
pub fn csrf_refused() {
    counter!("careaudit_dashboards_csrf_refused_total").increment(1);
}

/// A bulk action on the case queue, by action: the cases it changed and those it left alone
/// (outside scope, changed meanwhile, or not allowed by the workflow).
pub fn bulk_action(action: &'static str, changed: usize, refused: usize) {
    counter!("careaudit_dashboards_bulk_cases_total", "action" => action, "outcome" => "changed")
        .increment(changed as u64);
    counter!("careaudit_dashboards_bulk_cases_total", "action" => action, "outcome" => "refused")
        .increment(refused as u64);
}

/// A case form submitted from the case page, by form and outcome (`changed`, `conflict`,
/// `refused`).
pub fn case_form(form: &'static str, outcome: &'static str) {
    counter!("careaudit_dashboards_case_forms_total", "form" => form, "outcome" => outcome)
        .increment(1);
}
