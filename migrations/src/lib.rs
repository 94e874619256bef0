//! careaudit's two stores: where they are ([`StoreSettings`]), how to connect to them, and how
//! their schemas evolve. ClickHouse holds the audit trail and the care context (append-mostly,
//! scanned by the analyzer); PostgreSQL holds the workflow state (findings, cases, outbox,
//! watermarks) that needs transactions.
//!
//! Both schemas are plain `.sql` files in `clickhouse/` and `postgres/` beside this crate. The
//! ClickHouse ones are written to the subset that Debian's 18.16 and current ClickHouse share
//! (see `shared/design/CLICKHOUSE.md`); the test suite executes them on both.

mod clickhouse_migrations;
mod settings;

pub use clickhouse_migrations::{
    apply_clickhouse, clickhouse_migrations, split_statements, ClickHouseMigration,
};
pub use settings::{ClickHouseSettings, PostgresSettings, StoreSettings};

use sqlx::PgPool;

/// Everything that can go wrong while connecting to or migrating a store.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("clickhouse: {0}")]
    ClickHouse(#[from] ::clickhouse::error::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("postgres migration: {0}")]
    PostgresMigration(#[from] sqlx::migrate::MigrateError),
    #[error(
        "clickhouse migration {version} ({name}) was changed after it was applied \
         (applied checksum {applied}, file checksum {current}); add a new migration instead"
    )]
    ClickHouseChecksumMismatch {
        version: u32,
        name: String,
        applied: String,
        current: String,
    },
}

/// The PostgreSQL migrations, embedded at compile time. `sqlx` keeps its own ledger
/// (`_sqlx_migrations`) and holds an advisory lock while it applies them, so concurrent runs are
/// serialised.
pub static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./postgres");

/// A lock id for `pg_advisory_lock`, shared by every `careaudit migrate`, so that two runs never
/// apply ClickHouse migrations at the same time either (ClickHouse has no locks of its own).
const MIGRATE_LOCK_ID: i64 = 0x6361_7265_6175_6469; // "careaudi"

/// Applies every pending migration to both stores. Idempotent; safe to run concurrently with
/// itself (serialised by a PostgreSQL advisory lock held for the whole run).
pub async fn migrate_all(settings: &StoreSettings) -> Result<(), MigrationError> {
    let pool = settings.postgres.connect().await?;
    let mut lock_connection = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATE_LOCK_ID)
        .execute(&mut *lock_connection)
        .await?;
    let outcome = migrate_locked(settings, &pool).await;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATE_LOCK_ID)
        .execute(&mut *lock_connection)
        .await?;
    outcome
}

async fn migrate_locked(settings: &StoreSettings, pool: &PgPool) -> Result<(), MigrationError> {
    apply_clickhouse(&settings.clickhouse).await?;
    POSTGRES_MIGRATOR.run(pool).await?;
    Ok(())
}
