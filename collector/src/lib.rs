//! The collector: the only component that writes audit events. It accepts record-view audit
//! events in the standard forms exchange nodes speak, maps each to the normalised
//! [`domain::AccessEvent`], and acknowledges only after the event is stored durably. What it
//! cannot accept is answered with a specific error and kept in the quarantine table.

mod fhir_audit_event;
mod fhir_bundle;
mod fhir_endpoints;
mod http;
mod ingest;
mod internal_events;
mod operation_outcome;
mod store;

pub use fhir_audit_event::{map_audit_event, MappingError};
pub use http::{router, HttpLimits};
pub use ingest::{derived_event_id, prepare_fhir_event, Ingest, IngestEntry, IngestError, Source};
pub use operation_outcome::{Issue, IssueCode, OperationOutcome};
pub use store::{
    compress_payload, decompress_payload, sha256_hex, AccessEventRow, EventStore, QuarantineRow,
};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::OnceLock;

/// The collector's own settings (the stores are configured separately).
#[derive(Debug, Clone, Deserialize)]
pub struct CollectorSettings {
    /// Where the FHIR HTTP endpoint listens.
    pub listen: SocketAddr,
    /// The largest single AuditEvent (and NDJSON line) accepted, in bytes.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// The largest Bundle accepted on `POST /fhir`, in bytes.
    #[serde(default = "default_max_bundle_bytes")]
    pub max_bundle_bytes: usize,
}

fn default_max_body_bytes() -> usize {
    1024 * 1024
}

fn default_max_bundle_bytes() -> usize {
    32 * 1024 * 1024
}

/// The process-wide Prometheus recorder (installed on first use; every component's metrics go
/// through it).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            handle
        })
        .clone()
}

/// What `/readyz` checks: the collector can reach its store.
#[derive(Clone)]
pub struct Readiness {
    clickhouse: clickhouse::Client,
}

impl Readiness {
    pub async fn check(&self) -> Result<(), String> {
        self.clickhouse
            .query("SELECT 1")
            .fetch_one::<u8>()
            .await
            .map(|_| ())
            .map_err(|error| format!("clickhouse unreachable: {error}"))
    }
}

/// Serves the collector until `shutdown` resolves, then drains in-flight requests.
pub async fn run(
    settings: CollectorSettings,
    stores: migrations::StoreSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    serve(listener, settings, stores, shutdown).await
}

/// Like [`run`], on a listener the caller already bound (tests bind port 0).
pub async fn serve(
    listener: tokio::net::TcpListener,
    settings: CollectorSettings,
    stores: migrations::StoreSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let clickhouse = stores.clickhouse.client();
    let ingest = Ingest::new(EventStore::new(clickhouse.clone()));
    let limits = HttpLimits {
        max_resource_bytes: settings.max_body_bytes,
        max_bundle_bytes: settings.max_bundle_bytes,
    };
    let app = router(ingest, limits, metrics_handle(), Readiness { clickhouse });
    tracing::info!(address = %listener.local_addr()?, "collector listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}
