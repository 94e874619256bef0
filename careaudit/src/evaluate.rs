//! `careaudit evaluate --truth FILE`: scores careaudit against a simulation's ground truth. It
//! reads what careaudit reported through the dashboards' API, signed in as an auditor or
//! administrator (findings with their cases from `/api/v1/export/findings`, the analyzer's
//! access explanations from `/api/v1/export/explanations`), and prints per incident type and
//! overall: recall, case precision, cases per 1,000 views, the share of legitimate views
//! explained, time from access to case, and per rule its firing rate, precision and share
//! explained away (`metrics.rs` defines each). `--json FILE` writes the same as JSON.

mod metrics;
mod table;

pub use metrics::{
    evaluate, event_index, fold_explanations, Explanation, Finding, Report, ViewExplanation,
};

use anyhow::Context;
use futures_util::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
pub use table::render;

use crate::settings::Settings;

#[derive(Debug, Clone, clap::Args)]
pub struct EvaluateArgs {
    /// The simulation's truth file (`truth.ndjson` of `careaudit simulate`).
    #[arg(long)]
    pub truth: PathBuf,
    /// The dashboards (default: this configuration's).
    #[arg(long)]
    pub dashboards_url: Option<String>,
    /// An account with the auditor or administrator role.
    #[arg(long, env = "CAREAUDIT_EVALUATE_USER", default_value = "admin")]
    pub user: String,
    #[arg(long, env = "CAREAUDIT_EVALUATE_PASSWORD", hide_env_values = true)]
    pub password: SecretString,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

pub async fn run(settings: &Settings, args: EvaluateArgs) -> anyhow::Result<()> {
    let url = args
        .dashboards_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", settings.dashboards.listen));
    let report = evaluate_against(&args.truth, &url, &args.user, &args.password).await?;
    println!("{}", table::render(&report));
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Reads the truth file and careaudit's reports, and scores them.
pub async fn evaluate_against(
    truth: &std::path::Path,
    dashboards_url: &str,
    user: &str,
    password: &SecretString,
) -> anyhow::Result<Report> {
    let file =
        simulator::feeds::open(truth).with_context(|| format!("opening {}", truth.display()))?;
    let truth = simulator::truth::read_truth(std::io::BufReader::new(file))?;
    let index = event_index(&truth);
    let base = dashboards_url.trim_end_matches('/');
    let http = reqwest::Client::new();
    let get = |path: &str| {
        http.get(format!("{base}{path}"))
            .basic_auth(user, Some(password.expose_secret()))
    };

    let response = get("/api/v1/export/findings")
        .send()
        .await
        .context("reading findings from the dashboards")?;
    let status = response.status();
    anyhow::ensure!(status.is_success(), "the dashboards answered {status} for the findings export (an auditor or administrator account is needed)");
    let body = response.text().await?;
    let findings: Vec<Finding> = body
        .lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(number, line)| {
            serde_json::from_str(line)
                .with_context(|| format!("findings export line {}", number + 1))
        })
        .collect::<anyhow::Result<_>>()?;

    let response = get("/api/v1/export/explanations")
        .send()
        .await
        .context("reading explanations from the dashboards")?;
    let status = response.status();
    anyhow::ensure!(
        status.is_success(),
        "the dashboards answered {status} for the explanations export"
    );
    let mut flags = vec![ViewExplanation::default(); truth.views.len()];
    let mut stream = response.bytes_stream();
    let mut pending: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        pending.extend_from_slice(&chunk.context("reading the explanations export")?);
        let complete = pending
            .iter()
            .rposition(|byte| *byte == b'\n')
            .map_or(0, |newline| newline + 1);
        for line in pending[..complete]
            .split(|byte| *byte == b'\n')
            .filter(|line| !line.is_empty())
        {
            let explanation: Explanation =
                serde_json::from_slice(line).context("an explanations export line")?;
            fold_explanations(&index, &mut flags, &explanation);
        }
        pending.drain(..complete);
    }
    anyhow::ensure!(
        pending.iter().all(u8::is_ascii_whitespace),
        "the explanations export ended inside a line (truncated)"
    );
    Ok(evaluate(&truth, &index, &findings, &flags))
}
