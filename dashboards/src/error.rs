//! The one place that maps dashboard errors to HTTP responses. Internal errors are logged in
//! full and shown to the reader only as "internal error".

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("sign-in required")]
    Unauthenticated,
    /// A browser asked for a page without being signed in: it is sent to the sign-in page.
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("this account may not see this")]
    Forbidden,
    #[error("cross-site request refused: the form or request lacks a valid CSRF token")]
    Csrf,
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("clickhouse: {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
    #[error("internal: {0}")]
    Internal(String),
    #[error("{0}")]
    Alerts(#[from] alerts::AlertsError),
}

impl DashboardError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::SignInRequired { .. } => StatusCode::SEE_OTHER,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Alerts(error) => alerts_status(error),
            Self::Postgres(_) | Self::ClickHouse(_) | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The message a reader may see.
    pub fn public_message(&self) -> String {
        if self.status() == StatusCode::INTERNAL_SERVER_ERROR {
            "internal error".to_owned()
        } else {
            self.to_string()
        }
    }
}

impl IntoResponse for DashboardError {
    fn into_response(self) -> Response {
        if let Self::SignInRequired { next } = &self {
            let target = format!("/signin?next={}", urlencoding::encode(next));
            return Redirect::to(&target).into_response();
        }
        let status = self.status();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "dashboard request failed");
        }
        let mut body = serde_json::json!({ "error": self.public_message() });
        if let Self::Alerts(error) = &self {
            if let Some(current) = error.current_version() {
                body["current_version"] = current.into();
            }
            if let Some(target) = error.merged_into() {
                body["merged_into"] = target.into();
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
/// stale version (the body names the current one) or a merged case (the body names its
/// target), 422 for a request the workflow refuses.
fn alerts_status(error: &alerts::AlertsError) -> StatusCode {
    match error {
        alerts::AlertsError::NotFound { .. } => StatusCode::NOT_FOUND,
        alerts::AlertsError::Forbidden(_) => StatusCode::FORBIDDEN,
        alerts::AlertsError::Conflict { .. } | alerts::AlertsError::MergedInto { .. } => {
            StatusCode::CONFLICT
        }
        alerts::AlertsError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        alerts::AlertsError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
