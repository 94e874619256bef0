//! The dashboards benchmark client (`bench/dashboards/run.sh` runs it): signs in through the
//! form like a browser, then times, side by side and alternating (the order rotates request by
//! request), the patient trace API and the case page end to end, the ClickHouse queries behind
//! each as main had them (`bench/dashboards/before/`, on access_events and access_explanations)
//! and as this branch has them (on access_by_patient and access_explanations_by_patient), and the
//! baseline: the raw ClickHouse range read of the same patient's events in access_events (the
//! columns the trace reads, through the same client library). Every pair of before and after
//! answers is compared row by row; a difference stops the run. Prints one markdown table row per
//! block and measure.

use clickhouse::Row;
use serde::Deserialize;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

#[derive(Debug, Row, Deserialize, PartialEq)]
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

#[derive(Debug, Row, Deserialize, PartialEq)]
#[allow(dead_code)]
struct ExplanationRow {
    event_id: String,
    explained: u8,
    kind: String,
    binding: String,
    relationship_id: String,
    source_channel: String,
    source_message_id: String,
    valid_from: u32,
    valid_to: Option<u32>,
}

#[derive(Debug, Row, Deserialize, PartialEq)]
#[allow(dead_code)]
struct TimelineRow {
    event_id: String,
    patient_id: String,
    occurred_at: u32,
    occurred_ms: u16,
    action: String,
    user_org: String,
    purpose_of_use: Vec<String>,
    emergency_access: u8,
    source_node: String,
}

#[derive(Debug, Row, Deserialize, PartialEq)]
#[allow(dead_code)]
struct PayloadRow {
    event_id: String,
    patient_id: String,
    occurred_at: u32,
    occurred_ms: u16,
    action: String,
    outcome: u8,
    user_id: String,
    user_name: String,
    user_org: String,
    user_roles: Vec<String>,
    purpose_of_use: Vec<String>,
    emergency_reason: String,
    data_entities: Vec<String>,
    client_address: String,
    source_node: String,
    channel: String,
    received_at: u32,
    received_ms: u16,
    raw_format: String,
    raw_payload: String,
}

const RAW: &str = "SELECT event_id, patient_id, occurred_at, occurred_ms, received_at, received_ms, action, outcome, user_id, user_name, user_org, user_roles, purpose_of_use, emergency_access, emergency_reason, source_node, channel, payload_sha256 FROM access_events WHERE patient_id = ? ORDER BY occurred_at, occurred_ms, event_id";

/// The trace's and the case page's per-patient queries: main's, then this branch's.
struct Queries {
    trace_accesses: &'static str,
    trace_explanations: &'static str,
    case_timeline: &'static str,
    case_explanations: &'static str,
    case_payloads: &'static str,
    /// Whether the payload query takes the findings' time bounds (this branch).
    payloads_bounded: bool,
    case_peer_daily: &'static str,
    /// Whether the peer chart's query reads access_days_by_org (binds the organisation first).
    peers_by_org: bool,
}

const BEFORE: Queries = Queries {
    trace_accesses: include_str!("../../bench/dashboards/before/trace_patient_accesses.sql"),
    trace_explanations: include_str!(
        "../../bench/dashboards/before/trace_patient_explanations.sql"
    ),
    case_timeline: include_str!(
        "../../bench/dashboards/before/case_evidence_user_patient_accesses.sql"
    ),
    case_explanations: include_str!("../../bench/dashboards/before/case_evidence_explanations.sql"),
    case_payloads: include_str!("../../bench/dashboards/before/case_evidence_payloads.sql"),
    payloads_bounded: false,
    case_peer_daily: include_str!("../../bench/dashboards/before/case_evidence_peer_daily.sql"),
    peers_by_org: false,
};

const AFTER: Queries = Queries {
    trace_accesses: include_str!("../src/trace/patient_accesses.sql"),
    trace_explanations: include_str!("../src/trace/patient_explanations.sql"),
    case_timeline: include_str!("../src/case_evidence/user_patient_accesses.sql"),
    case_explanations: include_str!("../src/case_evidence/explanations.sql"),
    case_payloads: include_str!("../src/case_evidence/payloads.sql"),
    payloads_bounded: true,
    case_peer_daily: include_str!("../src/case_evidence/peer_daily.sql"),
    peers_by_org: true,
};

type TraceAnswer = (Vec<RawRow>, Vec<ExplanationRow>);
#[derive(Debug, Row, Deserialize, PartialEq)]
#[allow(dead_code)]
struct PeerDay {
    day: u16,
    total: u64,
}

type CaseAnswer = (
    Vec<TimelineRow>,
    Vec<ExplanationRow>,
    Vec<PayloadRow>,
    Vec<PeerDay>,
);

/// The trace's two ClickHouse queries, concurrently as the dashboards run them (one identity,
/// all time, all organisations).
async fn trace_queries(
    clickhouse: &clickhouse::Client,
    queries: &Queries,
    patient: &str,
) -> TraceAnswer {
    let identities = vec![patient.to_owned()];
    let accesses = clickhouse
        .query(queries.trace_accesses)
        .bind(&identities)
        .bind(0_u32)
        .bind(u32::MAX)
        .bind(1_u8)
        .bind(vec![String::new()])
        .bind(100_000_u64)
        .fetch_all::<RawRow>();
    let explanations = clickhouse
        .query(queries.trace_explanations)
        .bind(&identities)
        .bind(0_u32)
        .bind(u32::MAX)
        .fetch_all::<ExplanationRow>();
    let (accesses, mut explanations) =
        tokio::try_join!(accesses, explanations).expect("trace queries");
    explanations.sort_by(|a, b| a.event_id.cmp(&b.event_id));
    (accesses, explanations)
}

/// One benchmark case: its reference, patient, user, flagged event and the event's time.
struct BenchCase {
    reference: String,
    patient: String,
    user: String,
    event_id: String,
    occurred_at: u32,
    /// The user's organisation and first role in the staff directory (the peer group).
    org: String,
    role: String,
}

/// The case page's three per-patient ClickHouse queries and its peer-group chart, concurrently
/// as the page runs them.
async fn case_queries(
    clickhouse: &clickhouse::Client,
    queries: &Queries,
    case: &BenchCase,
) -> CaseAnswer {
    let patients = vec![case.patient.clone()];
    let (from, to) = (case.occurred_at - 30 * 86_400, case.occurred_at + 86_400);
    let timeline = clickhouse
        .query(queries.case_timeline)
        .bind(&patients)
        .bind(&case.user)
        .bind(from)
        .bind(to)
        .fetch_all::<TimelineRow>();
    let explanations = clickhouse
        .query(queries.case_explanations)
        .bind(&patients)
        .bind(&case.user)
        .bind(from)
        .bind(to)
        .fetch_all::<ExplanationRow>();
    let mut payloads = clickhouse
        .query(queries.case_payloads)
        .bind(&patients)
        .bind(vec![case.event_id.clone()]);
    if queries.payloads_bounded {
        payloads = payloads
            .bind(case.occurred_at - 86_400)
            .bind(case.occurred_at + 86_400);
    }
    // The chart's whole days, as the page binds them.
    let peers_to = (case.occurred_at + 86_400) / 86_400 * 86_400;
    let peers_from = peers_to - 60 * 86_400;
    let peers = clickhouse.query(queries.case_peer_daily);
    let peers = if queries.peers_by_org {
        peers
            .bind(&case.org)
            .bind(peers_from)
            .bind(peers_to)
            .bind(&case.org)
            .bind(&case.role)
            .bind(&case.user)
    } else {
        peers
            .bind(&case.org)
            .bind(&case.role)
            .bind(&case.user)
            .bind(peers_from)
            .bind(peers_to)
    };
    let (timeline, mut explanations, payloads, peers) = tokio::try_join!(
        timeline,
        explanations,
        payloads.fetch_all::<PayloadRow>(),
        peers.fetch_all::<PeerDay>()
    )
    .expect("case queries");
    explanations.sort_by(|a, b| a.event_id.cmp(&b.event_id));
    (timeline, explanations, payloads, peers)
}

type Timed<'a> = Pin<Box<dyn Future<Output = Duration> + 'a>>;

/// Runs the measures in an order rotated by `index`, so none always goes first (or last).
async fn rotated<'a>(index: usize, measures: Vec<Timed<'a>>) -> Vec<Duration> {
    let count = measures.len();
    let mut slots: Vec<Option<Timed<'a>>> = measures.into_iter().map(Some).collect();
    let mut times = vec![Duration::ZERO; count];
    for step in 0..count {
        let which = (index + step) % count;
        if let Some(measure) = slots[which].take() {
            times[which] = measure.await;
        }
    }
    times
}

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
    let clickhouse = clickhouse::Client::default()
        .with_url(argument("--clickhouse-url"))
        .with_database(argument("--database"))
        .with_validation(false);
    let mut cases: Vec<BenchCase> = std::fs::read_to_string(argument("--cases"))
        .expect("cases")
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                fields.len(),
                5,
                "cases.tsv: reference, patient, user, event, epoch"
            );
            BenchCase {
                reference: fields[0].to_owned(),
                patient: fields[1].to_owned(),
                user: fields[2].to_owned(),
                event_id: fields[3].to_owned(),
                occurred_at: fields[4].parse().expect("epoch seconds"),
                org: String::new(),
                role: String::new(),
            }
        })
        .collect();
    for case in &mut cases {
        (case.org, case.role) = clickhouse
            .query("SELECT org_code, role_codes[1] FROM staff WHERE user_id = ? ORDER BY version DESC LIMIT 1")
            .bind(&case.user)
            .fetch_one::<(String, String)>()
            .await
            .expect("the case's user in the staff directory");
    }
    let blocks: usize = argument("--blocks").parse().expect("blocks");
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
    let mut compared = (0_usize, 0_usize);
    for block in 0..=blocks {
        let label = if block == 0 {
            "warm-up".to_owned()
        } else {
            block.to_string()
        };
        let mut trace_times: [Vec<Duration>; 4] = Default::default();
        for (index, patient) in patients.iter().enumerate() {
            let before = std::cell::RefCell::new(None);
            let after = std::cell::RefCell::new(None);
            let app: Timed = Box::pin(async {
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
            });
            let main_queries: Timed = Box::pin(async {
                let started = Instant::now();
                let answer = trace_queries(&clickhouse, &BEFORE, patient).await;
                let elapsed = started.elapsed();
                *before.borrow_mut() = Some(answer);
                elapsed
            });
            let branch_queries: Timed = Box::pin(async {
                let started = Instant::now();
                let answer = trace_queries(&clickhouse, &AFTER, patient).await;
                let elapsed = started.elapsed();
                *after.borrow_mut() = Some(answer);
                elapsed
            });
            let raw: Timed = Box::pin(async {
                let started = Instant::now();
                let rows: Vec<RawRow> = clickhouse
                    .query(RAW)
                    .bind(patient)
                    .fetch_all()
                    .await
                    .expect("raw read");
                rows_total += rows.len();
                started.elapsed()
            });
            let times = rotated(index, vec![app, main_queries, branch_queries, raw]).await;
            assert!(
                before.borrow().as_ref() == after.borrow().as_ref(),
                "patient {patient}: the trace queries of main and of this branch differ"
            );
            compared.0 += 1;
            for (slot, time) in trace_times.iter_mut().zip(times) {
                slot.push(time);
            }
        }
        let mut case_times: [Vec<Duration>; 4] = Default::default();
        for (index, case) in cases.iter().enumerate() {
            let before = std::cell::RefCell::new(None);
            let after = std::cell::RefCell::new(None);
            let page: Timed = Box::pin(async {
                let started = Instant::now();
                let response = http
                    .get(format!("{base}/cases/{}", case.reference))
                    .header("cookie", &cookie)
                    .header("accept", "text/html")
                    .send()
                    .await
                    .expect("case page");
                assert_eq!(response.status(), 200, "case {}", case.reference);
                response.bytes().await.expect("body");
                started.elapsed()
            });
            let main_queries: Timed = Box::pin(async {
                let started = Instant::now();
                let answer = case_queries(&clickhouse, &BEFORE, case).await;
                let elapsed = started.elapsed();
                *before.borrow_mut() = Some(answer);
                elapsed
            });
            let branch_queries: Timed = Box::pin(async {
                let started = Instant::now();
                let answer = case_queries(&clickhouse, &AFTER, case).await;
                let elapsed = started.elapsed();
                *after.borrow_mut() = Some(answer);
                elapsed
            });
            let raw: Timed = Box::pin(async {
                let started = Instant::now();
                let _: Vec<RawRow> = clickhouse
                    .query(RAW)
                    .bind(&case.patient)
                    .fetch_all()
                    .await
                    .expect("raw read");
                started.elapsed()
            });
            let times = rotated(index, vec![page, main_queries, branch_queries, raw]).await;
            let (before, after) = (before.into_inner(), after.into_inner());
            assert!(
                before == after,
                "case {}: the case queries of main and of this branch differ",
                case.reference
            );
            assert_eq!(
                after.map(|answer| answer.2.len()),
                Some(1),
                "case {}: the flagged event's payload",
                case.reference
            );
            compared.1 += 1;
            for (slot, time) in case_times.iter_mut().zip(times) {
                slot.push(time);
            }
        }
        let [app, main_trace, branch_trace, raw] = trace_times;
        let (trace_p99, line) = summary("patient trace API (JSON), this branch", &label, app);
        println!("{line}");
        let (main_trace_p99, line) =
            summary("trace's ClickHouse queries, main", &label, main_trace);
        println!("{line}");
        let (branch_trace_p99, line) = summary(
            "trace's ClickHouse queries, this branch",
            &label,
            branch_trace,
        );
        println!("{line}");
        let (raw_p99, line) = summary("raw range read of the patient (access_events)", &label, raw);
        println!("{line}");
        let [page, main_case, branch_case, page_raw] = case_times;
        let (page_p99, line) = summary("case page (HTML), this branch", &label, page);
        println!("{line}");
        let (main_case_p99, line) = summary(
            "case page's ClickHouse queries (per patient + peers), main",
            &label,
            main_case,
        );
        println!("{line}");
        let (branch_case_p99, line) = summary(
            "case page's ClickHouse queries (per patient + peers), this branch",
            &label,
            branch_case,
        );
        println!("{line}");
        let (page_raw_p99, line) =
            summary("raw range read of the case's patient", &label, page_raw);
        println!("{line}");
        println!(
            "| {label} | p99 ratios: trace API ÷ raw {:.2}; trace queries main ÷ branch {:.2}; case page ÷ raw {:.2}; case queries main ÷ branch {:.2} | | | | | |",
            trace_p99 / raw_p99,
            main_trace_p99 / branch_trace_p99,
            page_p99 / page_raw_p99,
            main_case_p99 / branch_case_p99
        );
    }
    println!(
        "\nmean events per traced patient: {:.1}; identical answers of main's and this branch's queries: {} traces, {} cases",
        rows_total as f64 / (patients.len() * (blocks + 1)) as f64,
        compared.0,
        compared.1
    );
}
