//! The careaudit binary's library half: settings, telemetry, and the wiring that starts the
//! components. It holds no logic of its own beyond wiring (and the demo data loader).

pub mod account;
pub mod demo;
pub mod evaluate;
pub mod load;
pub mod settings;
pub mod simulate;
pub mod telemetry;

use anyhow::Context;
use settings::Settings;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Which components one process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Components {
    pub collector: bool,
    pub analyzer: bool,
    pub alerts: bool,
    pub dashboards: bool,
}

impl Components {
    pub const ALL: Self = Self {
        collector: true,
        analyzer: true,
        alerts: true,
        dashboards: true,
    };
    pub const NONE: Self = Self {
        collector: false,
        analyzer: false,
        alerts: false,
        dashboards: false,
    };
}

/// Runs the chosen components until `shutdown` is cancelled or one of them fails; then stops
/// the others gracefully and returns the first error.
pub async fn run_components(
    settings: &Settings,
    components: Components,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let stores = settings.stores();
    // One process-wide metrics recorder for every component, installed before any of them
    // records anything (the collector's /metrics exports it).
    let _ = collector::metrics_handle();
    let mut tasks: JoinSet<anyhow::Result<&'static str>> = JoinSet::new();
    if components.collector {
        let (config, stores, token) =
            (settings.collector.clone(), stores.clone(), shutdown.clone());
        tasks.spawn(async move {
            collector::run(config, stores, token.cancelled_owned())
                .await
                .context("collector")?;
            Ok("collector")
        });
    }
    if components.analyzer {
        let (config, stores, token) = (settings.analyzer.clone(), stores.clone(), shutdown.clone());
        tasks.spawn(async move {
            analyzer::run(config, stores, token.cancelled_owned())
                .await
                .context("analyzer")?;
            Ok("analyzer")
        });
    }
    if components.alerts {
        let (config, stores, token) = (settings.alerts.clone(), stores.clone(), shutdown.clone());
        tasks.spawn(async move {
            alerts::run(config, stores, token.cancelled_owned())
                .await
                .context("alerts")?;
            Ok("alerts")
        });
    }
    if components.dashboards {
        let (config, stores, token) = (
            settings.dashboards.clone(),
            stores.clone(),
            shutdown.clone(),
        );
        // Without a collector in this process, the dashboards export the process's metrics.
        let metrics = (!components.collector).then(|| {
            let handle = collector::metrics_handle();
            std::sync::Arc::new(move || handle.render()) as dashboards::MetricsExport
        });
        tasks.spawn(async move {
            dashboards::run_exporting(config, stores, metrics, token.cancelled_owned())
                .await
                .context("dashboards")?;
            Ok("dashboards")
        });
    }
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        let outcome = joined
            .context("component task panicked")
            .and_then(|result| result);
        match outcome {
            Ok(name) => tracing::info!(component = name, "stopped"),
            Err(error) => {
                tracing::error!(
                    error = format!("{error:#}"),
                    "component failed; stopping the others"
                );
                first_error.get_or_insert(error);
            }
        }
        shutdown.cancel();
    }
    first_error.map_or(Ok(()), Err)
}

/// The human-readable result of `careaudit verify`.
pub fn describe_verification(report: &collector::VerifyReport) -> String {
    let mut text = format!(
        "{}: {} batches, {} events, {} quarantined entries and {} payloads checked",
        if report.is_intact() {
            "INTACT"
        } else {
            "NOT INTACT"
        },
        report.batches,
        report.events_checked,
        report.quarantine_checked,
        report.payloads_checked
    );
    if report.superseded > 0 {
        text.push_str(&format!("\n{} event ids were delivered again with different content; the latest delivery is stored", report.superseded));
    }
    for (collector, batch_seq, chain) in &report.chain_heads {
        text.push_str(&format!(
            "\nchain head of {collector}: batch {batch_seq}, sha256 {chain}"
        ));
    }
    for problem in &report.problems {
        text.push_str(&format!("\nproblem: {problem}"));
    }
    text
}

/// Cancels `token` on Ctrl-C or SIGTERM.
pub fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut terminate =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(signal) => signal,
                    Err(error) => {
                        tracing::warn!(%error, "cannot listen for SIGTERM");
                        let _ = ctrl_c.await;
                        token.cancel();
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
        tracing::info!("shutting down");
        token.cancel();
    });
}
