//! The one place that maps dashboard errors to HTTP responses. Internal errors are logged in
//! full and shown to the reader only as "internal error".

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("sign-in required")]
    Unauthenticated,
    #[error("this account may not see this")]
    Forbidden,
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("clickhouse: {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
    #[error("{0}")]
    Alerts(#[from] alerts::AlertsError),
}

impl IntoResponse for DashboardError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Alerts(error) => alerts_status(error),
            Self::Postgres(_) | Self::ClickHouse(_) => {
                tracing::error!(error = %self, "dashboard request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        let mut body = serde_json::json!({ "error": message });
        if let Self::Alerts(error) = &self {
            if let Some(current) = error.current_version() {
                body["current_version"] = current.into();
            }
        }
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"careaudit\", charset=\"UTF-8\""),
            );
        }
        response
    }
}

/// Workflow errors: 404 outside the reader's scope, 403 for a role that may not act, 409 for a
/// stale version (the body names the current one), 422 for a request the workflow refuses.
fn alerts_status(error: &alerts::AlertsError) -> StatusCode {
    match error {
        alerts::AlertsError::NotFound { .. } => StatusCode::NOT_FOUND,
        alerts::AlertsError::Forbidden(_) => StatusCode::FORBIDDEN,
        alerts::AlertsError::Conflict { .. } => StatusCode::CONFLICT,
        alerts::AlertsError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        alerts::AlertsError::Database(error) => {
            tracing::error!(%error, "dashboard request failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}
