//! `careaudit load staff|registrations|vip FILE`: sends a CSV extract to the collector's
//! `POST /load/{kind}` (so it goes through the collector's write-ahead log like every feed) and
//! prints what was accepted and which lines were refused, with their reasons.
//! `careaudit load organisations|officers|user-contacts FILE` loads alerts' directory straight
//! into PostgreSQL (as the operator, an administrator of every organisation), with the same
//! report.

use crate::settings::Settings;
use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// staff, registrations or vip (care context, through the collector); organisations,
    /// officers or user-contacts (the alerts directory, into PostgreSQL)
    pub kind: String,
    /// The CSV file (UTF-8, header line first).
    pub file: PathBuf,
    /// The collector to send to (default: this configuration's collector).
    #[arg(long)]
    pub collector_url: Option<String>,
}

pub async fn run(settings: &Settings, args: LoadArgs) -> anyhow::Result<()> {
    if let Some(kind) = alerts::DirectoryKind::parse(&args.kind) {
        return load_directory(settings, kind, &args).await;
    }
    let url = args
        .collector_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", settings.collector.listen));
    let body = tokio::fs::read(&args.file)
        .await
        .with_context(|| format!("reading {}", args.file.display()))?;
    let file_name = args
        .file
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let response = reqwest::Client::new()
        .post(format!("{}/load/{}", url.trim_end_matches('/'), args.kind))
        .header("content-type", "text/csv")
        .header("x-careaudit-filename", file_name)
        .body(body)
        .send()
        .await
        .with_context(|| format!("sending to {url}"))?;
    let status = response.status();
    let report: serde_json::Value = response
        .json()
        .await
        .context("reading the collector's answer")?;
    if let Some(error) = report["error"].as_str() {
        anyhow::bail!("{} refused: {error}", args.file.display());
    }
    println!(
        "{}: {} rows accepted, {} refused",
        args.file.display(),
        report["accepted"].as_u64().unwrap_or(0),
        report["rejected"].as_u64().unwrap_or(0)
    );
    for error in report["errors"].as_array().into_iter().flatten() {
        println!(
            "  line {}: {}",
            error["line"],
            error["error"].as_str().unwrap_or_default()
        );
    }
    if let Some(ignored) = report["ignored_columns"]
        .as_array()
        .filter(|columns| !columns.is_empty())
    {
        println!(
            "  ignored columns: {}",
            ignored
                .iter()
                .filter_map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !status.is_success() {
        anyhow::bail!("no row of {} was accepted", args.file.display());
    }
    Ok(())
}

async fn load_directory(
    settings: &Settings,
    kind: alerts::DirectoryKind,
    args: &LoadArgs,
) -> anyhow::Result<()> {
    let text = tokio::fs::read_to_string(&args.file)
        .await
        .with_context(|| format!("reading {} (UTF-8 CSV)", args.file.display()))?;
    let pool = settings
        .postgres
        .connect()
        .await
        .context("connecting to PostgreSQL")?;
    let actor = alerts::Actor::system("careaudit load");
    let report = alerts::load_directory_csv(&pool, &actor, kind, &text)
        .await
        .with_context(|| format!("loading {}", args.file.display()))?;
    println!(
        "{}: {} rows accepted, {} refused",
        args.file.display(),
        report.accepted,
        report.rejected
    );
    for error in &report.errors {
        println!("  line {}: {}", error.line, error.error);
    }
    if !report.ignored_columns.is_empty() {
        println!("  ignored columns: {}", report.ignored_columns.join(", "));
    }
    if report.accepted == 0 && report.rejected > 0 {
        anyhow::bail!("no row of {} was accepted", args.file.display());
    }
    Ok(())
}
