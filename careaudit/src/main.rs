//! `careaudit`: load settings, start tracing, run the chosen command.

use anyhow::Context;
use careaudit::{cancel_on_signal, demo, run_components, settings, telemetry, Components};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(
    name = "careaudit",
    version,
    about = "Access audit and anomaly detection for shared care records"
)]
struct Cli {
    /// A TOML settings file (environment variables CAREAUDIT__SECTION__KEY override it).
    #[arg(long, global = true, env = "CAREAUDIT_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations to ClickHouse and PostgreSQL, then run every component.
    Serve,
    /// Apply pending migrations to ClickHouse and PostgreSQL (idempotent, safe concurrently).
    Migrate,
    /// Run the collector alone.
    Collector,
    /// Run the analyzer alone.
    Analyzer,
    /// Run alerts (case routing and notifications) alone.
    Alerts,
    /// Run the dashboards alone.
    Dashboards,
    /// Load a small synthetic day through the collector and show it in the dashboards.
    Demo(demo::DemoArgs),
    /// Check that the stored audit trail is complete and unaltered (the ingest hash chain).
    Verify,
    /// Load a CSV extract (staff directory, GP registrations, VIP flags) through the collector.
    Load(careaudit::load::LoadArgs),
    /// Provision careaudit's own accounts (dashboards sign-in).
    #[command(subcommand)]
    Account(careaudit::account::AccountCommand),
    /// Generate a simulated region's feeds and ground truth (and optionally send them).
    Simulate(careaudit::simulate::SimulateArgs),
    /// Score careaudit's cases, findings and explanations against a simulation's truth file.
    Evaluate(careaudit::evaluate::EvaluateArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = settings::load(cli.config.as_deref()).context("loading settings")?;
    telemetry::init(settings.log_format);
    let shutdown = CancellationToken::new();
    cancel_on_signal(shutdown.clone());
    let only = |pick: fn(&mut Components)| {
        let mut components = Components::NONE;
        pick(&mut components);
        components
    };
    match cli.command {
        Command::Migrate => {
            migrations::migrate_all(&settings.stores()).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Serve => {
            migrations::migrate_all(&settings.stores()).await?;
            run_components(&settings, Components::ALL, shutdown).await
        }
        Command::Collector => {
            run_components(&settings, only(|c| c.collector = true), shutdown).await
        }
        Command::Analyzer => run_components(&settings, only(|c| c.analyzer = true), shutdown).await,
        Command::Alerts => run_components(&settings, only(|c| c.alerts = true), shutdown).await,
        Command::Dashboards => {
            run_components(&settings, only(|c| c.dashboards = true), shutdown).await
        }
        Command::Demo(args) => demo::run(&settings, args, shutdown).await,
        Command::Load(args) => careaudit::load::run(&settings, args).await,
        Command::Account(command) => careaudit::account::run(&settings, command).await,
        Command::Simulate(args) => careaudit::simulate::run(&settings, args).await,
        Command::Evaluate(args) => careaudit::evaluate::run(&settings, args).await,
        Command::Verify => {
            let report = collector::verify(&settings.clickhouse.client()).await?;
            println!("{}", careaudit::describe_verification(&report));
            if !report.is_intact() {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}
