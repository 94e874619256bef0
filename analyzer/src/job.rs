//! The scheduled rule run: on each cron tick, evaluate every rule over the window of collector
//! receive time since the durable watermark, record findings and cases, and advance the
//! watermark, all in one PostgreSQL transaction.
//!
//! Late and in-flight events: the window ends `settle` before now (an insert that started
//! before the end of the window has landed by then), and starts `overlap` before the
//! watermark. Re-evaluating the overlap is free because findings are unique per rule and event.

use crate::cases::{record_finding, Recorded};
use crate::rules::{Candidate, Rule, REGISTRY};
use crate::watermark::{load_watermark, store_watermark, SCHEDULED_JOB};
use anyhow::Context;
use chrono::Utc;
use domain::{EventId, Finding, OrgCode, PatientId, Timestamp, UserId};
use serde::Deserialize;
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct AnalyzerSettings {
    /// Cron expression with seconds (`sec min hour day-of-month month day-of-week`).
    pub schedule: String,
    /// How long after an event is received it is considered settled, in milliseconds.
    #[serde(default = "default_settle_ms")]
    pub settle_ms: i64,
    /// How far before the watermark each window starts again, in milliseconds.
    #[serde(default = "default_overlap_ms")]
    pub overlap_ms: i64,
    /// Findings about the same user and patient this close in time join one case, in seconds.
    #[serde(default = "default_grouping_window_seconds")]
    pub grouping_window_seconds: f64,
}

fn default_settle_ms() -> i64 {
    2_000
}
fn default_overlap_ms() -> i64 {
    60_000
}
fn default_grouping_window_seconds() -> f64 {
    24.0 * 3600.0
}

/// A half-open window `[start_ms, end_ms)` of collector receive time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start_ms: i64,
    pub end_ms: i64,
}

/// What one run did, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub candidates: usize,
    pub new_findings: usize,
    pub opened_cases: usize,
    pub watermark_ms: i64,
}

/// Runs the scheduled rules on `settings.schedule` until `shutdown` resolves.
pub async fn run(
    settings: AnalyzerSettings,
    stores: migrations::StoreSettings,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let schedule = cron::Schedule::from_str(&settings.schedule).with_context(|| {
        format!(
            "analyzer schedule {:?} is not a valid cron expression",
            settings.schedule
        )
    })?;
    let clickhouse = stores.clickhouse.client();
    let pool = stores.postgres.connect().await?;
    tokio::pin!(shutdown);
    loop {
        let Some(next) = schedule.upcoming(Utc).next() else {
            tracing::warn!("analyzer schedule has no upcoming time; stopping");
            return Ok(());
        };
        let wait = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            () = tokio::time::sleep(wait) => {}
        }
        match run_once(&settings, &clickhouse, &pool, Timestamp::now()).await {
            Ok(summary) if summary.new_findings > 0 => tracing::info!(
                candidates = summary.candidates,
                new_findings = summary.new_findings,
                opened_cases = summary.opened_cases,
                "analyzer run recorded findings"
            ),
            Ok(summary) => tracing::debug!(
                candidates = summary.candidates,
                "analyzer run found nothing new"
            ),
            Err(error) => tracing::error!(
                error = format!("{error:#}"),
                "analyzer run failed; the window will be retried"
            ),
        }
    }
}

/// One evaluation of every rule over the window since the watermark, as of `now`.
#[tracing::instrument(skip_all, fields(job = SCHEDULED_JOB))]
pub async fn run_once(
    settings: &AnalyzerSettings,
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    now: Timestamp,
) -> anyhow::Result<RunSummary> {
    let mut transaction = pool.begin().await?;
    // One scheduled run at a time across analyzer instances; a second one waits for the first.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(SCHEDULED_JOB)
        .execute(&mut *transaction)
        .await?;
    let watermark = load_watermark(&mut *transaction, SCHEDULED_JOB)
        .await?
        .unwrap_or(0);
    let end_ms = now.as_millis() - settings.settle_ms;
    if end_ms <= watermark {
        return Ok(RunSummary {
            watermark_ms: watermark,
            ..RunSummary::default()
        });
    }
    let window = Window {
        start_ms: (watermark - settings.overlap_ms).max(0),
        end_ms,
    };

    let mut summary = RunSummary {
        watermark_ms: end_ms,
        ..RunSummary::default()
    };
    for rule in REGISTRY {
        let candidates = fetch_candidates(clickhouse, rule, window)
            .await
            .with_context(|| format!("rule {} query failed", rule.id))?;
        summary.candidates += candidates.len();
        for candidate in &candidates {
            let Some(finding) = to_finding(rule, candidate) else {
                tracing::warn!(
                    rule = rule.id,
                    "skipped a candidate with an unusable identifier"
                );
                continue;
            };
            match record_finding(&mut transaction, &finding, settings.grouping_window_seconds)
                .await?
            {
                Recorded::Duplicate => {}
                Recorded::ExtendedCase => summary.new_findings += 1,
                Recorded::OpenedCase => {
                    summary.new_findings += 1;
                    summary.opened_cases += 1;
                }
            }
        }
    }
    store_watermark(&mut transaction, SCHEDULED_JOB, end_ms).await?;
    transaction.commit().await?;
    Ok(summary)
}

async fn fetch_candidates(
    clickhouse: &clickhouse::Client,
    rule: &Rule,
    window: Window,
) -> Result<Vec<Candidate>, clickhouse::error::Error> {
    let to_unsigned = |millis: i64| u64::try_from(millis).unwrap_or(0);
    clickhouse
        .query(rule.query)
        .bind(to_unsigned(window.start_ms))
        .bind(to_unsigned(window.end_ms))
        .fetch_all::<Candidate>()
        .await
}

fn to_finding(rule: &Rule, candidate: &Candidate) -> Option<Finding> {
    Some(Finding {
        rule_id: rule.id.to_owned(),
        severity: rule.default_severity,
        event_id: EventId::parse(&candidate.event_id).ok()?,
        occurred_at: Timestamp::from_seconds_and_millis(
            candidate.occurred_at,
            candidate.occurred_ms,
        ),
        user_id: UserId::parse(&candidate.user_id).ok()?,
        user_org: OrgCode::parse(&candidate.user_org).ok(),
        patient_id: PatientId::parse(&candidate.patient_id).ok()?,
        explanation: (rule.explain)(candidate),
    })
}
