//! Layered configuration: built-in defaults (which point at the throwaway services of
//! `scripts/services`), then an optional TOML file, then environment variables named
//! `CAREAUDIT__SECTION__KEY` (e.g. `CAREAUDIT__POSTGRES__URL`). Secrets are `secrecy` types and
//! never printed.

use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub log_format: LogFormat,
    pub clickhouse: migrations::ClickHouseSettings,
    pub postgres: migrations::PostgresSettings,
    pub collector: collector::CollectorSettings,
    pub analyzer: analyzer::AnalyzerSettings,
    pub alerts: alerts::AlertsSettings,
    pub dashboards: dashboards::DashboardSettings,
}

impl Settings {
    pub fn stores(&self) -> migrations::StoreSettings {
        migrations::StoreSettings {
            clickhouse: self.clickhouse.clone(),
            postgres: self.postgres.clone(),
        }
    }
}

const DEFAULTS: &str = r#"
log_format = "pretty"

[clickhouse]
url = "http://127.0.0.1:18123"
database = "careaudit"

[postgres]
url = "postgres://postgres@127.0.0.1:15433/careaudit"

[collector]
listen = "127.0.0.1:4080"
wal_dir = "careaudit-data/wal"

[collector.syslog]
tcp_listen = "127.0.0.1:5140"
udp_listen = "127.0.0.1:5140"

[collector.mllp]
listen = "127.0.0.1:2575"

[analyzer]
schedule = "*/5 * * * * *"

[alerts]
base_url = "http://127.0.0.1:4081"

[alerts.smtp]
host = "127.0.0.1"
port = 12525
tls = "none"
from = "careaudit <careaudit@careaudit.localhost>"

[dashboards]
listen = "127.0.0.1:4081"
"#;

/// Defaults, then `file`, then the process environment.
pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
    build(file, true)
}

fn build(file: Option<&Path>, with_environment: bool) -> anyhow::Result<Settings> {
    let mut builder = config::Config::builder()
        .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
    if let Some(path) = file {
        builder = builder.add_source(config::File::from(path).required(true));
    }
    if with_environment {
        builder = builder.add_source(
            config::Environment::with_prefix("CAREAUDIT")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        );
    }
    let settings = builder.build()?.try_deserialize()?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_alone_are_complete() {
        let settings = build(None, false).expect("defaults deserialize");
        assert_eq!(settings.collector.listen.port(), 4080);
        assert_eq!(settings.dashboards.listen.port(), 4081);
        assert_eq!(settings.alerts.smtp.port, 12525);
        assert!(cron_parses(&settings.analyzer.schedule));
    }

    #[test]
    fn the_example_file_is_complete_and_valid() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../careaudit.example.toml"
        ));
        let settings = build(Some(path), false).expect("example settings deserialize");
        assert_eq!(settings.log_format, LogFormat::Json);
        assert_eq!(settings.alerts.smtp.tls, alerts::SmtpTls::Starttls);
        assert_eq!(settings.analyzer.grouping_window_seconds, 259200.0);
        let rules = settings
            .analyzer
            .configured_rules()
            .expect("the example's rules are valid");
        assert!(rules.iter().any(|rule| rule.rule.id == "volume_spike"));
    }

    fn cron_parses(expression: &str) -> bool {
        expression.split_whitespace().count() == 6
    }
}
