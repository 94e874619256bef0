//! Logging setup: `RUST_LOG`-style filtering (default `info`), pretty or JSON lines.
//! Patient identifiers and payloads are only ever logged at DEBUG, so the default level
//! keeps them out of logs.

use crate::settings::LogFormat;
use tracing_subscriber::EnvFilter;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ignored_if_already_set = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
