//! Every metric of the collector, defined once, each with the log line that goes with it (the
//! "internal event" pattern of Vector). Metric names are Prometheus-style and stable: dashboards
//! and alerts of operators depend on them. Labels never carry patient data.

use metrics::{counter, gauge, histogram};

/// Events that reached the collector in a form it could frame, per channel.
pub fn events_received(channel: &'static str, count: u64) {
    counter!("careaudit_collector_events_received_total", "channel" => channel).increment(count);
}

/// Events accepted and made durable (acknowledged to the sender).
pub fn events_accepted(channel: &'static str, count: u64) {
    counter!("careaudit_collector_events_accepted_total", "channel" => channel).increment(count);
}

/// Input refused, by channel and reason code; it is also kept in the quarantine table.
pub fn event_rejected(channel: &'static str, reason_code: &'static str) {
    counter!("careaudit_collector_events_rejected_total", "channel" => channel, "reason" => reason_code).increment(1);
    tracing::debug!(channel, reason_code, "input rejected");
}

/// Rows written to the quarantine table.
pub fn quarantined(count: u64) {
    counter!("careaudit_collector_quarantined_total").increment(count);
}

/// The write-ahead log refused input because it is full (ClickHouse is behind or down).
pub fn backpressure(channel: &'static str) {
    counter!("careaudit_collector_backpressure_total", "channel" => channel).increment(1);
    tracing::warn!(
        channel,
        "write-ahead log full: refusing input until the shipper catches up"
    );
}

/// Records appended to the write-ahead log, and its size.
pub fn logged(count: u64) {
    counter!("careaudit_collector_logged_total").increment(count);
}

pub fn wal_usage(bytes_on_disk: u64, unshipped_bytes: u64) {
    gauge!("careaudit_collector_wal_bytes").set(bytes_on_disk as f64);
    gauge!("careaudit_collector_wal_unshipped_bytes").set(unshipped_bytes as f64);
}

/// A batch shipped to ClickHouse: rows, and how long after receipt the oldest row landed.
pub fn shipped(events: u64, quarantined_rows: u64, lag_seconds: f64) {
    counter!("careaudit_collector_shipped_total", "table" => "access_events").increment(events);
    counter!("careaudit_collector_shipped_total", "table" => "quarantine")
        .increment(quarantined_rows);
    gauge!("careaudit_collector_shipper_lag_seconds").set(lag_seconds);
    histogram!("careaudit_collector_ship_lag_seconds").record(lag_seconds);
}

/// Shipping failed; the batch stays in the log and is retried.
pub fn ship_failed(error: &dyn std::fmt::Display) {
    counter!("careaudit_collector_ship_failures_total").increment(1);
    tracing::warn!(%error, "shipping to ClickHouse failed; retrying");
}
