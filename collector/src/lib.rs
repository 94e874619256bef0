//! The collector: the only component that writes audit events. It accepts record-view audit
//! events in the standard forms exchange nodes speak, maps each to the normalised
//! [`domain::AccessEvent`], and acknowledges only after the event is stored durably. What it
//! cannot accept is answered with a specific error and kept in the quarantine table.

mod atna;
mod care_endpoints;
mod care_rows;
mod csv_load;
mod fhir_audit_event;
mod fhir_bundle;
mod fhir_care;
mod fhir_endpoints;
mod hl7v2;
mod hl7v2_care;
mod http;
mod ingest;
mod integrity;
mod internal_events;
mod mllp_server;
mod operation_outcome;
mod shipper;
mod store;
mod syslog_frame;
mod syslog_message;
mod syslog_server;
mod verify;
mod wal;
mod wal_record;

pub use atna::{
    map_atna_message, AtnaError, AtnaPatient, MappedAtnaMessage, MAX_AUDIT_MESSAGE_BYTES,
    NHS_NUMBER_OID,
};
pub use csv_load::{read_csv, CsvFileError, CsvKind, CsvLoad, RowError};
pub use fhir_audit_event::{map_audit_event, MappingError};
pub use fhir_care::{
    bundle_care_facts, bundle_care_facts_with, care_facts as fhir_care_facts, CareKey,
    ReferenceResolver,
};
pub use hl7v2::{
    ack, escape as hl7_escape, split_messages, AckCode, AckError, Delimiters, ErrorCode, Field,
    Hl7Error, Hl7Message, MessageType, Segment,
};
pub use hl7v2_care::care_facts as hl7_care_facts;
pub use http::{router, HttpLimits};
pub use ingest::{derived_event_id, prepare_fhir_event, Ingest, IngestEntry, IngestError, Source};
pub use mllp_server::MllpSettings;
pub use operation_outcome::{Issue, IssueCode, OperationOutcome};
pub use store::{
    compress_payload, decompress_payload, sha256_hex, AccessEventRow, EventStore, QuarantineRow,
};
pub use syslog_frame::{FrameError, Framing, SyslogFramer, MAX_RAW_BYTES};
pub use syslog_message::{parse_syslog, SyslogError, SyslogMessage};
pub use syslog_server::{SyslogSettings, TlsSettings};
pub use verify::{verify, VerifyReport};
pub use wal::{Lsn, RecoveryReport, TornTail, Wal, WalConfig, WalError, WalReader, WalStats};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

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
    /// The largest CSV load accepted on `POST /load/{kind}`, in bytes.
    #[serde(default = "default_max_csv_bytes")]
    pub max_csv_bytes: usize,
    /// This collector's name in the integrity chain; unique per collector instance.
    #[serde(default = "default_instance_id")]
    pub instance_id: String,
    /// The write-ahead log's directory (local disk; one per instance).
    pub wal_dir: PathBuf,
    /// Unshipped bytes the log may hold before input is refused (HTTP 503) or paused (syslog).
    #[serde(default = "default_wal_max_bytes")]
    pub wal_max_bytes: u64,
    #[serde(default = "default_wal_segment_bytes")]
    pub wal_segment_bytes: u64,
    /// A shipped batch holds at most this many records...
    #[serde(default = "default_batch_max_records")]
    pub batch_max_records: usize,
    /// ...and waits at most this long to fill, in milliseconds.
    #[serde(default = "default_batch_max_wait_ms")]
    pub batch_max_wait_ms: u64,
    #[serde(default)]
    pub syslog: Option<SyslogSettings>,
    /// HL7 v2 over MLLP (care context).
    #[serde(default)]
    pub mllp: Option<MllpSettings>,
}

fn default_max_csv_bytes() -> usize {
    256 * 1024 * 1024
}

fn default_instance_id() -> String {
    "collector-1".to_owned()
}
fn default_wal_max_bytes() -> u64 {
    2 * 1024 * 1024 * 1024
}
fn default_wal_segment_bytes() -> u64 {
    64 * 1024 * 1024
}
fn default_batch_max_records() -> usize {
    50_000
}
fn default_batch_max_wait_ms() -> u64 {
    200
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

/// What `/readyz` checks: the store is reachable and the log has room.
#[derive(Clone)]
pub struct Readiness {
    clickhouse: clickhouse::Client,
    wal: Wal,
    wal_max_bytes: u64,
}

impl Readiness {
    pub async fn check(&self) -> Result<(), String> {
        let stats = self.wal.stats();
        internal_events::wal_usage(stats.bytes_on_disk, stats.unshipped_bytes);
        if stats.unshipped_bytes >= self.wal_max_bytes {
            return Err("write-ahead log full".to_owned());
        }
        self.clickhouse
            .query("SELECT 1")
            .fetch_one::<u8>()
            .await
            .map(|_| ())
            .map_err(|error| format!("clickhouse unreachable: {error}"))
    }
}

/// Serves the collector until `shutdown` resolves, then drains: stops taking input, finishes
/// in-flight requests, flushes the log and ships what it holds (for a bounded time; whatever
/// is left is shipped at the next start).
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
    let config = WalConfig {
        dir: settings.wal_dir.clone(),
        segment_bytes: settings.wal_segment_bytes,
        max_bytes: settings.wal_max_bytes,
    };
    let (wal, reader, recovery) = Wal::open(config).await?;
    if let Some(torn) = &recovery.torn_tail {
        tracing::warn!(segment = %torn.segment.display(), dropped_bytes = torn.dropped_bytes, reason = %torn.reason, "write-ahead log had a torn tail (a write cut short by a crash; never acknowledged)");
    }
    tracing::info!(
        unshipped_records = recovery.unshipped_records,
        next_lsn = recovery.next_lsn,
        "write-ahead log open"
    );

    let stop_input = CancellationToken::new();
    let stop_shipper = CancellationToken::new();
    let shipper = tokio::spawn(
        shipper::Shipper {
            reader,
            store: EventStore::new(clickhouse.clone()),
            collector_id: settings.instance_id.clone(),
            limits: shipper::ShipperLimits {
                max_batch_records: settings.batch_max_records,
                max_batch_bytes: 64 * 1024 * 1024,
                max_batch_wait: Duration::from_millis(settings.batch_max_wait_ms),
            },
        }
        .run(stop_shipper.clone()),
    );
    let ingest = Ingest::new(wal.clone());
    let mut listeners = tokio::task::JoinSet::new();
    if let Some(syslog) = settings.syslog.clone() {
        listeners.spawn(syslog_server::run_syslog(
            syslog,
            ingest.clone(),
            stop_input.clone(),
        ));
    }
    if let Some(mllp) = settings.mllp.clone() {
        listeners.spawn(mllp_server::run_mllp(
            mllp,
            ingest.clone(),
            stop_input.clone(),
        ));
    }

    let limits = HttpLimits {
        max_resource_bytes: settings.max_body_bytes,
        max_bundle_bytes: settings.max_bundle_bytes,
        max_csv_bytes: settings.max_csv_bytes,
    };
    let app = router(
        ingest,
        limits,
        metrics_handle(),
        Readiness {
            clickhouse,
            wal: wal.clone(),
            wal_max_bytes: settings.wal_max_bytes,
        },
    );
    tracing::info!(address = %listener.local_addr()?, "collector listening");
    let http_outcome = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;

    stop_input.cancel();
    while let Some(joined) = listeners.join_next().await {
        match joined {
            Ok(Err(error)) => tracing::warn!(
                error = format!("{error:#}"),
                "a listener stopped with an error"
            ),
            Err(error) => tracing::warn!(%error, "a listener panicked"),
            Ok(Ok(())) => {}
        }
    }
    wal.close().await;
    stop_shipper.cancel();
    match tokio::time::timeout(Duration::from_secs(30), shipper).await {
        Ok(Ok(Ok(()))) => tracing::info!("collector drained"),
        Ok(Ok(Err(error))) => tracing::warn!(
            error = format!("{error:#}"),
            "shipper stopped before draining; the rest ships at the next start"
        ),
        Ok(Err(error)) => tracing::error!(%error, "shipper panicked"),
        Err(_) => {
            tracing::warn!("shipping did not finish within 30 s; the rest ships at the next start")
        }
    }
    http_outcome?;
    Ok(())
}
