//! The near-real-time latency benchmark of BENCHMARKS.md: careaudit's collector and analyzer
//! (production defaults: 500 ms polls, 1 s settle) on a private test database, a steady load of
//! ordinary record views over HTTP, and emergency accesses mixed in; for each emergency access,
//! the time from the collector's 201 (durable in the write-ahead log, before it is even in
//! ClickHouse) to its finding being in a case in PostgreSQL.
//!
//! `cargo run --release -p tests --example bench_nrt -- [seconds] [views_per_second] [emergencies_per_second]`
//! (defaults 60, 200, 2) with the environment of `scripts/services env`; run it under
//! `flock /tmp/careaudit-cpu.lock`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tests::{patient_read, Background, TestApp};
use tokio::sync::Mutex;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let seconds = args.first().copied().unwrap_or(60);
    let rate = args.get(1).copied().unwrap_or(200);
    let emergencies = args.get(2).copied().unwrap_or(2);
    let app = Arc::new(TestApp::spawn("bench_nrt", Background::NONE).await);
    let settings = analyzer::AnalyzerSettings::default();
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::spawn(analyzer::run(
        settings,
        app.stores.clone(),
        shutdown.clone().cancelled_owned(),
    ));

    let acknowledged: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let started = Instant::now();
    let mut senders = Vec::new();
    for worker in 0..4_u64 {
        let (app, acknowledged) = (app.clone(), acknowledged.clone());
        senders.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_micros(4_000_000 / rate));
            let mut sent = 0_u64;
            while started.elapsed() < Duration::from_secs(seconds) {
                tick.tick().await;
                sent += 1;
                let emergency = sent % (rate / emergencies.max(1)).max(1) == 0 && worker == 0;
                let id = format!("{}-{worker}-{sent}", if emergency { "btg" } else { "view" });
                let patient = if emergency {
                    "9990001267"
                } else {
                    "9990001259"
                };
                let purpose = if emergency { "BTG" } else { "TREAT" };
                let event = patient_read(
                    &id,
                    &format!("55500000{:04}", sent % 5000),
                    "RDM01",
                    patient,
                    purpose,
                    None,
                );
                let (status, _) = app.post_json(&event).await;
                if status == 201 && emergency {
                    acknowledged.lock().await.insert(id, Instant::now());
                }
            }
            sent
        }));
    }
    let mut seen: HashMap<String, Instant> = HashMap::new();
    let deadline = Duration::from_secs(seconds + 20);
    while started.elapsed() < deadline {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT event_id FROM findings WHERE rule_id = 'emergency_access' AND case_id IS NOT NULL",
        )
        .fetch_all(&app.pool)
        .await?;
        let now = Instant::now();
        for id in ids {
            seen.entry(id).or_insert(now);
        }
        let expected = acknowledged.lock().await.len();
        if started.elapsed() > Duration::from_secs(seconds) && seen.len() >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let mut total = 0;
    for sender in senders {
        total += sender.await?;
    }
    shutdown.cancel();
    let acknowledged = acknowledged.lock().await;
    let mut latencies: Vec<f64> = acknowledged
        .iter()
        .filter_map(|(id, at)| {
            seen.get(id)
                .map(|case| case.duration_since(*at).as_secs_f64())
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    println!(
        "{total} views sent in {seconds} s ({:.0}/s); {} emergency accesses acknowledged, {} in a case",
        total as f64 / seconds as f64,
        acknowledged.len(),
        latencies.len()
    );
    println!(
        "201 -> case: p50 {:.2} s, p90 {:.2} s, p99 {:.2} s, max {:.2} s",
        percentile(&latencies, 50.0),
        percentile(&latencies, 90.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}
