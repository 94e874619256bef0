//! Alerts: cases reach the privacy officers of the organisation that employs the user (and of
//! a second organisation for joint cases), and officers work them to a defensible outcome.
//! This crate owns the case API the dashboards read, the case workflow (transitions,
//! assignment, notes, dispositions, merge and split, sharing), the breach log with its 72-hour
//! clock, the directory (organisations, officers, addresses, SMTP relays, webhooks, the
//! joint-case rule), and notifications: the outbox, email and signed webhooks, digests,
//! escalation, breach reminders and the optional warning to the user.
//!
//! Every function acting for a person takes an [`Actor`] and, for cases, the version read;
//! every change lands on the case's append-only timeline in the same transaction.
//! Notifications never carry patient-identifiable data: a case reference, the organisation,
//! the severity, the rules, a deadline and a link, as NHS Spine alert notifications do.

mod actor;
mod breach;
mod breach_reminders;
mod case_api;
mod channels;
mod clock;
mod csv_load;
mod delivery_settings;
mod digest;
mod directory_update;
mod email;
mod error;
mod escalation;
mod local_time;
mod merge_split;
mod notify;
mod officers;
mod organisations;
mod outbox;
mod render;
mod routing;
mod secrets;
mod sharing;
mod suppressions;
mod user_warning;
mod webhook;
mod workflow;

pub use actor::Actor;
pub use breach::{
    breach_log, breach_log_csv, decide_breach, mark_potential_breach, update_breach,
    BreachDecision, BreachFacts, BreachFilter, BreachLogEntry, REPORTING_WINDOW_HOURS,
};
pub use breach_reminders::{breach_stage, queue_breach_reminders};
pub use case_api::{
    get_case, list_cases, CaseDetail, CaseFilter, CaseSummary, FindingView, NoteView, Scope,
    TimelineEntry,
};
pub use channels::{Channels, FAILPOINT_VARIABLE, HANG_AFTER_SEND};
pub use clock::{Clock, ManualClock, SystemClock};
pub use csv_load::{load_directory_csv, DirectoryKind, LineError, LoadReport};
pub use delivery_settings::{
    get_organisation_smtp, list_outbox, list_webhook_endpoints, put_organisation_smtp,
    put_webhook_endpoint, remove_organisation_smtp, retry_failed, OrganisationSmtp,
    WebhookEndpoint,
};
pub use digest::{latest_fire, queue_digests};
pub use directory_update::{update_officer, update_organisation};
pub use email::{EmailError, Mailer, SmtpSettings, SmtpTls};
pub use error::AlertsError;
pub use escalation::escalate_overdue;
pub use local_time::LOCAL_TIMEZONE;
pub use merge_split::{merge, split, Merged, Split};
pub use notify::{queue_case_notifications, queue_share_notifications};
pub use officers::{list_officers, put_officer, put_user_contact, Officer, UserContact};
pub use organisations::{
    list_data_sources, list_organisations, put_data_source, put_organisation, remove_data_source,
    upsert_organisation, DataSource, Organisation, OrganisationRecord,
};
pub use outbox::{deliver_due, DeliveryLimits, DeliveryReport, OutboxEntry};
pub use render::{case_link, render_case_opened, BreachStage, CaseLine, Notice, NoticeKind};
pub use sharing::{share_case, unshare_case};
pub use suppressions::{
    create_suppression, list_suppressions, revoke_suppression, NewSuppression, Suppression,
    SuppressionError,
};
pub use user_warning::{in_holdout, warning_effect, ArmOutcome, WarningEffect};
pub use webhook::{
    sign as sign_webhook, verify_signature, SignatureError, DELIVERY_HEADER, SIGNATURE_HEADER,
};
pub use workflow::{
    add_note, assign, set_disposition, transition, transition_allowed, Changed, Transition,
};

use secrecy::SecretString;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct AlertsSettings {
    /// The dashboards' public base URL, for the link in every notification.
    pub base_url: String,
    /// How often the alerts loop runs, in milliseconds.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// Where a case goes when its organisation has no privacy officer (e.g. the central
    /// information governance team); it also receives every escalation. Without it such a case
    /// is marked unroutable on its timeline and shows in the dashboards only.
    #[serde(default)]
    pub fallback_recipient: Option<String>,
    /// Attempts before an outbox entry is marked failed.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: i32,
    /// How long a claimed outbox entry stays reserved for the worker that claimed it.
    #[serde(default = "default_lease_seconds")]
    pub lease_seconds: f64,
    /// Minutes a high-severity case may stay new and unassigned before it is escalated (an
    /// organisation may set its own).
    #[serde(default = "default_escalation_minutes")]
    pub escalation_minutes: i32,
    /// Hours before the ICO deadline at which breach reminders are sent.
    #[serde(default = "default_breach_reminder_hours")]
    pub breach_reminder_hours: Vec<u32>,
    /// Cron expressions (with seconds) of the daily and weekly digests, in local time
    /// ([`LOCAL_TIMEZONE`]: 07:00 is 07:00 in London, summer time included).
    #[serde(default = "default_daily_digest")]
    pub daily_digest: String,
    #[serde(default = "default_weekly_digest")]
    pub weekly_digest: String,
    #[serde(default = "default_webhook_timeout_ms")]
    pub webhook_timeout_ms: u64,
    /// The deployment's own named secrets: the signing keys of the webhooks for every
    /// organisation (`org_code` none), e.g. `CAREAUDIT__ALERTS__SECRETS__SIEM_HOOK`. No
    /// organisation's relay or webhook can name them. Names are case-insensitive.
    #[serde(default)]
    pub secrets: HashMap<String, SecretString>,
    /// Each organisation's own named secrets (its SMTP relay's password, its webhooks' signing
    /// keys), by organisation code then name, e.g.
    /// `CAREAUDIT__ALERTS__ORGANISATION_SECRETS__RDM01__SMTP`: the only secrets that
    /// organisation's rows can name. Codes and names are case-insensitive.
    #[serde(default)]
    pub organisation_secrets: HashMap<String, HashMap<String, SecretString>>,
    pub smtp: SmtpSettings,
}

fn default_poll_interval_ms() -> u64 {
    2_000
}
fn default_max_attempts() -> i32 {
    12
}
fn default_lease_seconds() -> f64 {
    120.0
}
fn default_escalation_minutes() -> i32 {
    240
}
fn default_breach_reminder_hours() -> Vec<u32> {
    vec![48, 24, 6]
}
fn default_daily_digest() -> String {
    "0 0 7 * * *".to_owned()
}
fn default_weekly_digest() -> String {
    "0 0 7 * * Mon".to_owned()
}
fn default_webhook_timeout_ms() -> u64 {
    10_000
}

impl AlertsSettings {
    /// Settings with every default, for `base_url` and `smtp`.
    pub fn new(base_url: &str, smtp: SmtpSettings) -> Self {
        Self {
            base_url: base_url.to_owned(),
            poll_interval_ms: default_poll_interval_ms(),
            fallback_recipient: None,
            max_attempts: default_max_attempts(),
            lease_seconds: default_lease_seconds(),
            escalation_minutes: default_escalation_minutes(),
            breach_reminder_hours: default_breach_reminder_hours(),
            daily_digest: default_daily_digest(),
            weekly_digest: default_weekly_digest(),
            webhook_timeout_ms: default_webhook_timeout_ms(),
            secrets: HashMap::new(),
            organisation_secrets: HashMap::new(),
            smtp,
        }
    }

    pub fn delivery_limits(&self) -> DeliveryLimits {
        DeliveryLimits {
            max_attempts: self.max_attempts,
            lease_seconds: self.lease_seconds,
        }
    }

    /// The email and webhook channels these settings describe.
    pub fn channels(&self) -> anyhow::Result<Channels> {
        Channels::new(
            &self.smtp,
            crate::secrets::Secrets::new(&self.secrets, &self.organisation_secrets),
            Duration::from_millis(self.webhook_timeout_ms),
        )
    }
}

/// Everything the loop needs, for one round.
pub struct Alerts {
    pub pool: sqlx::PgPool,
    pub clickhouse: clickhouse::Client,
    pub settings: AlertsSettings,
    pub channels: Channels,
    pub clock: Arc<dyn Clock>,
}

impl Alerts {
    pub async fn connect(
        settings: AlertsSettings,
        stores: &migrations::StoreSettings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            pool: stores.postgres.connect().await?,
            clickhouse: stores.clickhouse.client(),
            channels: settings.channels()?,
            settings,
            clock,
        })
    }

    /// One round: route new cases and shares, escalate, remind, digest, deliver. Each step's
    /// failure is logged and does not stop the others.
    pub async fn run_once(&self) -> DeliveryReport {
        let now = self.clock.now();
        let (pool, settings) = (&self.pool, &self.settings);
        log_failure(
            "routing new cases",
            queue_case_notifications(pool, &self.clickhouse, settings, now).await,
        );
        log_failure(
            "routing shared cases",
            queue_share_notifications(pool, settings, now).await,
        );
        log_failure("escalation", escalate_overdue(pool, settings, now).await);
        log_failure(
            "breach reminders",
            queue_breach_reminders(pool, settings, now).await,
        );
        log_failure("digests", queue_digests(pool, settings, now).await);
        match deliver_due(pool, &self.channels, now, settings.delivery_limits()).await {
            Ok(report) => {
                if report != DeliveryReport::default() {
                    tracing::info!(
                        sent = report.sent,
                        retried = report.retried,
                        failed = report.failed,
                        lease_lost = report.lease_lost,
                        "outbox delivery"
                    );
                }
                report
            }
            Err(error) => {
                tracing::error!(error = %error, "outbox delivery failed");
                DeliveryReport::default()
            }
        }
    }
}

fn log_failure<T>(step: &str, outcome: anyhow::Result<T>) {
    if let Err(error) = outcome {
        tracing::error!(error = format!("{error:#}"), "{step} failed");
    }
}

/// Routes, schedules and delivers notifications until `shutdown` resolves.
pub async fn run(
    settings: AlertsSettings,
    stores: migrations::StoreSettings,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let interval = Duration::from_millis(settings.poll_interval_ms.max(100));
    let alerts = Alerts::connect(settings, &stores, Arc::new(SystemClock)).await?;
    tokio::pin!(shutdown);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            _ = ticker.tick() => {}
        }
        alerts.run_once().await;
    }
}
