//! The collector: the only component that writes audit events. It accepts record-view audit
//! events in the standard forms exchange nodes speak, maps each to the normalised
//! [`domain::AccessEvent`], and acknowledges only after the event is stored in ClickHouse.
//! What it cannot accept is answered with a specific error and kept in the quarantine table.

mod fhir_audit_event;
mod http;
mod operation_outcome;
mod store;
mod wal;

pub use fhir_audit_event::{map_audit_event, MappingError};
pub use http::router;
pub use operation_outcome::{Issue, IssueCode, OperationOutcome};
pub use store::{compress_payload, decompress_payload, AccessEventRow, EventStore, QuarantineRow};
pub use wal::{Lsn, RecoveryReport, TornTail, Wal, WalConfig, WalError, WalReader, WalStats};

use serde::Deserialize;
use std::net::SocketAddr;

/// The collector's own settings (the stores are configured separately).
#[derive(Debug, Clone, Deserialize)]
pub struct CollectorSettings {
    /// Where the FHIR HTTP endpoint listens.
    pub listen: SocketAddr,
    /// The largest request body accepted on `POST /fhir/AuditEvent`, in bytes.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
}

fn default_max_body_bytes() -> usize {
    1024 * 1024
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
    let store = EventStore::new(stores.clickhouse.client());
    let app = router(store, settings.max_body_bytes);
    tracing::info!(address = %listener.local_addr()?, "collector listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}
