//! The near-real-time path: a sub-second poll of what ClickHouse has just stored. Each poll
//! explains the new events (so the fast rules can tell a patient's own clinician from a
//! curious colleague) and evaluates the rules that must raise a case within seconds
//! (emergency_access, vip_patient, self_access, leaver_access), each over its own durable
//! watermark, so a case is open a few seconds after the event became visible.

use crate::job::{clickhouse_now, explain_until, run_rule, RunSummary};
use crate::rules::RulePath;
use crate::settings::{AnalyzerSettings, ConfiguredRule};
use crate::sql::Binds;
use domain::Timestamp;
use sqlx::PgPool;
use std::time::Duration;

/// One poll as of `now` (ClickHouse's clock).
pub async fn poll_once(
    settings: &AnalyzerSettings,
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    now: Timestamp,
) -> anyhow::Result<RunSummary> {
    let rules = settings.configured_rules()?;
    poll(settings, &rules, clickhouse, pool, now).await
}

async fn poll(
    settings: &AnalyzerSettings,
    rules: &[ConfiguredRule],
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    now: Timestamp,
) -> anyhow::Result<RunSummary> {
    let fast = &settings.near_real_time;
    let end = explain_until(
        settings,
        clickhouse,
        pool,
        now,
        fast.settle_ms,
        fast.overlap_ms,
    )
    .await?;
    let mut summary = RunSummary::default();
    for configured in rules
        .iter()
        .filter(|r| r.rule.path == RulePath::NearRealTime)
    {
        // The fast rules read no run-wide binds (none rests on "unexplained" alone).
        let one = run_rule(
            settings,
            configured,
            clickhouse,
            pool,
            end,
            fast.overlap_ms,
            &Binds::new(),
        )
        .await?;
        summary.candidates += one.candidates;
        summary.new_findings += one.new_findings;
        summary.opened_cases += one.opened_cases;
        summary.watermark_ms = one.watermark_ms;
    }
    Ok(summary)
}

/// Polls until the task is aborted (the scheduled loop owns shutdown).
pub(crate) async fn run_loop(
    settings: AnalyzerSettings,
    rules: Vec<ConfiguredRule>,
    clickhouse: clickhouse::Client,
    pool: PgPool,
) {
    if !settings.near_real_time.enabled {
        return;
    }
    let mut ticker = tokio::time::interval(Duration::from_millis(
        settings.near_real_time.poll_interval_ms.max(50),
    ));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let result = match clickhouse_now(&clickhouse).await {
            Ok(now) => poll(&settings, &rules, &clickhouse, &pool, now).await,
            Err(error) => Err(error.into()),
        };
        match result {
            Ok(summary) if summary.opened_cases + summary.new_findings > 0 => tracing::info!(
                new_findings = summary.new_findings,
                opened_cases = summary.opened_cases,
                "near-real-time rules recorded findings"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(
                error = format!("{error:#}"),
                "near-real-time poll failed; the next poll retries its window"
            ),
        }
    }
}
