//! The analyzer benchmark of BENCHMARKS.md: a synthetic London month generated inside
//! ClickHouse (`bench/analyzer/generate.sql`), the full rule set over the whole month as one
//! window, then an incremental five-minute window, each beside the raw scan of the same rows
//! and columns, with ClickHouse's peak memory per query from `system.query_log`.
//!
//! `cargo run --release -p tests --example bench_analyzer -- [views] [staff] [patients] [encounters]`
//! (defaults: 2,000,000 views = 10,000,000 audit events, 100,000 staff, 1,500,000 patients,
//! 1,000,000 encounters) with the environment of `scripts/services env`. Run it under
//! `flock /tmp/careaudit-cpu.lock`. After the month it prints ClickHouse's share of the run
//! (summed query durations) and a digest of every row the analyzer wrote
//! (`bench/analyzer/fingerprint.sql`), so two builds can be shown to record the same; at the
//! end it drops its databases (set `CAREAUDIT_BENCH_KEEP=1` to keep them). The month is stored
//! as it happened (stored time follows occurred time), so the analyzer's `max_window_ms`
//! (default a day; `CAREAUDIT_BENCH_MAX_WINDOW_MS` overrides it, 0 for one window) cuts the
//! catch-up into steps.

use anyhow::Context;
use clickhouse::Row;
use migrations::{ClickHouseSettings, PostgresSettings, StoreSettings};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Instant;

/// The databases (ClickHouse and PostgreSQL) it creates and drops; `CAREAUDIT_BENCH_DATABASE`
/// names others, so a second run can go beside kept ones.
const DATABASE: &str = "careaudit_bench_analyzer";

#[derive(Debug, Row, Deserialize)]
struct Logged {
    file: String,
    queries: u64,
    duration_ms: u64,
    memory: u64,
    read_rows: u64,
}

fn binds(sql: &str, values: &[(&str, u64)]) -> String {
    let mut text: String = sql
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), &value.to_string());
    }
    text
}

/// ClickHouse's queries since `since`, per analyzer query file (named by the comment
/// `analyzer::sql::query` leads each query with; others by their first words): how often it
/// ran, its summed duration, its largest peak memory and its summed rows read, heaviest first.
async fn logged_since(clickhouse: &clickhouse::Client, since: u32) -> anyhow::Result<Vec<Logged>> {
    clickhouse.query("SYSTEM FLUSH LOGS").execute().await.ok();
    Ok(clickhouse
        .query(
            "SELECT if(extract(query, '^/\\\\* ([^ ]+) \\\\*/') != '', extract(query, '^/\\\\* ([^ ]+) \\\\*/'),
                       replaceRegexpAll(substring(query, 1, 50), '[[:space:]]+', ' ')) AS file,
                    count() AS queries, sum(query_duration_ms) AS duration_ms,
                    max(memory_usage) AS memory, sum(read_rows) AS read_rows
             FROM system.query_log
             WHERE type = 2 AND event_time >= toDateTime(?)
               AND query NOT LIKE '%query_log%' AND query NOT LIKE 'SYSTEM%'
             GROUP BY file
             ORDER BY duration_ms DESC LIMIT 14",
        )
        .bind(since)
        .fetch_all()
        .await
        .unwrap_or_default())
}

fn print_logged(rows: &[Logged]) {
    for row in rows {
        println!(
            "  {:>4} x {:>9} ms {:>9.1} MiB peak {:>11} rows  {}",
            row.queries,
            row.duration_ms,
            row.memory as f64 / 1048576.0,
            row.read_rows,
            row.file
        );
    }
}

/// ClickHouse's share of a run: (queries, summed duration in ms, largest peak memory in bytes).
async fn clickhouse_share(
    clickhouse: &clickhouse::Client,
    since: u32,
) -> anyhow::Result<(u64, u64, u64)> {
    clickhouse.query("SYSTEM FLUSH LOGS").execute().await.ok();
    Ok(clickhouse
        .query(
            "SELECT count(), sum(query_duration_ms), max(memory_usage)
             FROM system.query_log
             WHERE type = 2 AND event_time >= toDateTime(?)
               AND query NOT LIKE '%query_log%' AND query NOT LIKE 'SYSTEM%'",
        )
        .bind(since)
        .fetch_one()
        .await?)
}

/// Per table: rows and digests of what the analyzer wrote (`bench/analyzer/fingerprint.sql`).
async fn fingerprint(pool: &sqlx::PgPool) -> anyhow::Result<Vec<(String, i64, String, String)>> {
    Ok(
        sqlx::query_as(include_str!("../../bench/analyzer/fingerprint.sql"))
            .fetch_all(pool)
            .await?,
    )
}

async fn raw_scan(clickhouse: &clickhouse::Client, start: u32, end: u32) -> anyhow::Result<f64> {
    let started = Instant::now();
    let _: (u64, u64, u64) = clickhouse
        .query(
            "SELECT count(), uniqExact(patient_id), uniqExact(user_id) FROM access_arrivals
             WHERE stored_at >= toDateTime(?) AND stored_at < toDateTime(?)",
        )
        .bind(start)
        .bind(end)
        .fetch_one()
        .await?;
    let _: (u64, u64) = clickhouse
        .query("SELECT count(), uniqExact(patient_id) FROM care_relationships")
        .fetch_one()
        .await?;
    Ok(started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let views = args.first().copied().unwrap_or(2_000_000);
    let staff = args.get(1).copied().unwrap_or(100_000);
    let patients = args.get(2).copied().unwrap_or(1_500_000);
    let encounters = args.get(3).copied().unwrap_or(1_000_000);
    let database =
        std::env::var("CAREAUDIT_BENCH_DATABASE").unwrap_or_else(|_| DATABASE.to_owned());
    let clickhouse_url = std::env::var("CAREAUDIT__CLICKHOUSE__URL")
        .unwrap_or_else(|_| "http://127.0.0.1:18123".to_owned());
    let postgres_url = std::env::var("CAREAUDIT__POSTGRES__URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:15433/careaudit".to_owned());
    let (server, _) = postgres_url.rsplit_once('/').context("postgres url")?;
    let admin = PostgresSettings {
        url: SecretString::from(format!("{server}/postgres")),
        max_connections: 1,
    };
    let pool = admin.connect().await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {database}"))
        .execute(&pool)
        .await?;
    sqlx::query(&format!("CREATE DATABASE {database}"))
        .execute(&pool)
        .await?;
    let stores = StoreSettings {
        clickhouse: ClickHouseSettings {
            url: clickhouse_url,
            database: database.clone(),
            user: "default".to_owned(),
            password: SecretString::from(String::new()),
            settings: Default::default(),
        },
        postgres: PostgresSettings {
            url: SecretString::from(format!("{server}/{database}")),
            max_connections: 5,
        },
    };
    stores
        .clickhouse
        .server_client()
        .query(&format!("DROP DATABASE IF EXISTS {database}"))
        .execute()
        .await?;
    migrations::migrate_all(&stores).await?;
    let clickhouse = stores.clickhouse.client().with_setting("log_queries", "1");
    let pool = stores.postgres.connect().await?;
    let _ = stores.postgres.url.expose_secret();

    let now: u32 = clickhouse
        .query("SELECT toUInt32(now())")
        .fetch_one()
        .await?;
    let month_start = u64::from(now / 86_400 * 86_400 - 31 * 86_400);
    let values = [
        ("month_start", month_start),
        ("staff", staff),
        ("patients", patients),
        ("encounters", encounters),
        ("views", views),
        ("period_seconds", 30 * 86_400),
    ];
    let generate = binds(include_str!("../../bench/analyzer/generate.sql"), &values);
    let started = Instant::now();
    for statement in migrations::split_statements(&generate) {
        clickhouse.query(&statement).execute().await?;
    }
    let loaded: u64 = clickhouse
        .query("SELECT count() FROM access_arrivals")
        .fetch_one()
        .await?;
    println!(
        "loaded {loaded} audit events ({views} views) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut settings = analyzer::AnalyzerSettings::default();
    if let Some(limit) = std::env::var("CAREAUDIT_BENCH_MAX_WINDOW_MS")
        .ok()
        .and_then(|raw| raw.parse().ok())
    {
        settings.max_window_ms = limit;
    }
    println!(
        "max_window_ms {} (0: the month is one window)",
        settings.max_window_ms
    );
    // The whole month is one window. Wait until it is settled on ClickHouse's clock and older
    // than the windows' overlap, as a month of events is in production, so the incremental
    // window below re-reads only its own overlap.
    tokio::time::sleep(std::time::Duration::from_millis(
        u64::try_from(settings.overlap_ms).unwrap_or(60_000) + 3_500,
    ))
    .await;
    let since: u32 = clickhouse
        .query("SELECT toUInt32(now())")
        .fetch_one()
        .await?;
    let started = Instant::now();
    let summary =
        analyzer::run_once(&settings, &clickhouse, &pool, domain::Timestamp::now()).await?;
    let full = started.elapsed().as_secs_f64();
    println!("full month: {full:.1} s, {summary:?}");
    let (queries, clickhouse_ms, peak) = clickhouse_share(&clickhouse, since).await?;
    println!(
        "clickhouse: {queries} queries, {:.1} s summed, largest peak {:.1} MiB; the rest of the run ({:.1} s) is the analyzer's own work and PostgreSQL",
        clickhouse_ms as f64 / 1000.0,
        peak as f64 / 1048576.0,
        full - clickhouse_ms as f64 / 1000.0
    );
    let full_raw = raw_scan(&clickhouse, 0, since).await?;
    println!(
        "raw scan of the same rows: {full_raw:.2} s (ratio {:.1})",
        full / full_raw
    );
    print_logged(&logged_since(&clickhouse, since).await?);
    let cases: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
        .fetch_one(&pool)
        .await?;
    println!(
        "cases: {cases} ({:.2} per 1,000 views)",
        cases as f64 * 1000.0 / views as f64
    );
    for (table, rows, ordered, sorted) in fingerprint(&pool).await? {
        println!("  written {table:<20} {rows:>8} rows  ordered {ordered}  sorted {sorted}");
    }

    // Five minutes of new events (the month's rate), then the incremental window.
    let five_minutes = (views * 300 / 2_592_000).max(1);
    let increment = binds(
        include_str!("../../bench/analyzer/generate.sql"),
        &[
            ("month_start", u64::from(now) - 300),
            ("staff", staff),
            ("patients", patients),
            ("encounters", encounters),
            ("views", five_minutes),
            ("period_seconds", 300),
        ],
    );
    let last = migrations::split_statements(&increment)
        .into_iter()
        .find(|statement| {
            statement
                .trim_start()
                .starts_with("INSERT INTO access_events")
        })
        .context("events statement")?;
    let window_start: u32 = clickhouse
        .query("SELECT toUInt32(now())")
        .fetch_one()
        .await?;
    clickhouse
        .query(&last.replace("concat('ev-'", "concat('inc-'"))
        .execute()
        .await?;
    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
    let since: u32 = clickhouse
        .query("SELECT toUInt32(now())")
        .fetch_one()
        .await?;
    let started = Instant::now();
    let summary =
        analyzer::run_once(&settings, &clickhouse, &pool, domain::Timestamp::now()).await?;
    let window = started.elapsed().as_secs_f64();
    let (queries, clickhouse_ms, peak) = clickhouse_share(&clickhouse, since).await?;
    println!(
        "clickhouse: {queries} queries, {:.2} s summed, largest peak {:.1} MiB",
        clickhouse_ms as f64 / 1000.0,
        peak as f64 / 1048576.0
    );
    let window_raw = raw_scan(&clickhouse, window_start, since).await?;
    println!(
        "five-minute window ({} events): {window:.2} s, raw scan {window_raw:.3} s, {summary:?}",
        five_minutes * 5
    );
    print_logged(&logged_since(&clickhouse, since).await?);
    // What the rules built on "unexplained" paid before the skipped organisations were judged
    // once per run over a bounded lookback: the same judgement over the whole table, once per
    // rule (four of them) in every run.
    let started = Instant::now();
    let whole: Vec<String> = clickhouse
        .query(
            "SELECT user_org FROM access_explanations GROUP BY user_org
             HAVING count() >= 200 AND avg(explained) < 0.75",
        )
        .fetch_all()
        .await?;
    let whole_s = started.elapsed().as_secs_f64();
    let lookback = (settings.unexplained_org_lookback_days * 86_400.0) as u32;
    let started = Instant::now();
    let bounded: Vec<String> = clickhouse
        .query(
            "SELECT user_org FROM access_explanations WHERE occurred_at >= toDateTime(?)
             GROUP BY user_org HAVING count() >= 200 AND avg(explained) < 0.75",
        )
        .bind(since.saturating_sub(lookback))
        .fetch_all()
        .await?;
    let bounded_s = started.elapsed().as_secs_f64();
    println!(
        "mostly-unexplained organisations: whole table {whole_s:.3} s ({} orgs, paid by each of 4 rules per run before), {} days back {bounded_s:.3} s ({} orgs, once per run now)",
        whole.len(),
        settings.unexplained_org_lookback_days,
        bounded.len()
    );
    if std::env::var_os("CAREAUDIT_BENCH_KEEP").is_none() {
        pool.close().await;
        stores
            .clickhouse
            .server_client()
            .query(&format!("DROP DATABASE IF EXISTS {database}"))
            .execute()
            .await?;
        let admin = admin.connect().await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {database}"))
            .execute(&admin)
            .await?;
    }
    Ok(())
}
