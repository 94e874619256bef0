//! The ceiling: ClickHouse inserting the very rows careaudit would produce, with nothing else.
//!
//! `capture` records what `loggen` sends (it rewrites the syslog header: its own timestamp
//! without a zone, a byte-order mark), so that `raw-insert --kind syslog` can frame, parse and
//! map exactly those bytes with careaudit's own functions. `raw-insert --kind fhir` maps the
//! NDJSON bodies of the HTTP run. Building the rows is untimed (its single-thread cost is
//! reported as `build_us_per_event`); then the clock runs while the rows are inserted with the
//! clickhouse crate, in batches like the shipper's, until `SELECT count()` shows all of them.

use crate::{files_in, wait_for_count, Args};
use collector::{
    compress_payload, derived_event_id, map_atna_message, parse_syslog, prepare_fhir_event,
    AccessEventRow, Source, SyslogFramer,
};
use domain::{Channel, Timestamp};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

pub async fn capture(args: &Args) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.text("listen")?).await?;
    let connections: usize = args.number("connections", None)?;
    let out = args.text("out")?;
    std::fs::create_dir_all(&out)?;
    let mut readers = tokio::task::JoinSet::new();
    for index in 0..connections {
        let (mut stream, _) = listener.accept().await?;
        let path = format!("{out}/conn.{index}.bin");
        readers.spawn(async move {
            let mut bytes = Vec::new();
            stream.read_to_end(&mut bytes).await?;
            std::fs::write(&path, &bytes)?;
            anyhow::Ok(bytes.len())
        });
    }
    let mut total = 0;
    while let Some(joined) = readers.join_next().await {
        total += joined??;
    }
    println!("{}", json!({"connections": connections, "bytes": total}));
    Ok(())
}

fn source(channel: Channel, node: &str) -> Source {
    Source {
        node: node.to_owned(),
        channel,
        authenticated_as: String::new(),
        client_address: "127.0.0.1".to_owned(),
    }
}

/// Rows as `fhir_endpoints::post_ndjson` makes them.
fn fhir_rows(dir: &str) -> anyhow::Result<Vec<AccessEventRow>> {
    let source = source(Channel::FhirHttp, "http:127.0.0.1");
    let mut rows = Vec::new();
    for file in files_in(dir, ".ndjson")? {
        let bytes = std::fs::read(&file)?;
        for line in bytes
            .split(|byte| *byte == b'\n')
            .filter(|line| !line.is_empty())
        {
            let row = prepare_fhir_event(line, &source, Timestamp::now())
                .map_err(|error| anyhow::anyhow!("refused: {:?}", error.issues))?;
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Rows as `syslog_server::message_entries` makes them (the kit's messages name one patient
/// each; more would be refused here rather than silently differ).
fn syslog_rows(dir: &str) -> anyhow::Result<Vec<AccessEventRow>> {
    let source = source(Channel::SyslogTcp, "syslog:127.0.0.1");
    let mut rows = Vec::new();
    for file in files_in(dir, ".bin")? {
        let bytes = std::fs::read(&file)?;
        let mut framer = SyslogFramer::new(256 * 1024);
        let mut frames = Vec::new();
        framer.push(&bytes, &mut frames);
        frames.extend(framer.finish());
        for frame in frames {
            let frame = frame.map_err(|error| anyhow::anyhow!("framing: {}", error.reason))?;
            let received_at = Timestamp::now();
            let message = parse_syslog(&frame, received_at)
                .map_err(|error| anyhow::anyhow!("syslog: {}", error.reason))?;
            let mapped = map_atna_message(&message.message, source.provenance(received_at), || {
                derived_event_id(&frame)
            })
            .map_err(|error| anyhow::anyhow!("atna: {}", error.reason))?;
            anyhow::ensure!(
                mapped.additional_patients.is_empty(),
                "message names several patients"
            );
            let compressed = compress_payload(&frame)?;
            rows.push(AccessEventRow::from_event(
                &mapped.event,
                "syslog",
                compressed,
                &frame,
            ));
        }
    }
    Ok(rows)
}

pub async fn insert(args: &Args) -> anyhow::Result<()> {
    let kind = args.text("kind")?;
    let input = args.text("input")?;
    let batch: usize = args.number("batch", Some(50_000))?;
    let client = crate::clickhouse(&args.text("clickhouse")?, &args.text("database")?);

    let built = Instant::now();
    let rows = match kind.as_str() {
        "fhir" => fhir_rows(&input)?,
        "syslog" => syslog_rows(&input)?,
        other => anyhow::bail!("--kind {other}: expected fhir or syslog"),
    };
    let build_s = built.elapsed().as_secs_f64();
    let events = rows.len() as u64;

    let started = Instant::now();
    for chunk in rows.chunks(batch) {
        let mut insert = client.insert::<AccessEventRow>("access_events").await?;
        for row in chunk {
            insert.write(row).await?;
        }
        insert.end().await?;
    }
    let inserted_s = started.elapsed().as_secs_f64();
    let rows_seen = wait_for_count(
        &client,
        "access_events",
        events,
        Duration::from_millis(50),
        Duration::from_secs(300),
    )
    .await?;
    let queryable_s = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "kind": kind, "events": events, "rows": rows_seen, "batch": batch,
            "build_s": build_s, "build_us_per_event": build_s * 1e6 / events as f64,
            "inserted_s": inserted_s, "queryable_s": queryable_s,
            "events_per_s": events as f64 / queryable_s,
        })
    );
    Ok(())
}
