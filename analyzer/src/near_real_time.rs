//! The near-real-time path: sub-second polls of what ClickHouse has just stored. Loops run side
//! by side: one explains the new events (it owns the explanation watermark), and each rule that
//! must raise a case within seconds (emergency_access, vip_patient, self_access, leaver_access)
//! has a loop of its own over its own durable watermark, up to what ClickHouse has stored — not
//! up to what has been explained. A fast rule explains its own few candidates before it looks
//! their explanations up (so it can tell a patient's own clinician from a curious colleague),
//! and so a case is open a few seconds after the event became visible even when a flood of
//! events keeps the explanation of everything else busy. The bulk explanation's queries run at
//! the scheduled runs' ClickHouse priority, the fast rules' at the more urgent one of the
//! polls, so ClickHouse pauses the bulk work while a fast rule's query runs; and no fast rule
//! waits for another's poll (vip_patient's explanation of its candidates, say).

use crate::job::{clickhouse_now, explain_until, run_rule, seconds, RunSummary};
use crate::rules::RulePath;
use crate::settings::{AnalyzerSettings, ConfiguredRule};
use crate::sql::Binds;
use domain::Timestamp;
use sqlx::PgPool;
use std::time::Duration;

/// One poll as of `now` (ClickHouse's clock): the new events explained, then the fast rules.
pub async fn poll_once(
    settings: &AnalyzerSettings,
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    now: Timestamp,
) -> anyhow::Result<RunSummary> {
    let rules = settings.configured_rules()?;
    explain_new(settings, clickhouse, pool, now).await?;
    fast_rules(settings, &rules, clickhouse, pool, now).await
}

async fn explain_new(
    settings: &AnalyzerSettings,
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    now: Timestamp,
) -> anyhow::Result<u32> {
    let fast = &settings.near_real_time;
    explain_until(
        settings,
        clickhouse,
        pool,
        now,
        fast.settle_ms,
        fast.overlap_ms,
    )
    .await
}

async fn fast_rules(
    settings: &AnalyzerSettings,
    rules: &[ConfiguredRule],
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    now: Timestamp,
) -> anyhow::Result<RunSummary> {
    let mut summary = RunSummary::default();
    for configured in fast(rules) {
        let one = fast_rule(settings, configured, clickhouse, pool, now).await?;
        summary.candidates += one.candidates;
        summary.new_findings += one.new_findings;
        summary.opened_cases += one.opened_cases;
        summary.watermark_ms = one.watermark_ms;
    }
    Ok(summary)
}

fn fast(rules: &[ConfiguredRule]) -> impl Iterator<Item = &ConfiguredRule> {
    rules
        .iter()
        .filter(|r| r.rule.path == RulePath::NearRealTime)
}

/// One fast rule up to `now` less the settle time.
async fn fast_rule(
    settings: &AnalyzerSettings,
    configured: &ConfiguredRule,
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    now: Timestamp,
) -> anyhow::Result<RunSummary> {
    let fast = &settings.near_real_time;
    let end = seconds(now.as_millis() - fast.settle_ms);
    // The fast rules read no run-wide binds (none rests on "unexplained" alone).
    run_rule(
        settings,
        configured,
        clickhouse,
        pool,
        (end, fast.overlap_ms),
        &Binds::new(),
        Some(now),
    )
    .await
}

/// Runs `step` every `poll_interval_ms` (a late step delays the next, none is skipped) until
/// the task is aborted, logging what it found and what failed.
async fn every_poll<F, Fut>(
    settings: &AnalyzerSettings,
    clickhouse: &clickhouse::Client,
    what: &str,
    mut step: F,
) where
    F: FnMut(Timestamp) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<RunSummary>>,
{
    let mut ticker = tokio::time::interval(Duration::from_millis(
        settings.near_real_time.poll_interval_ms.max(50),
    ));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let result = match clickhouse_now(clickhouse).await {
            Ok(now) => step(now).await,
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
                "near-real-time {what} failed; the next poll retries its window"
            ),
        }
    }
}

/// Polls until the task is aborted (the scheduled loop owns shutdown): the explanation of new
/// events (with `bulk`, the scheduled runs' client) and each fast rule (with `urgent`, the
/// polls' client), each in a task of its own, so none waits for another. The tasks belong to
/// this one: aborting it drops them, which aborts them; when one of them stops, this returns.
pub(crate) async fn run_loop(
    settings: AnalyzerSettings,
    rules: Vec<ConfiguredRule>,
    urgent: clickhouse::Client,
    bulk: clickhouse::Client,
    pool: PgPool,
) {
    if !settings.near_real_time.enabled {
        return;
    }
    let mut loops = tokio::task::JoinSet::new();
    {
        let (settings, clickhouse, pool) = (settings.clone(), bulk, pool.clone());
        loops.spawn(async move {
            every_poll(&settings, &clickhouse, "explanation", |now| {
                let (settings, clickhouse, pool) = (&settings, &clickhouse, &pool);
                async move {
                    explain_new(settings, clickhouse, pool, now).await?;
                    Ok(RunSummary::default())
                }
            })
            .await;
        });
    }
    for configured in fast(&rules) {
        let (settings, configured, clickhouse, pool) = (
            settings.clone(),
            configured.clone(),
            urgent.clone(),
            pool.clone(),
        );
        loops.spawn(async move {
            let (settings, configured, clickhouse, pool) =
                (&settings, &configured, &clickhouse, &pool);
            every_poll(settings, clickhouse, configured.rule.id, |now| async move {
                fast_rule(settings, configured, clickhouse, pool, now).await
            })
            .await;
        });
    }
    // A loop ends only by panicking. Then the whole path stops (dropping the set aborts the
    // other loops), and the scheduled loop, which sees this task finished, explains new events
    // and runs the fast rules itself: no rule is left without an evaluator.
    if let Some(Err(error)) = loops.join_next().await {
        tracing::error!(error = %error, "a near-real-time loop stopped; stopping the near-real-time path");
    }
}
