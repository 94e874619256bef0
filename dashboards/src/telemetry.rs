//! Every metric of the dashboards, defined once (as the collector's `internal_events`). They go
//! to the process-wide recorder that `careaudit` installs at start, so `careaudit serve`
//! exports them on the collector's `/metrics` beside the collector's own. Labels carry route
//! templates (`/cases/{reference}`), outcomes and view names, never a patient or user id.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, histogram};
use std::time::Instant;

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
