//! The ingest benchmark's programs (driven by `bench/ingest/run.sh`; see BENCHMARKS.md).
//!
//! ```text
//! bench_ingest fhir-bodies   --messages DIR --out DIR [--per-body 10000]
//! bench_ingest capture       --listen ADDR --connections N --out DIR
//! bench_ingest http          --url URL --bodies DIR --connections N --clickhouse URL --database DB
//! bench_ingest wait-count    --clickhouse URL --table DB.TABLE --expect N --t0 EPOCH_SECONDS
//! bench_ingest raw-insert    --kind fhir|syslog --input DIR --clickhouse URL --database DB [--batch N]
//! bench_ingest latency       --url URL --bodies DIR --rate 2000 --seconds 30 --clickhouse URL --database DB
//! bench_ingest summary       --results FILE
//! ```
//!
//! Every measuring command prints one JSON object on stdout (the harness appends it to the
//! results file); the summary turns those lines into the tables of BENCHMARKS.md.

mod fhir;
mod http;
mod latency;
mod raw;
mod summary;

use anyhow::{bail, Context};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// `--key value` pairs.
pub struct Args(HashMap<String, String>);

impl Args {
    fn parse(raw: impl Iterator<Item = String>) -> anyhow::Result<Self> {
        let mut map = HashMap::new();
        let mut raw = raw.peekable();
        while let Some(flag) = raw.next() {
            let Some(key) = flag.strip_prefix("--") else {
                bail!("expected --flag, got {flag}");
            };
            let value = raw
                .next()
                .with_context(|| format!("{flag} needs a value"))?;
            map.insert(key.to_owned(), value);
        }
        Ok(Self(map))
    }

    pub fn text(&self, key: &str) -> anyhow::Result<String> {
        self.0
            .get(key)
            .cloned()
            .with_context(|| format!("--{key} is required"))
    }

    pub fn text_or(&self, key: &str, default: &str) -> String {
        self.0
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }

    pub fn number<T: std::str::FromStr>(&self, key: &str, default: Option<T>) -> anyhow::Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match (self.0.get(key), default) {
            (Some(raw), _) => raw
                .parse()
                .map_err(|error| anyhow::anyhow!("--{key} {raw}: {error}")),
            (None, Some(default)) => Ok(default),
            (None, None) => bail!("--{key} is required"),
        }
    }
}

/// A ClickHouse client configured like careaudit's (`migrations::ClickHouseSettings::client`).
pub fn clickhouse(url: &str, database: &str) -> clickhouse::Client {
    clickhouse::Client::default()
        .with_url(url)
        .with_user("default")
        .with_validation(false)
        .with_database(database)
}

/// Polls `SELECT count() FROM table` every `interval` until it reaches `expect`; returns the
/// count seen last (which may exceed `expect` only if rows were duplicated).
pub async fn wait_for_count(
    client: &clickhouse::Client,
    table: &str,
    expect: u64,
    interval: Duration,
    timeout: Duration,
) -> anyhow::Result<u64> {
    let started = Instant::now();
    let query = format!("SELECT count() FROM {table}");
    loop {
        let count: u64 = client.query(&query).fetch_one().await?;
        if count >= expect {
            return Ok(count);
        }
        if started.elapsed() > timeout {
            bail!("{table} holds {count} rows of {expect} after {timeout:?}");
        }
        tokio::time::sleep(interval).await;
    }
}

/// Seconds since the Unix epoch, as a float (to line up with `date +%s.%N` in the scripts).
pub fn epoch_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs_f64())
        .unwrap_or_default()
}

/// The files of `dir` whose names end with `suffix`, sorted.
pub fn files_in(dir: &str, suffix: &str) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {dir}"))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no *{suffix} files in {dir}");
    }
    Ok(files)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut raw = std::env::args().skip(1);
    let command = raw.next().context("missing command (see the module doc)")?;
    let args = Args::parse(raw)?;
    match command.as_str() {
        "fhir-bodies" => fhir::write_bodies(&args),
        "capture" => raw::capture(&args).await,
        "http" => http::run(&args).await,
        "wait-count" => wait_count(&args).await,
        "raw-insert" => raw::insert(&args).await,
        "latency" => latency::run(&args).await,
        "summary" => summary::run(&args),
        other => bail!("unknown command {other}"),
    }
}

/// For runs driven from the shell (syslog): waits until the table holds `--expect` rows and
/// prints when that was, relative to `--t0` (the shell's timestamp just before it started the
/// senders).
async fn wait_count(args: &Args) -> anyhow::Result<()> {
    let t0: f64 = args.number("t0", None)?;
    let expect: u64 = args.number("expect", None)?;
    let table = args.text("table")?;
    let client = clickhouse(&args.text("clickhouse")?, "default");
    let interval = Duration::from_millis(args.number("poll-ms", Some(50))?);
    let timeout = Duration::from_secs(args.number("timeout-s", Some(900))?);
    let count = wait_for_count(&client, &table, expect, interval, timeout).await?;
    let seconds = epoch_seconds() - t0;
    println!(
        "{}",
        serde_json::json!({"rows": count, "queryable_s": seconds, "events_per_s": expect as f64 / seconds})
    );
    Ok(())
}
