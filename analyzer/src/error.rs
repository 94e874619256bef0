//! The analyzer's errors at its library boundary.

/// What can go wrong in an analyzer run or in its settings.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzerError {
    #[error("clickhouse: {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("query {file} has no value for its placeholder {name}")]
    MissingBind { file: &'static str, name: String },
    #[error("analyzer settings: {0}")]
    Settings(String),
}
