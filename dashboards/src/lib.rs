//! The dashboards: the web pages and JSON API privacy officers and investigators use. Every
//! request is signed in, every answer is scoped to the organisations the reader may see, and
//! every look at audit data is itself recorded in `audit_data_views`.

mod accounts;
mod api;
mod breach_api;
mod error;
mod evidence;
mod export_api;
mod organisations_api;
mod pages;
mod suppressions_api;
mod trace;
mod workflow_api;

pub use accounts::{create_account, AccountRole, Viewer};

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Debug, Clone, Deserialize)]
pub struct DashboardSettings {
    pub listen: SocketAddr,
}

/// What every handler needs.
#[derive(Clone)]
pub(crate) struct AppState {
    pub pool: sqlx::PgPool,
    pub clickhouse: clickhouse::Client,
}

pub fn router(pool: sqlx::PgPool, clickhouse: clickhouse::Client) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/cases", get(pages::case_queue))
        .route("/cases/{reference}", get(pages::case_page))
        .route("/api/v1/cases", get(api::list))
        .route("/api/v1/cases/{reference}", get(api::detail))
        .route(
            "/api/v1/patients/{patient_id}/trace",
            get(trace::patient_trace),
        )
        .route(
            "/api/v1/suppressions",
            get(suppressions_api::list).post(suppressions_api::create),
        )
        .route(
            "/api/v1/suppressions/{id}/revoke",
            post(suppressions_api::revoke),
        )
        .merge(workflow_api::routes())
        .merge(breach_api::routes())
        .merge(organisations_api::routes())
        .route("/api/v1/export/findings", get(export_api::findings))
        .route("/api/v1/export/explanations", get(export_api::explanations))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(AppState { pool, clickhouse })
}

pub async fn run(
    settings: DashboardSettings,
    stores: migrations::StoreSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    serve(listener, stores, shutdown).await
}

/// Like [`run`], on a listener the caller already bound (tests bind port 0).
pub async fn serve(
    listener: tokio::net::TcpListener,
    stores: migrations::StoreSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = stores.postgres.connect().await?;
    let app = router(pool, stores.clickhouse.client());
    tracing::info!(address = %listener.local_addr()?, "dashboards listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
