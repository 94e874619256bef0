//! `http`: the end-to-end HTTP run. Loads every NDJSON body into memory (untimed), then starts
//! the clock, posts the bodies over `--connections` concurrent connections (each takes the next
//! body when its previous one was answered), checks every answer (200, all lines stored), and
//! polls ClickHouse until `access_events` holds every event. Reports the time to the last
//! acknowledgement and the time until everything was queryable, both from the first byte sent.

use crate::{epoch_seconds, files_in, wait_for_count, Args};
use anyhow::{bail, Context};
use serde_json::json;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let url = format!(
        "{}/fhir/AuditEvent",
        args.text("url")?.trim_end_matches('/')
    );
    let connections: usize = args.number("connections", Some(4))?;
    let database = args.text("database")?;
    let client = crate::clickhouse(&args.text("clickhouse")?, &database);

    let mut bodies = VecDeque::new();
    let mut events = 0_u64;
    for file in files_in(&args.text("bodies")?, ".ndjson")? {
        let bytes = std::fs::read(&file)?;
        let lines = bytes
            .split(|byte| *byte == b'\n')
            .filter(|line| !line.is_empty())
            .count();
        events += lines as u64;
        bodies.push_back((lines, bytes));
    }
    let body_count = bodies.len();
    let queue = Arc::new(Mutex::new(bodies));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(600))
        .build()?;

    let started = Instant::now();
    let started_epoch = epoch_seconds();
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (queue, http, url) = (Arc::clone(&queue), http.clone(), url.clone());
        senders.spawn(async move {
            loop {
                let next = queue
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .pop_front();
                let Some((lines, body)) = next else {
                    return anyhow::Ok(());
                };
                let response = http
                    .post(&url)
                    .header("content-type", "application/fhir+ndjson")
                    .body(body)
                    .send()
                    .await
                    .context("posting a body")?;
                let status = response.status();
                let text = response.text().await?;
                let expected = format!("stored {lines} audit events; rejected 0 lines");
                if status != reqwest::StatusCode::OK || !text.contains(&expected) {
                    bail!(
                        "collector answered {status}: {}",
                        &text[..text.len().min(500)]
                    );
                }
            }
        });
    }
    while let Some(joined) = senders.join_next().await {
        joined??;
    }
    let acked_s = started.elapsed().as_secs_f64();
    let rows = wait_for_count(
        &client,
        "access_events",
        events,
        Duration::from_millis(args.number("poll-ms", Some(50))?),
        Duration::from_secs(900),
    )
    .await?;
    let queryable_s = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "events": events, "bodies": body_count, "connections": connections, "rows": rows,
            "t0_epoch": started_epoch,
            "acked_s": acked_s, "acked_events_per_s": events as f64 / acked_s,
            "queryable_s": queryable_s, "events_per_s": events as f64 / queryable_s,
        })
    );
    Ok(())
}
