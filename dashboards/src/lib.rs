//! The dashboards: the web pages and JSON API privacy officers, investigators, auditors and
//! administrators use, and the standard FHIR query patient portals use. Every request is
//! signed in (a browser session, or HTTP Basic for scripts), every answer is scoped to the
//! organisations the reader's roles cover, every state change is CSRF-checked by one layer
//! over the whole router, and every look at audit data is itself recorded in
//! `audit_data_views`.

mod accounts;
mod api;
mod breach_api;
mod case_evidence;
mod csrf;
mod demographics;
mod error;
mod evidence_pack;
mod export;
mod export_api;
mod iti81;
mod oidc;
mod openapi;
mod organisations_api;
mod pages;
mod pdf;
mod queue;
mod report_table;
mod reports;
mod roles;
mod self_audit;
mod session;
mod signin;
mod subject_access;
mod suppressions_api;
mod telemetry;
mod trace;
mod viewer;
mod workflow_api;

pub use accounts::{create_account, link_identity, LockoutSettings};
pub use oidc::OidcProviderSettings;
pub use openapi::{api_document, api_routes};
pub use roles::{AccountRole, Permission, Role};
pub use session::SessionSettings;
pub use subject_access::{StaffNames, SubjectAccessSettings};
pub use viewer::{SignInMethod, Viewer};

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug, Clone, Deserialize)]
pub struct DashboardSettings {
    pub listen: SocketAddr,
    /// The address people reach the dashboards at (links, the OpenID redirect URI). With
    /// `https://` every cookie is `Secure` and `__Host-` prefixed.
    #[serde(default = "default_public_url")]
    pub public_url: String,
    #[serde(default)]
    pub session: SessionSettings,
    #[serde(default)]
    pub lockout: LockoutSettings,
    /// Identity providers people may sign in with (OpenID Connect).
    #[serde(default)]
    pub oidc: Vec<OidcProviderSettings>,
    #[serde(default)]
    pub subject_access: SubjectAccessSettings,
}

fn default_public_url() -> String {
    "http://127.0.0.1:4081".to_owned()
}

impl DashboardSettings {
    /// Defaults for a listener (tests bind port 0 and learn the address afterwards).
    pub fn for_address(listen: SocketAddr) -> Self {
        Self {
            listen,
            public_url: format!("http://{listen}"),
            session: SessionSettings::default(),
            lockout: LockoutSettings::default(),
            oidc: Vec::new(),
            subject_access: SubjectAccessSettings::default(),
        }
    }
}

/// Renders the process's metrics in the Prometheus text format. The binary hands the
/// dashboards its recorder's when no collector runs in the same process (the collector's
/// `/metrics` exports them otherwise); the dashboards then serve them on their own `/metrics`.
pub type MetricsExport = Arc<dyn Fn() -> String + Send + Sync>;

/// What every handler needs.
#[derive(Clone)]
pub(crate) struct AppState {
    pub pool: sqlx::PgPool,
    pub clickhouse: clickhouse::Client,
    pub settings: Arc<DashboardSettings>,
    pub cookies: Arc<session::CookieNames>,
    pub metrics: Option<MetricsExport>,
}

/// The pages (HTML for people) and the sign-in routes. The JSON API is [`api_routes`].
fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/signin", get(signin::form).post(signin::submit))
        .route("/signout", post(signin::sign_out))
        .route("/signin/oidc/{provider}", get(oidc::start))
        .route("/signin/oidc/{provider}/callback", get(oidc::callback))
        .route("/cases", get(pages::queue::page))
        .route("/cases/{reference}", get(pages::case::page))
        // The case page's workflow forms and the queue's bulk actions (HTML forms, CSRF-checked
        // by the guard like every other state change).
        .merge(pages::case_forms::routes())
        .merge(pages::bulk::routes())
        .route("/trace", get(pages::trace::search))
        .route("/patients/{patient_id}/trace", get(pages::trace::patient))
        .route("/users/{user_id}/trace", get(pages::trace::user))
        .route(
            "/patients/{patient_id}/subject-access",
            get(pages::subject_access::page),
        )
        .route(
            "/api/v1/suppressions",
            get(suppressions_api::list).post(suppressions_api::create),
        )
        .route(
            "/api/v1/suppressions/{id}/revoke",
            post(suppressions_api::revoke),
        )
        .route("/reports", get(pages::reports::index))
        .route("/reports/{report}", get(pages::reports::page))
        .route("/static/careaudit.css", get(pages::style_sheet))
        // The workflow, breach log, directory and bulk export routes of the alerts and simulator
        // work (JSON, behind the same Viewer and CSRF guard as everything else).
        .merge(workflow_api::routes())
        .merge(breach_api::routes())
        .merge(organisations_api::routes())
        .route("/api/v1/export/findings", get(export_api::findings))
        .route("/api/v1/export/explanations", get(export_api::explanations))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(telemetry::export))
}

pub fn router(
    pool: sqlx::PgPool,
    clickhouse: clickhouse::Client,
    settings: DashboardSettings,
    metrics: Option<MetricsExport>,
) -> Router {
    let state = AppState {
        pool,
        clickhouse,
        cookies: Arc::new(session::CookieNames::for_public_url(&settings.public_url)),
        settings: Arc::new(settings),
        metrics,
    };
    page_routes()
        .merge(openapi::api_router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::guard,
        ))
        .layer(axum::middleware::from_fn(pages::html_errors))
        .layer(axum::middleware::from_fn(pages::security_headers))
        .route_layer(axum::middleware::from_fn(telemetry::track_requests))
        .with_state(state)
}

pub async fn run(
    settings: DashboardSettings,
    stores: migrations::StoreSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    run_exporting(settings, stores, None, shutdown).await
}

/// Like [`run`], also serving `metrics` on `/metrics` (see [`MetricsExport`]).
pub async fn run_exporting(
    settings: DashboardSettings,
    stores: migrations::StoreSettings,
    metrics: Option<MetricsExport>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    serve_exporting(listener, settings, stores, metrics, shutdown).await
}

/// Like [`run`], on a listener the caller already bound (tests bind port 0), with default
/// settings for that address.
pub async fn serve(
    listener: tokio::net::TcpListener,
    stores: migrations::StoreSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let settings = DashboardSettings::for_address(listener.local_addr()?);
    serve_with(listener, settings, stores, shutdown).await
}

/// Like [`run`], on a listener the caller already bound.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    settings: DashboardSettings,
    stores: migrations::StoreSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_exporting(listener, settings, stores, None, shutdown).await
}

/// Like [`run_exporting`], on a listener the caller already bound.
pub async fn serve_exporting(
    listener: tokio::net::TcpListener,
    settings: DashboardSettings,
    stores: migrations::StoreSettings,
    metrics: Option<MetricsExport>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = stores.postgres.connect().await?;
    let app = router(pool, stores.clickhouse.client(), settings, metrics);
    tracing::info!(address = %listener.local_addr()?, "dashboards listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}

#[cfg(test)]
mod sql_files {
    //! The chDB manifest (`clickhouse_queries.json`) must list every ClickHouse query of this
    //! crate with a sample value for each placeholder, or `scripts/chdb_queries.py` would
    //! silently skip it.

    fn sql_files(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                sql_files(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "sql") {
                found.push(path);
            }
        }
    }

    #[test]
    fn every_clickhouse_query_is_in_the_chdb_manifest() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let manifest: serde_json::Value =
            serde_json::from_str(include_str!("clickhouse_queries.json")).expect("manifest");
        let listed = manifest["queries"].as_object().expect("queries");
        let mut files = Vec::new();
        sql_files(&src, &mut files);
        for path in files {
            let name = path
                .strip_prefix(&src)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).expect("read");
            let code: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            // PostgreSQL queries number their parameters; ClickHouse ones use `?`. A PostgreSQL
            // query without parameters says what it is in a comment.
            let is_postgres = code.contains("$1") || text.starts_with("-- PostgreSQL");
            if is_postgres {
                assert!(!listed.contains_key(&name), "{name} is PostgreSQL");
                continue;
            }
            let samples = listed
                .get(&name)
                .unwrap_or_else(|| panic!("{name} is not in clickhouse_queries.json"));
            let placeholders = code.matches('?').count();
            assert_eq!(
                samples.as_array().map(Vec::len),
                Some(placeholders),
                "{name}"
            );
        }
    }
}
