//! The evaluation report as a plain-text table for the terminal.

use super::metrics::{Latency, Report};
use std::fmt::Write;

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn seconds(latency: &Latency) -> String {
    match (latency.p50_seconds, latency.p99_seconds) {
        (Some(p50), Some(p99)) => format!(
            "p50 {p50:.1} s, p99 {p99:.1} s over {} cases",
            latency.cases
        ),
        _ => "no cases".to_owned(),
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "views {}  events {}  views evaluated by the analyzer {}",
        report.views, report.events, report.views_evaluated
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<22} {:>9} {:>7} {:>8}",
        "incident type", "incidents", "caught", "recall"
    );
    for (kind, recall) in &report.recall_by_type {
        let _ = writeln!(
            out,
            "{kind:<22} {:>9} {:>7} {:>8}",
            recall.incidents,
            recall.caught,
            percent(recall.recall)
        );
    }
    let _ = writeln!(
        out,
        "{:<22} {:>9} {:>7} {:>8}",
        "overall",
        report.incidents.incidents,
        report.incidents.caught,
        percent(report.incidents.recall)
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "cases {}  true {}  case precision {}  cases per 1,000 views {:.2}",
        report.cases,
        report.true_cases,
        percent(report.case_precision),
        report.cases_per_1000_views
    );
    let _ = writeln!(
        out,
        "legitimate views explained {} ({} of {})",
        percent(report.legitimate_explained.share),
        report.legitimate_explained.explained,
        report.legitimate_explained.views
    );
    for (label, share) in &report.explained_by_label {
        let _ = writeln!(
            out,
            "  labelled {label:<12} explained {} ({} of {})",
            percent(share.share),
            share.explained,
            share.views
        );
    }
    let _ = writeln!(
        out,
        "time from access to case: near-real-time rules {}; scheduled rules {}",
        seconds(&report.time_to_case_near_real_time),
        seconds(&report.time_to_case_scheduled)
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<20} {:>9} {:>7} {:>14} {:>10} {:>15}",
        "rule", "findings", "views", "per 1,000 views", "precision", "explained away"
    );
    for (rule, metrics) in &report.rules {
        let _ = writeln!(
            out,
            "{rule:<20} {:>9} {:>7} {:>14.2} {:>10} {:>15}",
            metrics.findings,
            metrics.views,
            metrics.per_1000_views,
            percent(metrics.precision),
            percent(metrics.explained_away)
        );
    }
    if report.findings_outside_truth > 0 {
        let _ = writeln!(
            out,
            "({} findings are about events this simulation did not produce)",
            report.findings_outside_truth
        );
    }
    out
}
