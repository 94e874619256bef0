//! The scheduled path and the shared steps of both paths. On each cron tick: explain what
//! ClickHouse stored since the explanation watermark (when the near-real-time loop runs, it
//! explains new events every poll and the tick only sweeps behind it, see [`Explainer`]),
//! evaluate every due scheduled rule over
//! its own window (from its watermark, less the overlap, to the explanation watermark),
//! recording each rule's findings and its watermark in one PostgreSQL transaction, and
//! re-explain open findings when care context arrived since the last tick.
//!
//! Windows are of ClickHouse's stored time (`access_arrivals.stored_at`, ClickHouse's clock),
//! so an event shipped late (from a collector's write-ahead log after an outage) lands in the
//! window of when it became visible. A window ends `settle` before now (an insert that started
//! earlier has committed), and rule windows start `overlap` before their watermark; repeating
//! the overlap is harmless because findings are unique per rule and event.
//!
//! A window spans at most `max_window_ms` of stored time: a longer catch-up (a new
//! installation, a restart after an outage) is evaluated in bounded steps, each committing its
//! watermark, the explanation first and then each rule; a rule's steps share their collapsed
//! sessions, so a catch-up in steps records what one window would. Before the rules, a run
//! judges once which organisations' accesses are mostly unexplained (over a bounded lookback)
//! and gives that list to every rule that skips them.

use crate::error::AnalyzerError;
use crate::evaluate::{candidates, Sessions};
use crate::explain::{explain, Events};
use crate::record::{record_run, NewFinding, Recorded};
use crate::rules::{Candidate, Evaluation, RulePath};
use crate::settings::{AnalyzerSettings, ConfiguredRule};
use crate::sql::{query, BindValue, Binds};
use crate::watermark::{load_watermark, lock, store_watermark};
use crate::window::{step_end, Window};
use anyhow::Context;
use chrono::{TimeZone, Utc};
use clickhouse::Row;
use domain::Timestamp;
use serde::Deserialize;
use sqlx::PgPool;
use std::time::Duration;

pub(crate) const EXPLAIN_JOB: &str = "explain";
/// The scheduled run's sweep behind the near-real-time loop's explanation watermark.
const SWEEP_JOB: &str = "explain:sweep";

pub(crate) const FIRST_STORED: (&str, &str) =
    ("job/first_stored.sql", include_str!("job/first_stored.sql"));
pub(crate) const MOSTLY_UNEXPLAINED_ORGS: (&str, &str) = (
    "job/mostly_unexplained_orgs.sql",
    include_str!("job/mostly_unexplained_orgs.sql"),
);

/// What one run did, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub candidates: usize,
    pub new_findings: usize,
    pub pending: usize,
    pub suppressed: usize,
    pub opened_cases: usize,
    pub explained_away: usize,
    /// The stored time (ms) every evaluated rule has now reached.
    pub watermark_ms: i64,
}

impl RunSummary {
    fn add(&mut self, other: RunSummary) {
        self.candidates += other.candidates;
        self.new_findings += other.new_findings;
        self.pending += other.pending;
        self.suppressed += other.suppressed;
        self.opened_cases += other.opened_cases;
        self.explained_away += other.explained_away;
        self.watermark_ms = self.watermark_ms.max(other.watermark_ms);
    }
}

/// Runs both loops (near-real-time, if enabled, and scheduled) until `shutdown` resolves.
pub async fn run(
    settings: AnalyzerSettings,
    stores: migrations::StoreSettings,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let rules = settings.configured_rules()?;
    let clickhouse = stores.clickhouse.client();
    let pool = stores.postgres.connect().await?;
    let schedule: cron::Schedule = settings.schedule.parse().context("analyzer schedule")?;
    let urgent = with_priority(&clickhouse, settings.near_real_time.clickhouse_priority);
    let clickhouse = with_priority(&clickhouse, settings.clickhouse_priority);
    let fast = tokio::spawn(crate::near_real_time::run_loop(
        settings.clone(),
        rules.clone(),
        urgent,
        clickhouse.clone(),
        pool.clone(),
    ));
    let mut fast_path_lost = false;
    tokio::pin!(shutdown);
    let outcome = loop {
        let Some(next) = schedule.upcoming(Utc).next() else {
            tracing::warn!("analyzer schedule has no upcoming time; stopping");
            break Ok(());
        };
        let wait = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            () = &mut shutdown => break Ok(()),
            () = tokio::time::sleep(wait) => {}
        }
        let now = match clickhouse_now(&clickhouse).await {
            Ok(now) => now,
            Err(error) => {
                tracing::error!(error = %error, "clickhouse is not answering; the analyzer run waits for the next tick");
                continue;
            }
        };
        // The near-real-time loop explains what arrives; if it has died (a panic), this loop
        // takes the explanation over again so that nothing stays unevaluated.
        if settings.near_real_time.enabled && !fast_path_lost && fast.is_finished() {
            fast_path_lost = true;
            tracing::error!(
                "the near-real-time loop has stopped; the scheduled run explains new events again"
            );
        }
        let explainer = if settings.near_real_time.enabled && !fast_path_lost {
            Explainer::NearRealTime
        } else {
            Explainer::Scheduled
        };
        match scheduled_tick(
            &settings,
            &rules,
            &clickhouse,
            &pool,
            now,
            Some(next),
            explainer,
        )
        .await
        {
            Ok(summary) if summary.new_findings + summary.explained_away > 0 => tracing::info!(
                candidates = summary.candidates,
                new_findings = summary.new_findings,
                opened_cases = summary.opened_cases,
                explained_away = summary.explained_away,
                "analyzer run recorded findings"
            ),
            Ok(summary) => tracing::debug!(
                candidates = summary.candidates,
                "analyzer run found nothing new"
            ),
            Err(error) => tracing::error!(
                error = format!("{error:#}"),
                "analyzer run failed; its windows will be retried"
            ),
        }
    };
    fast.abort();
    outcome
}

/// Whether the analyzer has evaluated everything ClickHouse stored before `stored_ms` (epoch
/// milliseconds on ClickHouse's clock): the explanation pass, the late-care-context pass and
/// every enabled rule have reached it. What a demo or an evaluation waits for before it reads
/// cases.
pub async fn caught_up(
    settings: &AnalyzerSettings,
    pool: &PgPool,
    stored_ms: i64,
) -> anyhow::Result<bool> {
    // The late-care-context pass too: care context sent last (as the simulator's late feeds
    // are) is only seen once that pass has run over its stored time.
    let mut jobs = vec![
        EXPLAIN_JOB.to_owned(),
        crate::reexplain::CARE_JOB.to_owned(),
    ];
    for configured in settings.configured_rules()? {
        jobs.push(format!("rule:{}", configured.rule.id));
    }
    for job in &jobs {
        if load_watermark(pool, job).await?.unwrap_or(0) < stored_ms {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `client` with ClickHouse's query `priority` (0: none, the server's default).
fn with_priority(client: &clickhouse::Client, priority: u8) -> clickhouse::Client {
    if priority == 0 {
        client.clone()
    } else {
        client
            .clone()
            .with_setting("priority", priority.to_string())
    }
}

/// ClickHouse's current time in epoch milliseconds (whole seconds): the clock stored times and
/// analyzer watermarks are measured on.
pub async fn clickhouse_now_ms(clickhouse: &clickhouse::Client) -> anyhow::Result<i64> {
    Ok(clickhouse_now(clickhouse).await?.as_millis())
}

/// ClickHouse's clock: stored times are ClickHouse's, so windows are measured on it.
pub(crate) async fn clickhouse_now(
    clickhouse: &clickhouse::Client,
) -> Result<Timestamp, AnalyzerError> {
    let seconds: u32 = clickhouse
        .query("SELECT toUInt32(now())")
        .fetch_one()
        .await?;
    Ok(Timestamp::from_millis(i64::from(seconds) * 1000))
}

/// One complete evaluation as of `now` (ClickHouse's clock): explanation, re-explanation after
/// late care context (accesses and open findings), and every rule of both paths over its
/// window. Tests and `careaudit evaluate`
/// use it; the loops run the same steps on their own cadences.
#[tracing::instrument(skip_all)]
pub async fn run_once(
    settings: &AnalyzerSettings,
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    now: Timestamp,
) -> anyhow::Result<RunSummary> {
    let rules = settings.configured_rules()?;
    let mut summary = RunSummary::default();
    let end = explain_until(
        settings,
        clickhouse,
        pool,
        now,
        settings.settle_ms,
        settings.overlap_ms,
    )
    .await?;
    // Care context stored since the last run explains what it can before any rule looks.
    summary.add(crate::reexplain::reexplain_open(settings, &rules, clickhouse, pool, now).await?);
    let shared = run_binds(settings, &rules, clickhouse, end).await?;
    for configured in &rules {
        summary.add(
            run_rule(
                settings,
                configured,
                clickhouse,
                pool,
                (end, settings.overlap_ms),
                &shared,
                None,
            )
            .await?,
        );
    }
    summary.watermark_ms = i64::from(end) * 1000;
    Ok(summary)
}

/// Who advances the explanation watermark on the scheduled path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Explainer {
    /// The scheduled run explains everything new itself (the near-real-time loop is off).
    Scheduled,
    /// The near-real-time loop explains new events every poll. The scheduled run does not
    /// take the explanation lock — a long scheduled explanation would hold up every poll
    /// behind it, and with it the near-real-time cases — but sweeps its longer overlap for
    /// events that became visible behind the loop's watermark, and evaluates its rules up to
    /// that watermark.
    NearRealTime,
}

/// One scheduled run as of `now`, as the scheduled loop does it on a tick: the re-explanation
/// after late care context, then every scheduled rule regardless of its own schedule (the
/// near-real-time rules only when `explainer` is [`Explainer::Scheduled`], since otherwise the
/// near-real-time loop runs them).
pub async fn scheduled_once(
    settings: &AnalyzerSettings,
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    now: Timestamp,
    explainer: Explainer,
) -> anyhow::Result<RunSummary> {
    let rules = settings.configured_rules()?;
    scheduled_tick(settings, &rules, clickhouse, pool, now, None, explainer).await
}

async fn scheduled_tick(
    settings: &AnalyzerSettings,
    rules: &[ConfiguredRule],
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    now: Timestamp,
    tick: Option<chrono::DateTime<Utc>>,
    explainer: Explainer,
) -> anyhow::Result<RunSummary> {
    let mut summary = RunSummary::default();
    let end = match explainer {
        Explainer::Scheduled => {
            explain_until(
                settings,
                clickhouse,
                pool,
                now,
                settings.settle_ms,
                settings.overlap_ms,
            )
            .await?
        }
        Explainer::NearRealTime => {
            sweep_behind_explanation(settings, clickhouse, pool, now, settings.overlap_ms).await?
        }
    };
    // Care context stored since the last tick explains what it can (accesses and standing
    // findings) before any rule looks: a rule must not flag an access whose admission is
    // already in ClickHouse only because the re-explanation had not run yet.
    summary.add(crate::reexplain::reexplain_open(settings, rules, clickhouse, pool, now).await?);
    let fast_path_elsewhere = explainer == Explainer::NearRealTime;
    let mut due = Vec::new();
    for configured in rules {
        if fast_path_elsewhere && configured.rule.path == RulePath::NearRealTime {
            continue;
        }
        if is_due(configured, pool, tick).await? {
            due.push(configured);
        }
    }
    let shared = run_binds(settings, due.iter().copied(), clickhouse, end).await?;
    for configured in due {
        summary.add(
            run_rule(
                settings,
                configured,
                clickhouse,
                pool,
                (end, settings.overlap_ms),
                &shared,
                None,
            )
            .await?,
        );
    }
    Ok(summary)
}

/// Whether a rule with its own schedule has a scheduled time between its last run and this
/// tick (rules without one run on every tick).
async fn is_due(
    configured: &ConfiguredRule,
    pool: &PgPool,
    tick: Option<chrono::DateTime<Utc>>,
) -> Result<bool, sqlx::Error> {
    let (Some(schedule), Some(tick)) = (&configured.schedule, tick) else {
        return Ok(true);
    };
    let job = format!("rule:{}", configured.rule.id);
    let last = load_watermark(pool, &job).await?.unwrap_or(0);
    let last = Utc.timestamp_millis_opt(last).single().unwrap_or_default();
    Ok(schedule.after(&last).next().is_some_and(|due| due <= tick))
}

/// Explains everything stored up to `now − settle` that is not explained yet, in steps of at
/// most `max_window_ms` of stored time, each committing its watermark; returns the explanation
/// watermark (seconds) every rule window may now reach.
pub(crate) async fn explain_until(
    settings: &AnalyzerSettings,
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    now: Timestamp,
    settle_ms: i64,
    overlap_ms: i64,
) -> anyhow::Result<u32> {
    let end = seconds(now.as_millis() - settle_ms);
    let version = u64::try_from(now.as_millis()).unwrap_or(0);
    loop {
        let mut transaction = pool.begin().await?;
        lock(&mut transaction, EXPLAIN_JOB).await?;
        let watermark = load_watermark(&mut *transaction, EXPLAIN_JOB)
            .await?
            .unwrap_or(0);
        let done = seconds(watermark);
        if end <= done {
            return Ok(done);
        }
        let step = next_step(settings, clickhouse, done, end).await?;
        let window = Window {
            start: seconds(watermark - overlap_ms),
            end: step,
        };
        explain(
            clickhouse,
            &settings.explanation,
            window,
            &Events::Window { fresh_from: done },
            version,
        )
        .await
        .context("explaining the window")?;
        store_watermark(&mut transaction, EXPLAIN_JOB, i64::from(step) * 1000).await?;
        transaction.commit().await?;
        if step >= end {
            return Ok(end);
        }
        tracing::debug!(step, end, "explained one step of a catch-up");
    }
}

#[derive(Debug, Row, Deserialize)]
struct FirstStored {
    first: u32,
    accesses: u64,
}

/// The end (seconds) of the next window from `done` toward `end` under `max_window_ms`.
async fn next_step(
    settings: &AnalyzerSettings,
    clickhouse: &clickhouse::Client,
    done: u32,
    end: u32,
) -> Result<u32, AnalyzerError> {
    let Some(limit) = settings.max_window_seconds() else {
        return Ok(end);
    };
    if end.saturating_sub(done) <= limit {
        return Ok(end);
    }
    // The next window's own range first (a day of a busy month is read, not the month); the
    // rest of the range only when it is empty, to cross the gap in one step.
    let next = done.saturating_add(limit.max(1)).min(end);
    let first = match first_stored(clickhouse, done, next).await? {
        Some(first) => Some(first),
        None => first_stored(clickhouse, next, end).await?,
    };
    Ok(step_end(done, end, limit, first))
}

/// The first stored time (seconds) of an access stored in [`from`, `until`), if any.
async fn first_stored(
    clickhouse: &clickhouse::Client,
    from: u32,
    until: u32,
) -> Result<Option<u32>, AnalyzerError> {
    if until <= from {
        return Ok(None);
    }
    let binds = Binds::from([
        ("from", BindValue::UInt(u64::from(from))),
        ("until", BindValue::UInt(u64::from(until))),
    ]);
    let found: FirstStored = query(clickhouse, FIRST_STORED.0, FIRST_STORED.1, &binds)?
        .fetch_one()
        .await?;
    Ok((found.accesses > 0).then_some(found.first))
}

/// The bind of the organisations whose recent accesses are mostly unexplained.
const SKIPPED_ORGS: &str = "skipped_orgs";
/// The binds a run computes once and gives every rule query that names them.
pub(crate) const RUN_BINDS: &[&str] = &[SKIPPED_ORGS];

/// The binds a run computes once for all its rules: `skipped_orgs`, the organisations whose
/// recent accesses are mostly unexplained, when a rule of `rules` reads it.
pub(crate) async fn run_binds<'a>(
    settings: &AnalyzerSettings,
    rules: impl IntoIterator<Item = &'a ConfiguredRule>,
    clickhouse: &clickhouse::Client,
    end: u32,
) -> Result<Binds, AnalyzerError> {
    let mut binds = Binds::new();
    let needed = rules
        .into_iter()
        .any(|configured| match configured.rule.evaluation {
            Evaluation::Query { sql, .. } => crate::sql::placeholders(&crate::sql::expand(sql))
                .iter()
                .any(|name| RUN_BINDS.contains(name)),
            Evaluation::Statistical(_) => false,
        });
    if !needed {
        return Ok(binds);
    }
    let lookback = (settings.unexplained_org_lookback_days * 86_400.0).round() as u64;
    let since = u64::from(end).saturating_sub(lookback);
    let orgs: Vec<String> = query(
        clickhouse,
        MOSTLY_UNEXPLAINED_ORGS.0,
        MOSTLY_UNEXPLAINED_ORGS.1,
        &Binds::from([("since", BindValue::UInt(since))]),
    )?
    .fetch_all()
    .await?;
    tracing::debug!(
        organisations = orgs.len(),
        "organisations whose accesses are mostly unexplained are skipped by the weak rules"
    );
    binds.insert(SKIPPED_ORGS, BindValue::Texts(orgs));
    Ok(binds)
}

/// The scheduled run's share of the explanation while the near-real-time loop owns the
/// explanation watermark: explains the arrivals of the last `overlap_ms` behind that watermark
/// that have no explanation yet (an insert that became visible after the loop's shorter
/// overlap had passed it), under a lock of its own so that it never waits for a poll nor a
/// poll for it. Returns the end (seconds) the scheduled rules may evaluate up to: the
/// explanation watermark, and no later than `now − settle`.
pub(crate) async fn sweep_behind_explanation(
    settings: &AnalyzerSettings,
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    now: Timestamp,
    overlap_ms: i64,
) -> anyhow::Result<u32> {
    let mut transaction = pool.begin().await?;
    lock(&mut transaction, SWEEP_JOB).await?;
    let watermark = load_watermark(&mut *transaction, EXPLAIN_JOB)
        .await?
        .unwrap_or(0);
    let done = seconds(watermark);
    let window = Window {
        start: seconds(watermark - overlap_ms),
        end: done,
    };
    if !window.is_empty() {
        let version = u64::try_from(now.as_millis()).unwrap_or(0);
        // Every event of the window is before `fresh_from`: only the arrivals with no
        // explanation yet.
        explain(
            clickhouse,
            &settings.explanation,
            window,
            &Events::Window { fresh_from: done },
            version,
        )
        .await
        .context("explaining what became visible behind the explanation watermark")?;
    }
    transaction.commit().await?;
    Ok(done.min(seconds(now.as_millis() - settings.settle_ms)))
}

/// Epoch milliseconds as whole epoch seconds, clamped to `u32` (stored times are `DateTime`).
pub(crate) fn seconds(millis: i64) -> u32 {
    u32::try_from(millis.max(0) / 1000).unwrap_or(u32::MAX)
}

/// Evaluates one rule over its window up to `end` (seconds; each window starts `overlap_ms`
/// before the rule's watermark), in steps of at most `max_window_ms` of stored time, recording
/// each step's findings and its watermark in one transaction. `shared` holds the run's binds
/// ([`run_binds`]); with `explain_candidates_at` (the near-real-time path, ahead of the
/// explanation pass) the candidates' events are explained first, at that version.
pub(crate) async fn run_rule(
    settings: &AnalyzerSettings,
    configured: &ConfiguredRule,
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    (end, overlap_ms): (u32, i64),
    shared: &Binds,
    explain_candidates_at: Option<Timestamp>,
) -> anyhow::Result<RunSummary> {
    let job = format!("rule:{}", configured.rule.id);
    let explain_first = explain_candidates_at.map(|now| {
        (
            &settings.explanation,
            u64::try_from(now.as_millis()).unwrap_or(0),
        )
    });
    let mut summary = RunSummary {
        watermark_ms: i64::from(end) * 1000,
        ..RunSummary::default()
    };
    let mut sessions = Sessions::new();
    loop {
        let mut transaction = pool.begin().await?;
        lock(&mut transaction, &job).await?;
        let watermark = load_watermark(&mut *transaction, &job).await?.unwrap_or(0);
        let done = seconds(watermark);
        let step = if end <= done {
            end
        } else {
            next_step(settings, clickhouse, done, end).await?
        };
        let window = Window {
            start: seconds(watermark - overlap_ms),
            end: step,
        };
        if window.is_empty() {
            return Ok(summary);
        }
        let found = candidates(
            clickhouse,
            configured,
            window,
            shared,
            &mut sessions,
            explain_first,
        )
        .await
        .with_context(|| format!("rule {} failed", configured.rule.id))?;
        summary.candidates += found.len();
        let findings: Vec<NewFinding> = found
            .iter()
            .map(|candidate| new_finding(configured, candidate))
            .collect();
        for recorded in
            record_run(&mut transaction, settings, configured.rule.id, &findings).await?
        {
            match recorded {
                Recorded::Duplicate => {}
                Recorded::Suppressed => summary.suppressed += 1,
                Recorded::Pending => summary.pending += 1,
                Recorded::ExtendedCase => summary.new_findings += 1,
                Recorded::OpenedCase => {
                    summary.new_findings += 1;
                    summary.opened_cases += 1;
                }
            }
        }
        store_watermark(&mut transaction, &job, i64::from(step) * 1000).await?;
        transaction.commit().await?;
        if step >= end {
            return Ok(summary);
        }
    }
}

fn new_finding(configured: &ConfiguredRule, candidate: &Candidate) -> NewFinding {
    let occurred = Timestamp::from_seconds_and_millis(candidate.occurred_at, candidate.occurred_ms);
    NewFinding {
        rule_id: configured.rule.id,
        severity: configured.severity,
        event_id: candidate.event_id.clone(),
        occurred_at: occurred.to_datetime(),
        user_id: candidate.user_id.clone(),
        user_org: (!candidate.user_org.is_empty()).then(|| candidate.user_org.clone()),
        patient_id: candidate.patient_id.clone(),
        explanation: (configured.rule.explain)(candidate),
        evidence: candidate.evidence.clone(),
    }
}
