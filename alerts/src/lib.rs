//! Alerts: cases reach the privacy officers of the organisation that employs the user. This
//! crate owns the case API (reading cases and their evidence, used by the dashboards), the
//! organisations directory used for routing, and the notification outbox and its delivery by
//! email.
//!
//! Notifications never carry patient-identifiable data: a case reference, the organisation, the
//! severity, the rule and a link, as NHS Spine alert notifications do.

mod case_api;
mod email;
mod notify;
mod organisations;
mod outbox;
mod suppressions;

pub use case_api::{
    get_case, list_cases, CaseDetail, CaseFilter, CaseSummary, FindingView, Scope, TimelineEntry,
};
pub use email::{Mailer, SmtpSettings, SmtpTls};
pub use notify::{queue_case_notifications, render_case_opened};
pub use organisations::{upsert_organisation, Organisation};
pub use outbox::{deliver_due, DeliveryReport};
pub use suppressions::{
    create_suppression, list_suppressions, revoke_suppression, NewSuppression, Suppression,
    SuppressionError,
};

use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct AlertsSettings {
    /// The dashboards' public base URL, for the link in every notification.
    pub base_url: String,
    /// How often the outbox is polled, in milliseconds.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// Where a case goes when its organisation has no privacy officer address (e.g. the
    /// central information governance team). Without it such a case is marked unroutable on its
    /// timeline and shows in the dashboards only.
    #[serde(default)]
    pub fallback_recipient: Option<String>,
    /// Attempts before an outbox entry is marked failed.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: i32,
    pub smtp: SmtpSettings,
}

fn default_poll_interval_ms() -> u64 {
    2_000
}
fn default_max_attempts() -> i32 {
    12
}

/// Queues and delivers notifications until `shutdown` resolves.
pub async fn run(
    settings: AlertsSettings,
    stores: migrations::StoreSettings,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let pool = stores.postgres.connect().await?;
    let mailer = Mailer::new(&settings.smtp)?;
    tokio::pin!(shutdown);
    let mut ticker =
        tokio::time::interval(Duration::from_millis(settings.poll_interval_ms.max(100)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            _ = ticker.tick() => {}
        }
        if let Err(error) = queue_case_notifications(&pool, &settings).await {
            tracing::error!(
                error = format!("{error:#}"),
                "queuing case notifications failed"
            );
        }
        match deliver_due(&pool, &mailer, settings.max_attempts).await {
            Ok(report) if report.sent + report.retried + report.failed > 0 => {
                tracing::info!(
                    sent = report.sent,
                    retried = report.retried,
                    failed = report.failed,
                    "outbox delivery"
                )
            }
            Ok(_) => {}
            Err(error) => tracing::error!(error = format!("{error:#}"), "outbox delivery failed"),
        }
    }
}
