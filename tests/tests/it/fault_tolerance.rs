//! No acknowledged event is ever lost: the collector is killed with SIGKILL while a client
//! streams 100,000 events, and ClickHouse is stopped for 30 s under load. In both, every event
//! the collector acknowledged is in ClickHouse exactly once afterwards, and the integrity chain
//! verifies.

use migrations::{ClickHouseSettings, StoreSettings};
use secrecy::{ExposeSecret, SecretString};
use std::time::{Duration, Instant};
use tests::{free_port, fresh_stores, patient_read, wait_for, CollectorProcess, PrivateClickHouse};

const CHUNK: usize = 1_000;

/// One NDJSON body of `CHUNK` events with ids `<prefix>-<chunk>-<i>`.
fn ndjson_chunk(prefix: &str, chunk: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(CHUNK * 1_200);
    for index in 0..CHUNK {
        let event = patient_read(
            &format!("{prefix}-{chunk:04}-{index:04}"),
            "555000000031",
            "RDM01",
            "9990001321",
            "TREAT",
            None,
        );
        body.extend(serde_json::to_vec(&event).expect("serialise"));
        body.push(b'\n');
    }
    body
}

/// Posts one chunk; `true` only when the collector acknowledged every line.
async fn send_chunk(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
) -> Result<bool, reqwest::Error> {
    let response = client
        .post(format!("{url}/fhir/AuditEvent"))
        .header("content-type", "application/fhir+ndjson")
        .body(body)
        .send()
        .await?;
    if !response.status().is_success() {
        return Ok(false);
    }
    let outcome: serde_json::Value = response.json().await?;
    Ok(outcome["issue"][0]["diagnostics"]
        == format!("stored {CHUNK} audit events; rejected 0 lines"))
}

fn collector_environment(
    stores: &StoreSettings,
    http_port: u16,
    wal_dir: &std::path::Path,
) -> Vec<(String, String)> {
    let pairs = [
        ("CAREAUDIT__CLICKHOUSE__URL", stores.clickhouse.url.clone()),
        (
            "CAREAUDIT__CLICKHOUSE__DATABASE",
            stores.clickhouse.database.clone(),
        ),
        (
            "CAREAUDIT__POSTGRES__URL",
            stores.postgres.url.expose_secret().to_owned(),
        ),
        (
            "CAREAUDIT__COLLECTOR__LISTEN",
            format!("127.0.0.1:{http_port}"),
        ),
        (
            "CAREAUDIT__COLLECTOR__WAL_DIR",
            wal_dir.display().to_string(),
        ),
        (
            "CAREAUDIT__COLLECTOR__SYSLOG__TCP_LISTEN",
            format!("127.0.0.1:{}", free_port()),
        ),
        (
            "CAREAUDIT__COLLECTOR__SYSLOG__UDP_LISTEN",
            format!("127.0.0.1:{}", free_port()),
        ),
        (
            "CAREAUDIT__COLLECTOR__MLLP__LISTEN",
            format!("127.0.0.1:{}", free_port()),
        ),
        ("CAREAUDIT__COLLECTOR__BATCH_MAX_WAIT_MS", "50".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ];
    pairs
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

async fn wait_until_shipped(client: &reqwest::Client, url: &str) {
    wait_for(
        "the collector to ship everything",
        Duration::from_secs(120),
        || async {
            let status: serde_json::Value = client
                .get(format!("{url}/status"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            let wal = &status["wal"];
            (wal["last_checkpointed_lsn"] == wal["last_appended_lsn"]).then_some(())
        },
    )
    .await;
}

/// Every id of the acknowledged chunks is stored exactly once, and nothing else is stored.
async fn assert_exactly_once(
    client: &clickhouse::Client,
    prefix: &str,
    acknowledged: &[usize],
    expected_total: usize,
) {
    // Merge away retried duplicates first, so the physical row count is what is checked too.
    client
        .query("OPTIMIZE TABLE access_events FINAL")
        .execute()
        .await
        .expect("optimize");
    let rows: Vec<(String, u64)> = client
        .query("SELECT event_id, count() FROM access_events WHERE startsWith(event_id, ?) GROUP BY event_id")
        .bind(format!("{prefix}-"))
        .fetch_all()
        .await
        .expect("count per id");
    assert!(
        rows.iter().all(|(_, count)| *count == 1),
        "an event is stored more than once"
    );
    assert_eq!(rows.len(), expected_total, "distinct stored events");
    let stored: std::collections::HashSet<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    for chunk in acknowledged {
        for index in [0, CHUNK / 2, CHUNK - 1] {
            let id = format!("{prefix}-{chunk:04}-{index:04}");
            assert!(
                stored.contains(id.as_str()),
                "acknowledged event {id} is missing"
            );
        }
    }
    let report = collector::verify(client).await.expect("verify runs");
    assert!(
        report.is_intact(),
        "integrity check failed: {:?}",
        report.problems
    );
    assert_eq!(report.events_checked as usize, expected_total);
}

#[tokio::test]
async fn a_collector_killed_mid_stream_loses_no_acknowledged_event() {
    let stores = fresh_stores("fault_kill").await;
    migrations::migrate_all(&stores).await.expect("migrate");
    let wal = tempfile::tempdir().expect("wal directory");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let environment = collector_environment(&stores, port, wal.path());
    let mut collector = CollectorProcess::start(&environment, &url).await;
    let client = reqwest::Client::new();
    const CHUNKS: usize = 100;
    const KILL_AFTER: usize = 40;

    let mut acknowledged = Vec::new();
    let mut unacknowledged = Vec::new();
    for chunk in 0..CHUNKS {
        let request = send_chunk(&client, &url, ndjson_chunk("kill", chunk));
        if chunk == KILL_AFTER {
            // Kill while this request is in flight.
            let (outcome, ()) = tokio::join!(request, async {
                tokio::time::sleep(Duration::from_millis(30)).await;
                collector.kill_hard().await;
            });
            match outcome {
                Ok(true) => acknowledged.push(chunk),
                _ => unacknowledged.push(chunk),
            }
            collector = CollectorProcess::start(&environment, &url).await;
            continue;
        }
        match request.await {
            Ok(true) => acknowledged.push(chunk),
            _ => unacknowledged.push(chunk),
        }
    }
    // A real client resends what was not acknowledged.
    for chunk in unacknowledged.clone() {
        assert!(
            send_chunk(&client, &url, ndjson_chunk("kill", chunk))
                .await
                .expect("resend"),
            "resend of chunk {chunk}"
        );
        acknowledged.push(chunk);
    }
    wait_until_shipped(&client, &url).await;
    assert_exactly_once(
        &stores.clickhouse.client(),
        "kill",
        &acknowledged,
        CHUNKS * CHUNK,
    )
    .await;
    collector.terminate().await;
}

#[tokio::test]
async fn clickhouse_down_for_30_seconds_under_load_loses_nothing() {
    let private = PrivateClickHouse::start().await;
    let shared = fresh_stores("fault_clickhouse").await;
    let stores = StoreSettings {
        clickhouse: ClickHouseSettings {
            url: private.url(),
            database: shared.clickhouse.database.clone(),
            user: "default".to_owned(),
            password: SecretString::from(String::new()),
            settings: Default::default(),
        },
        postgres: shared.postgres.clone(),
    };
    migrations::migrate_all(&stores).await.expect("migrate");
    let wal = tempfile::tempdir().expect("wal directory");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut collector =
        CollectorProcess::start(&collector_environment(&stores, port, wal.path()), &url).await;
    let client = reqwest::Client::new();

    let started = Instant::now();
    let mut acknowledged = Vec::new();
    let mut stopped = false;
    let mut restarted = false;
    let mut chunk = 0;
    // About 45 s of steady load: ClickHouse is down from 5 s to 35 s.
    while started.elapsed() < Duration::from_secs(45) {
        if !stopped && started.elapsed() > Duration::from_secs(5) {
            private.down().await;
            stopped = true;
        }
        if stopped && !restarted && started.elapsed() > Duration::from_secs(35) {
            private.up().await;
            restarted = true;
        }
        if send_chunk(&client, &url, ndjson_chunk("outage", chunk))
            .await
            .expect("collector reachable")
        {
            acknowledged.push(chunk);
        }
        chunk += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(stopped && restarted);
    assert_eq!(
        acknowledged.len(),
        chunk,
        "the write-ahead log absorbs a 30 s outage: every chunk was acknowledged"
    );
    wait_until_shipped(&client, &url).await;
    assert_exactly_once(
        &stores.clickhouse.client(),
        "outage",
        &acknowledged,
        chunk * CHUNK,
    )
    .await;
    collector.terminate().await;
}
