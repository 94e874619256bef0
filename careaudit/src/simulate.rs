//! `careaudit simulate`: generate a simulated region's feeds into a directory (seeded,
//! deterministic) and, with `--send`, deliver them to a running careaudit through its
//! standard feeds in the order the directory's manifest gives (care context before the
//! accesses it explains, late care context last).

mod send;

use anyhow::Context;
use chrono::NaiveDate;
use simulator::{IncidentKind, SimConfig, Size};
use std::path::PathBuf;

use crate::settings::Settings;

pub use send::{send_directory, send_files, Files, SendReport, SendTargets};

#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// demo (seconds, hundreds of staff), standard (the evaluation), london (≥ 100k staff, ≥ 2M views).
    #[arg(long, default_value = "demo")]
    pub size: String,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First simulated day (UTC), YYYY-MM-DD.
    #[arg(long, default_value = "2026-11-02")]
    pub start: String,
    /// Days to simulate (default: the size's).
    #[arg(long)]
    pub days: Option<u32>,
    /// Incidents of each type per 1,000 staff per 28 days (default: the size's).
    #[arg(long)]
    pub incidents_per_1000_staff: Option<f64>,
    /// An exact number of incidents of one type, e.g. `--incidents family_member=30` (repeatable).
    #[arg(long = "incidents", value_name = "TYPE=N")]
    pub incident_overrides: Vec<String>,
    /// Share of care episodes whose care context arrives after the accesses (0–1).
    #[arg(long)]
    pub late_share: Option<f64>,
    /// zstd-compress the feed and truth files (`.zst`; `--send` and `evaluate` read them).
    #[arg(long)]
    pub compress: bool,
    /// Directory to write the feeds and the truth file to.
    #[arg(long, default_value = "simulation")]
    pub out: PathBuf,
    /// Also send the feeds to a running careaudit (collector URL, MLLP and syslog addresses
    /// from the settings unless given).
    #[arg(long)]
    pub send: bool,
    #[arg(long)]
    pub collector_url: Option<String>,
    #[arg(long)]
    pub mllp: Option<String>,
    #[arg(long)]
    pub syslog: Option<String>,
}

impl SimulateArgs {
    pub fn config(&self) -> anyhow::Result<SimConfig> {
        let size = Size::parse(&self.size).with_context(|| {
            format!("unknown size {:?}; use demo, standard or london", self.size)
        })?;
        let start = NaiveDate::parse_from_str(&self.start, "%Y-%m-%d")
            .with_context(|| format!("--start {:?} is not YYYY-MM-DD", self.start))?;
        let mut config = SimConfig::preset(size, self.seed, start);
        if let Some(days) = self.days {
            anyhow::ensure!(days >= 1, "--days must be at least 1");
            config.days = days;
        }
        apply_incident_mix(
            &mut config,
            self.incidents_per_1000_staff,
            &self.incident_overrides,
        )?;
        config.compress = self.compress;
        if let Some(share) = self.late_share {
            anyhow::ensure!(
                (0.0..=1.0).contains(&share),
                "--late-share must be between 0 and 1"
            );
            config.late_care_share = share;
        }
        Ok(config)
    }

    pub fn targets(&self, settings: &Settings) -> SendTargets {
        SendTargets {
            collector_url: self
                .collector_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", settings.collector.listen)),
            mllp: self.mllp.clone().or_else(|| {
                settings
                    .collector
                    .mllp
                    .as_ref()
                    .map(|mllp| mllp.listen.to_string())
            }),
            syslog: self.syslog.clone().or_else(|| {
                settings
                    .collector
                    .syslog
                    .as_ref()
                    .and_then(|syslog| syslog.tcp_listen)
                    .map(|address| address.to_string())
            }),
        }
    }
}

/// Applies `--incidents-per-1000-staff` (replacing the size's rate and exact counts) and the
/// repeatable `--incidents TYPE=N` to `config`.
pub fn apply_incident_mix(
    config: &mut SimConfig,
    rate: Option<f64>,
    overrides: &[String],
) -> anyhow::Result<()> {
    if let Some(rate) = rate {
        config.incidents_per_1000_staff = rate;
        config.incident_overrides.clear();
    }
    for item in overrides {
        let (kind, count) = item
            .split_once('=')
            .with_context(|| format!("--incidents {item:?} is not TYPE=N"))?;
        let kind =
            IncidentKind::parse(kind).with_context(|| format!("unknown incident type {kind:?}"))?;
        let count: u32 = count
            .parse()
            .with_context(|| format!("--incidents {item:?}: N is not a number"))?;
        config
            .incident_overrides
            .retain(|(existing, _)| *existing != kind);
        config.incident_overrides.push((kind, count));
    }
    Ok(())
}

pub async fn run(settings: &Settings, args: SimulateArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    let out = args.out.clone();
    let started = std::time::Instant::now();
    let summary = tokio::task::spawn_blocking({
        let config = config.clone();
        let out = out.clone();
        move || simulator::generate(&config, &out)
    })
    .await
    .context("simulation task")??;
    println!(
        "simulated {} staff, {} patients over {} days: {} views, {} audit events ({} FHIR, {} ATNA), {} HL7 messages, {} FHIR care resources, {} incidents, in {:.1} s -> {}",
        summary.staff,
        summary.patients,
        config.days,
        summary.views,
        summary.events,
        summary.fhir_events,
        summary.atna_events,
        summary.hl7_messages,
        summary.fhir_resources,
        summary.incidents.values().sum::<u64>(),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    if args.send {
        let report = send_directory(&out, &args.targets(settings)).await?;
        println!("{report}");
    }
    Ok(())
}
