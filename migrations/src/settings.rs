//! Connection settings for both stores, and the one place that turns them into clients.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct StoreSettings {
    pub clickhouse: ClickHouseSettings,
    pub postgres: PostgresSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ClickHouseSettings {
    /// HTTP endpoint, e.g. `http://127.0.0.1:8123`.
    pub url: String,
    pub database: String,
    #[serde(default = "default_clickhouse_user")]
    pub user: String,
    #[serde(default = "empty_secret")]
    pub password: SecretString,
    /// ClickHouse settings sent with every query of every component (`[clickhouse.settings]`,
    /// e.g. `log_queries = "1"` to have `system.query_log` record careaudit's queries, or
    /// `max_execution_time`); a component may add its own on top (the analyzer's query
    /// priorities).
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
}

fn default_clickhouse_user() -> String {
    "default".to_owned()
}

fn empty_secret() -> SecretString {
    SecretString::from(String::new())
}

impl ClickHouseSettings {
    /// A client bound to careaudit's database. Validation is off because ClickHouse 18.16 does
    /// not know `RowBinaryWithNamesAndTypes`; row types are checked by the tests instead.
    pub fn client(&self) -> clickhouse::Client {
        self.server_client().with_database(&self.database)
    }

    /// A client without a default database, for `CREATE DATABASE`.
    pub fn server_client(&self) -> clickhouse::Client {
        self.settings.iter().fold(
            clickhouse::Client::default()
                .with_url(&self.url)
                .with_user(&self.user)
                .with_password(self.password.expose_secret())
                .with_validation(false),
            |client, (name, value)| client.with_setting(name, value),
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct PostgresSettings {
    /// A libpq-style URL, e.g. `postgres://careaudit@127.0.0.1:5432/careaudit`.
    pub url: SecretString,
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
}

fn default_max_connections() -> u32 {
    10
}

impl PostgresSettings {
    pub fn connect_options(&self) -> Result<PgConnectOptions, sqlx::Error> {
        PgConnectOptions::from_str(self.url.expose_secret())
    }

    pub async fn connect(&self) -> Result<PgPool, sqlx::Error> {
        PgPoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(self.connect_options()?)
            .await
    }
}
