//! The dashboards benchmark client (`bench/dashboards/run.sh` runs it): signs in through the
//! form like a browser, then times, side by side and alternating, the patient trace API and
//! the case page against the baseline — the raw ClickHouse range read of the same patient's
//! events (the same columns the trace reads, through the same client library). Prints one
//! markdown table row per block and measure.

use clickhouse::Row;
use serde::Deserialize;
use std::time::{Duration, Instant};

#[derive(Debug, Row, Deserialize)]
#[allow(dead_code)]
struct RawRow {
    event_id: String,
    patient_id: String,
    occurred_at: u32,
    occurred_ms: u16,
    received_at: u32,
    received_ms: u16,
    action: String,
    outcome: u8,
    user_id: String,
    user_name: String,
    user_org: String,
    user_roles: Vec<String>,
    purpose_of_use: Vec<String>,
    emergency_access: u8,
    emergency_reason: String,
    source_node: String,
    channel: String,
    payload_sha256: String,
}

const RAW: &str = "SELECT event_id, patient_id, occurred_at, occurred_ms, received_at, received_ms, action, outcome, user_id, user_name, user_org, user_roles, purpose_of_use, emergency_access, emergency_reason, source_node, channel, payload_sha256 FROM access_events WHERE patient_id = ? ORDER BY occurred_at, occurred_ms, event_id";

fn argument(name: &str) -> String {
    let mut args = std::env::args();
    while let Some(arg) = args.next() {
        if arg == name {
            if let Some(value) = args.next() {
                return value;
            }
        }
    }
    panic!("missing {name}");
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn summary(label: &str, block: &str, mut times: Vec<Duration>) -> (f64, String) {
    times.sort();
    let p99 = percentile(&times, 0.99);
    (
        p99,
        format!(
            "| {block} | {label} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.9),
            p99,
            times.last().map_or(0.0, |t| t.as_secs_f64() * 1000.0)
        ),
    )
}

async fn sign_in(http: &reqwest::Client, base: &str, username: &str, password: &str) -> String {
    let page = http
        .get(format!("{base}/signin"))
        .send()
        .await
        .expect("sign-in page");
    let pre = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("presession"))
        .expect("pre-session cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let html = page.text().await.expect("html");
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("token") + marker.len();
    let token = &html[start..start + html[start..].find('"').expect("end")];
    let answer = http
        .post(format!("{base}/signin"))
        .header("cookie", &pre)
        .form(&[
            ("csrf_token", token),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(answer.status(), 303, "signed in");
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("_session="))
        .expect("session cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned()
}

#[tokio::main]
async fn main() {
    let base = argument("--url");
    let patients: Vec<String> = std::fs::read_to_string(argument("--patients"))
        .expect("patients")
        .lines()
        .map(str::to_owned)
        .collect();
    let cases: Vec<(String, String)> = std::fs::read_to_string(argument("--cases"))
        .expect("cases")
        .lines()
        .filter_map(|line| {
            line.split_once('\t')
                .map(|(r, p)| (r.to_owned(), p.to_owned()))
        })
        .collect();
    let blocks: usize = argument("--blocks").parse().expect("blocks");
    let clickhouse = clickhouse::Client::default()
        .with_url(argument("--clickhouse-url"))
        .with_database(argument("--database"))
        .with_validation(false);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let cookie = sign_in(
        &http,
        &base,
        &argument("--username"),
        &argument("--password"),
    )
    .await;
    println!("| block | measure | requests | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|---|");
    let mut rows_total = 0_usize;
    for block in 0..=blocks {
        let label = if block == 0 {
            "warm-up".to_owned()
        } else {
            block.to_string()
        };
        let (mut app, mut raw, mut page, mut page_raw) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (index, patient) in patients.iter().enumerate() {
            let time_app = || async {
                let started = Instant::now();
                let response = http
                    .get(format!("{base}/api/v1/patients/{patient}/trace"))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .expect("trace");
                assert_eq!(response.status(), 200);
                response.bytes().await.expect("body");
                started.elapsed()
            };
            let time_raw = || async {
                let started = Instant::now();
                let rows: Vec<RawRow> = clickhouse
                    .query(RAW)
                    .bind(patient)
                    .fetch_all()
                    .await
                    .expect("raw read");
                (started.elapsed(), rows.len())
            };
            // Alternate which goes first, so neither always finds the other's cache warm.
            if index % 2 == 0 {
                app.push(time_app().await);
                let (elapsed, rows) = time_raw().await;
                raw.push(elapsed);
                rows_total += rows;
            } else {
                let (elapsed, rows) = time_raw().await;
                raw.push(elapsed);
                rows_total += rows;
                app.push(time_app().await);
            }
        }
        for (reference, patient) in &cases {
            let started = Instant::now();
            let response = http
                .get(format!("{base}/cases/{reference}"))
                .header("cookie", &cookie)
                .header("accept", "text/html")
                .send()
                .await
                .expect("case page");
            assert_eq!(response.status(), 200, "case {reference}");
            response.bytes().await.expect("body");
            page.push(started.elapsed());
            let started = Instant::now();
            let _: Vec<RawRow> = clickhouse
                .query(RAW)
                .bind(patient)
                .fetch_all()
                .await
                .expect("raw read");
            page_raw.push(started.elapsed());
        }
        let (trace_p99, line) = summary("patient trace API (JSON)", &label, app);
        println!("{line}");
        let (raw_p99, line) = summary("raw ClickHouse range read of the patient", &label, raw);
        println!("{line}");
        let (page_p99, line) = summary("case page (HTML)", &label, page);
        println!("{line}");
        let (page_raw_p99, line) =
            summary("raw range read of the case's patient", &label, page_raw);
        println!("{line}");
        println!(
            "| {label} | p99 ratio: trace ÷ raw {:.2}; case page ÷ raw {:.2} | | | | | |",
            trace_p99 / raw_p99,
            page_p99 / page_raw_p99
        );
    }
    println!(
        "\nmean events per traced patient: {:.1}",
        rows_total as f64 / (patients.len() * (blocks + 1)) as f64
    );
}
