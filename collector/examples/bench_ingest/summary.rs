//! `summary`: the results file (one JSON object per run, written by `bench/ingest/run.sh`) as
//! the Markdown tables of BENCHMARKS.md: median and range per system over the measured blocks
//! (block 0 is the warm-up and is left out), and per-block ratios between systems measured
//! side by side.

use crate::Args;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The throughput systems, in the order of the tables.
const SYSTEMS: [(&str, &str); 6] = [
    (
        "careaudit-http",
        "careaudit, HTTP NDJSON (4 connections, 10k events per request)",
    ),
    (
        "raw-fhir",
        "ceiling: clickhouse crate insert of the HTTP run's rows",
    ),
    (
        "careaudit-syslog",
        "careaudit, syslog TCP (4 loggen connections)",
    ),
    (
        "raw-syslog",
        "ceiling: clickhouse crate insert of the syslog run's rows",
    ),
    (
        "sng-b-diskbuf",
        "syslog-ng 3.38, reliable disk buffer (kit sng-b-diskbuf.conf)",
    ),
    (
        "sng-a-memory",
        "syslog-ng 3.38, memory queue (kit sng-a-memory.conf)",
    ),
];

/// `numerator / denominator` per block.
const RATIOS: [(&str, &str, &str); 5] = [
    (
        "careaudit-http",
        "raw-fhir",
        "careaudit HTTP ÷ its raw-insert ceiling",
    ),
    (
        "careaudit-syslog",
        "raw-syslog",
        "careaudit syslog ÷ its raw-insert ceiling",
    ),
    (
        "careaudit-syslog",
        "sng-b-diskbuf",
        "careaudit syslog ÷ syslog-ng disk buffer (equal-ish durability)",
    ),
    (
        "careaudit-syslog",
        "sng-a-memory",
        "careaudit syslog ÷ syslog-ng memory queue",
    ),
    (
        "careaudit-http",
        "sng-b-diskbuf",
        "careaudit HTTP ÷ syslog-ng disk buffer",
    ),
];

fn median_range(values: &[f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    let median = if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    };
    Some((median, sorted[0], sorted[sorted.len() - 1]))
}

fn thousands(value: f64) -> String {
    let rounded = value.round() as i64;
    let digits = rounded.abs().to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if rounded < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// `median (min–max)` of a field over runs, formatted by `format`, or `–` without values.
fn cell(
    runs: &[&Value],
    field: impl Fn(&Value) -> Option<f64>,
    format: fn(f64) -> String,
) -> String {
    let values: Vec<f64> = runs.iter().filter_map(|run| field(run)).collect();
    match median_range(&values) {
        None => "–".to_owned(),
        Some((median, min, max)) if values.len() == 1 || min == max => format(median),
        Some((median, min, max)) => format!("{} ({}–{})", format(median), format(min), format(max)),
    }
}

fn number(run: &Value, key: &str) -> Option<f64> {
    run.get(key).and_then(Value::as_f64)
}

fn per_event_us(run: &Value, key: &str) -> Option<f64> {
    Some(number(run, key)? * 1e6 / number(run, "events")?)
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(args.text("results")?)?;
    let runs: Vec<Value> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let measured = |label: &str| -> Vec<&Value> {
        runs.iter()
            .filter(|run| run["label"] == label && run["block"].as_u64().unwrap_or(0) > 0)
            .collect()
    };
    let mut out = String::new();
    let blocks = runs
        .iter()
        .filter_map(|run| run["block"].as_u64())
        .max()
        .unwrap_or(0);
    writeln!(out, "### End-to-end throughput ({blocks} measured blocks after one warm-up block; median (min–max))\n")?;
    writeln!(out, "| system | runs | events | events/s, first byte → all queryable | wall s | acknowledged events/s | ingest CPU µs/event | ClickHouse CPU µs/event | machine busy % | peak RSS MiB |")?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|")?;
    for (label, title) in SYSTEMS {
        let rs = measured(label);
        if rs.is_empty() {
            continue;
        }
        let events = rs
            .first()
            .and_then(|run| number(run, "events"))
            .unwrap_or_default();
        let exact = rs.iter().all(|run| number(run, "rows") == Some(events));
        writeln!(
            out,
            "| {title} | {} | {}{} | {} | {} | {} | {} | {} | {} | {} |",
            rs.len(),
            thousands(events),
            if exact { "" } else { " (row count MISMATCH)" },
            cell(&rs, |r| number(r, "events_per_s"), thousands),
            cell(&rs, |r| number(r, "queryable_s"), |v| format!("{v:.2}")),
            cell(&rs, |r| number(r, "acked_events_per_s"), thousands),
            cell(
                &rs,
                |r| per_event_us(r, "process_cpu_s"),
                |v| format!("{v:.1}")
            ),
            cell(&rs, |r| per_event_us(r, "ch_cpu_s"), |v| format!("{v:.1}")),
            cell(&rs, |r| number(r, "busy_pct"), |v| format!("{v:.0}")),
            cell(
                &rs,
                |r| Some(number(r, "rss_hwm_kb")? / 1024.0),
                |v| format!("{v:.0}")
            ),
        )?;
    }

    writeln!(
        out,
        "\n### Ratios within each block (same session, adjacent runs)\n"
    )?;
    writeln!(out, "| ratio | per block | median (min–max) |")?;
    writeln!(out, "|---|---|---|")?;
    for (numerator, denominator, title) in RATIOS {
        let mut by_block: BTreeMap<u64, (Option<f64>, Option<f64>)> = BTreeMap::new();
        for run in runs
            .iter()
            .filter(|run| run["block"].as_u64().unwrap_or(0) > 0)
        {
            let block = run["block"].as_u64().unwrap_or(0);
            let entry = by_block.entry(block).or_default();
            if run["label"] == numerator {
                entry.0 = number(run, "events_per_s");
            } else if run["label"] == denominator {
                entry.1 = number(run, "events_per_s");
            }
        }
        let ratios: Vec<(u64, f64)> = by_block
            .into_iter()
            .filter_map(|(block, pair)| match pair {
                (Some(n), Some(d)) if d > 0.0 => Some((block, n / d)),
                _ => None,
            })
            .collect();
        if ratios.is_empty() {
            continue;
        }
        let values: Vec<f64> = ratios.iter().map(|(_, ratio)| *ratio).collect();
        let listed: Vec<String> = ratios
            .iter()
            .map(|(block, ratio)| format!("{block}: {ratio:.2}"))
            .collect();
        let (median, min, max) = median_range(&values).unwrap_or_default();
        writeln!(
            out,
            "| {title} | {} | {median:.2} ({min:.2}–{max:.2}) |",
            listed.join(", ")
        )?;
    }

    let storage: Vec<&Value> = runs
        .iter()
        .filter(|run| {
            run["block"].as_u64().unwrap_or(0) > 0 && run.get("bytes_per_event").is_some()
        })
        .collect();
    if !storage.is_empty() {
        writeln!(out, "\n### Stored bytes per event (system.parts bytes_on_disk ÷ events; median (min–max))\n")?;
        writeln!(
            out,
            "| system | tables | right after the run | after OPTIMIZE … FINAL |"
        )?;
        writeln!(out, "|---|---|---|---|")?;
        for (label, title) in SYSTEMS {
            let rs: Vec<&Value> = storage
                .iter()
                .copied()
                .filter(|run| run["label"] == label)
                .collect();
            if rs.is_empty() {
                continue;
            }
            let tables = rs[0]["storage_tables"].as_str().unwrap_or_default();
            writeln!(
                out,
                "| {title} | {tables} | {} | {} |",
                cell(&rs, |r| number(r, "bytes_per_event"), |v| format!("{v:.0}")),
                cell(
                    &rs,
                    |r| number(r, "bytes_per_event_optimized"),
                    |v| format!("{v:.0}")
                ),
            )?;
        }
    }

    let latency = measured("latency");
    if !latency.is_empty() {
        writeln!(out, "\n### Latency at a steady rate (single AuditEvents over HTTP; median (min–max) over runs)\n")?;
        writeln!(out, "| measure | runs | events | achieved rate /s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | peak RSS MiB |")?;
        writeln!(out, "|---|---|---|---|---|---|---|---|---|---|")?;
        for (key, title) in [
            ("queryable", "sent → queryable in ClickHouse"),
            ("acked", "sent → 201 (fsynced)"),
        ] {
            let pick = |field: &'static str| move |r: &Value| r[key][field].as_f64();
            writeln!(
                out,
                "| {title} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                latency.len(),
                cell(&latency, |r| number(r, "events"), thousands),
                cell(&latency, |r| number(r, "achieved_rate"), thousands),
                cell(&latency, pick("p50_ms"), |v| format!("{v:.0}")),
                cell(&latency, pick("p90_ms"), |v| format!("{v:.0}")),
                cell(&latency, pick("p99_ms"), |v| format!("{v:.0}")),
                cell(&latency, pick("p999_ms"), |v| format!("{v:.0}")),
                cell(&latency, pick("max_ms"), |v| format!("{v:.0}")),
                cell(
                    &latency,
                    |r| Some(number(r, "rss_hwm_kb")? / 1024.0),
                    |v| format!("{v:.0}")
                ),
            )?;
        }
    }

    let build: Vec<(&str, Vec<&Value>)> = ["raw-fhir", "raw-syslog"]
        .into_iter()
        .map(|label| (label, measured(label)))
        .collect();
    if build.iter().any(|(_, rs)| !rs.is_empty()) {
        writeln!(out, "\n### Mapping cost (building the rows for the ceiling runs: parse, map, zstd, SHA-256; one thread, untimed part of the raw runs)\n")?;
        writeln!(out, "| input | µs per event, median (min–max) |")?;
        writeln!(out, "|---|---|")?;
        for (label, rs) in build {
            writeln!(
                out,
                "| {label} | {} |",
                cell(
                    &rs,
                    |r| number(r, "build_us_per_event"),
                    |v| format!("{v:.1}")
                )
            )?;
        }
    }
    print!("{out}");
    Ok(())
}
