//! `latency`: ingest-to-queryable latency at a steady rate. Sends single AuditEvents
//! (`POST /fhir/AuditEvent`, one event per request, as an exchange node does when a record is
//! viewed) on a fixed schedule of `--rate` per second for `--seconds`, each from its own task so
//! a slow answer never delays the schedule, and records when each was sent and acknowledged.
//! Meanwhile it polls the integrity ledger every `--poll-ms`: the shipper inserts a batch's
//! `ingest_batches` row only after its `access_events` rows were acknowledged by ClickHouse, so
//! the moment a batch row is first seen, every event it lists is queryable. The latency of an
//! event is from just before its request was sent until the answer to the first poll that saw
//! it (an upper bound: it includes the ledger insert and up to one poll interval).

use crate::{files_in, wait_for_count, Args};
use anyhow::bail;
use clickhouse::Row;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Row, Deserialize)]
struct LedgerRow {
    batch_seq: u64,
    entry_ids: Vec<String>,
}

#[derive(Clone, Copy, Default)]
struct Timing {
    sent: Option<Instant>,
    acked: Option<Instant>,
    visible: Option<Instant>,
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn summary(mut values: Vec<f64>) -> serde_json::Value {
    values.sort_by(f64::total_cmp);
    json!({
        "p50_ms": percentile(&values, 0.50), "p90_ms": percentile(&values, 0.90),
        "p99_ms": percentile(&values, 0.99), "p999_ms": percentile(&values, 0.999),
        "max_ms": values.last().copied().unwrap_or(f64::NAN),
    })
}

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let url = format!(
        "{}/fhir/AuditEvent",
        args.text("url")?.trim_end_matches('/')
    );
    let rate: f64 = args.number("rate", Some(2000.0))?;
    let seconds: f64 = args.number("seconds", Some(30.0))?;
    let poll = Duration::from_millis(args.number("poll-ms", Some(10))?);
    let client = crate::clickhouse(&args.text("clickhouse")?, &args.text("database")?);
    let wanted = (rate * seconds) as usize;

    let mut events: Vec<(String, Vec<u8>)> = Vec::with_capacity(wanted);
    'files: for file in files_in(&args.text("bodies")?, ".ndjson")? {
        for line in std::fs::read(&file)?.split(|byte| *byte == b'\n') {
            if events.len() == wanted {
                break 'files;
            }
            if line.is_empty() {
                continue;
            }
            let id = serde_json::from_slice::<serde_json::Value>(line)?["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            events.push((id, line.to_vec()));
        }
    }
    if events.len() < wanted {
        bail!(
            "only {} events in the bodies, {wanted} wanted",
            events.len()
        );
    }
    let index: HashMap<String, usize> = events
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.clone(), i))
        .collect();
    let timings = Arc::new(Mutex::new(vec![Timing::default(); wanted]));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;

    let done_sending = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let (timings, done_sending, client) = (
            Arc::clone(&timings),
            Arc::clone(&done_sending),
            client.clone(),
        );
        tokio::spawn(async move {
            let (mut last_seq, mut seen) = (0_u64, 0_usize);
            let deadline_after_send = Duration::from_secs(60);
            let mut send_finished: Option<Instant> = None;
            loop {
                let rows: Vec<LedgerRow> = client
                    .query("SELECT batch_seq, entry_ids FROM ingest_batches WHERE batch_seq > ? ORDER BY batch_seq")
                    .bind(last_seq)
                    .fetch_all()
                    .await?;
                let now = Instant::now();
                {
                    let mut timings = timings.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                    for row in rows {
                        last_seq = last_seq.max(row.batch_seq);
                        for id in row.entry_ids {
                            if let Some(&i) = index.get(&id) {
                                if timings[i].visible.is_none() {
                                    timings[i].visible = Some(now);
                                    seen += 1;
                                }
                            }
                        }
                    }
                }
                if seen == wanted {
                    return anyhow::Ok(());
                }
                if done_sending.load(std::sync::atomic::Ordering::Acquire) {
                    let finished = *send_finished.get_or_insert(now);
                    if now - finished > deadline_after_send {
                        bail!(
                            "{} events not seen 60 s after the last was sent",
                            wanted - seen
                        );
                    }
                }
                tokio::time::sleep(poll).await;
            }
        })
    };

    let started = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for (i, (_, body)) in events.into_iter().enumerate() {
        tokio::time::sleep_until((started + Duration::from_secs_f64(i as f64 / rate)).into()).await;
        let (http, url, timings) = (http.clone(), url.clone(), Arc::clone(&timings));
        senders.spawn(async move {
            let sent = Instant::now();
            let response = http
                .post(&url)
                .header("content-type", "application/fhir+json")
                .body(body)
                .send()
                .await?;
            let status = response.status();
            if status != reqwest::StatusCode::CREATED {
                bail!(
                    "collector answered {status}: {}",
                    response.text().await.unwrap_or_default()
                );
            }
            let acked = Instant::now();
            let mut timings = timings.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            timings[i].sent = Some(sent);
            timings[i].acked = Some(acked);
            anyhow::Ok(())
        });
        while let Some(joined) = senders.try_join_next() {
            joined??;
        }
    }
    let send_s = started.elapsed().as_secs_f64();
    while let Some(joined) = senders.join_next().await {
        joined??;
    }
    done_sending.store(true, std::sync::atomic::Ordering::Release);
    poller.await??;
    let rows = wait_for_count(
        &client,
        "access_events",
        wanted as u64,
        poll,
        Duration::from_secs(60),
    )
    .await?;

    let timings = timings
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    let millis = |from: Option<Instant>, to: Option<Instant>| match (from, to) {
        (Some(from), Some(to)) => Some(to.saturating_duration_since(from).as_secs_f64() * 1e3),
        _ => None,
    };
    let queryable: Vec<f64> = timings
        .iter()
        .filter_map(|t| millis(t.sent, t.visible))
        .collect();
    let acked: Vec<f64> = timings
        .iter()
        .filter_map(|t| millis(t.sent, t.acked))
        .collect();
    println!(
        "{}",
        json!({
            "events": wanted, "rows": rows, "target_rate": rate, "achieved_rate": wanted as f64 / send_s,
            "poll_ms": poll.as_millis() as u64,
            "queryable": summary(queryable), "acked": summary(acked),
        })
    );
    Ok(())
}
