//! Measures the collector's write-ahead log: `--appenders` tasks append `--records` records of
//! `--record-bytes` bytes in all, one record per append (as the HTTP endpoint acknowledges each
//! event on its own), while a shipper task reads and checkpoints behind them so the log stays
//! bounded — in batches of up to 10,000 records, pausing `--ship-interval-ms` (default 100)
//! after a batch that was not full, as a size- and time-bounded shipper into ClickHouse would. Prints records/s, MB/s, fsyncs and the
//! average group size.
//!
//! ```text
//! cargo run --release -p collector --example wal_throughput -- \
//!     --records 200000 --record-bytes 1024 --appenders 64 [--dir /path/on/the/real/disk]
//! ```
//!
//! Without `--dir` the log goes to a temporary directory under the system's temp dir; use a
//! directory on the disk you want to measure (a tmpfs makes fsync free and the numbers
//! meaningless).

use anyhow::{bail, Context};
use collector::{Wal, WalConfig};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const SHIP_BATCH_RECORDS: usize = 10_000;

struct Options {
    records: usize,
    record_bytes: usize,
    appenders: usize,
    ship_interval: Duration,
    dir: Option<PathBuf>,
}

fn parse_options() -> anyhow::Result<Options> {
    let mut options = Options {
        records: 200_000,
        record_bytes: 1024,
        appenders: 8,
        ship_interval: Duration::from_millis(100),
        dir: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--records" => options.records = value.parse()?,
            "--record-bytes" => options.record_bytes = value.parse()?,
            "--appenders" => options.appenders = value.parse()?,
            "--dir" => options.dir = Some(PathBuf::from(value)),
            other => bail!(
                "unknown flag {other}; expected --records, --record-bytes, --appenders, --dir"
            ),
        }
    }
    if options.appenders == 0 || options.records < options.appenders {
        bail!("need at least one appender and at least one record per appender");
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = parse_options()?;
    let temp_dir = match &options.dir {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };
    let (wal, mut reader, _) = Wal::open(WalConfig {
        dir: temp_dir.path().to_path_buf(),
        segment_bytes: 64 * 1024 * 1024,
        max_bytes: 1024 * 1024 * 1024,
    })
    .await?;

    let total_records = options.records / options.appenders * options.appenders;
    let ship_interval = options.ship_interval;
    let shipper = tokio::spawn(async move {
        let mut shipped = 0;
        while shipped < total_records {
            let batch = reader
                .next_batch(
                    SHIP_BATCH_RECORDS,
                    16 * 1024 * 1024,
                    Duration::from_secs(30),
                )
                .await?;
            let Some((last_lsn, _)) = batch.last() else {
                bail!("the shipper waited 30 s for a record");
            };
            reader.checkpoint(*last_lsn, Vec::new()).await?;
            shipped += batch.len();
            if batch.len() < SHIP_BATCH_RECORDS {
                tokio::time::sleep(ship_interval).await;
            }
        }
        anyhow::Ok(())
    });

    let started = Instant::now();
    let appenders: Vec<_> = (0..options.appenders)
        .map(|task| {
            let wal = wal.clone();
            let per_task = total_records / options.appenders;
            let record = vec![b'a' + (task % 26) as u8; options.record_bytes];
            tokio::spawn(async move {
                for _ in 0..per_task {
                    // The syslog path: wait for room instead of failing.
                    loop {
                        match wal.append(vec![record.clone()]).await {
                            Ok(_) => break,
                            Err(collector::WalError::Full {
                                requested_bytes, ..
                            }) => {
                                wal.wait_for_space(requested_bytes).await;
                            }
                            Err(error) => return Err(error),
                        }
                    }
                }
                Ok(())
            })
        })
        .collect();
    for appender in appenders {
        appender.await??;
    }
    let append_seconds = started.elapsed().as_secs_f64();
    shipper.await??;
    let total_seconds = started.elapsed().as_secs_f64();
    let stats = wal.stats();
    wal.close().await;

    let megabytes = (total_records * options.record_bytes) as f64 / 1e6;
    println!(
        "{total_records} records of {} B from {} appenders in {append_seconds:.2} s: \
         {:.0} records/s, {:.1} MB/s; {} fsyncs ({:.1} appends per fsync); \
         shipped and checkpointed through lsn {} after {total_seconds:.2} s",
        options.record_bytes,
        options.appenders,
        total_records as f64 / append_seconds,
        megabytes / append_seconds,
        stats.fsyncs,
        stats.appends as f64 / stats.fsyncs.max(1) as f64,
        stats.last_checkpointed_lsn,
    );
    Ok(())
}
