//! The ClickHouse migration runner. ClickHouse has no transactions and no locks, so every
//! migration is written to be idempotent (`IF NOT EXISTS`), the ledger is a `ReplacingMergeTree`
//! keyed by version (a concurrent second run collapses into one row), and `careaudit migrate`
//! serialises runs with a PostgreSQL advisory lock on top.

use crate::{ClickHouseSettings, MigrationError};
use clickhouse::Row;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// One `.sql` file of `migrations/clickhouse/`, embedded at compile time.
#[derive(Debug, Clone, Copy)]
pub struct ClickHouseMigration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

impl ClickHouseMigration {
    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.sql.as_bytes()))
    }
}

/// Every ClickHouse migration in order. Adding a migration = adding a file and a line here; a
/// test checks that the two agree.
pub fn clickhouse_migrations() -> &'static [ClickHouseMigration] {
    const MIGRATIONS: &[ClickHouseMigration] = &[
        ClickHouseMigration {
            version: 1,
            name: "0001_access_events.sql",
            sql: include_str!("../clickhouse/0001_access_events.sql"),
        },
        ClickHouseMigration {
            version: 2,
            name: "0002_quarantine.sql",
            sql: include_str!("../clickhouse/0002_quarantine.sql"),
        },
        ClickHouseMigration {
            version: 3,
            name: "0003_care_context.sql",
            sql: include_str!("../clickhouse/0003_care_context.sql"),
        },
        ClickHouseMigration {
            version: 4,
            name: "0004_ingest_batches.sql",
            sql: include_str!("../clickhouse/0004_ingest_batches.sql"),
        },
        ClickHouseMigration {
            version: 5,
            name: "0005_access_explanations.sql",
            sql: include_str!("../clickhouse/0005_access_explanations.sql"),
        },
        ClickHouseMigration {
            version: 10,
            name: "0010_access_arrivals.sql",
            sql: include_str!("../clickhouse/0010_access_arrivals.sql"),
        },
        ClickHouseMigration {
            version: 20,
            name: "0020_access_by_patient.sql",
            sql: include_str!("../clickhouse/0020_access_by_patient.sql"),
        },
        ClickHouseMigration {
            version: 21,
            name: "0021_access_days_by_org.sql",
            sql: include_str!("../clickhouse/0021_access_days_by_org.sql"),
        },
        ClickHouseMigration {
            version: 22,
            name: "0022_care_arrivals.sql",
            sql: include_str!("../clickhouse/0022_care_arrivals.sql"),
        },
        ClickHouseMigration {
            version: 23,
            name: "0023_care_by_patient.sql",
            sql: include_str!("../clickhouse/0023_care_by_patient.sql"),
        },
        ClickHouseMigration {
            version: 24,
            name: "0024_explanations_by_arrival.sql",
            sql: include_str!("../clickhouse/0024_explanations_by_arrival.sql"),
        },
        ClickHouseMigration {
            version: 25,
            name: "0025_bindings_by_arrival.sql",
            sql: include_str!("../clickhouse/0025_bindings_by_arrival.sql"),
        },
    ];
    MIGRATIONS
}

const LEDGER_DDL: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version";

#[derive(Debug, Row, Serialize, Deserialize)]
struct LedgerRow {
    version: u32,
    name: String,
    checksum: String,
}

/// Splits a migration file into statements: a statement ends with a `;` at the end of a line,
/// and lines that start with `--` are comments. (The same rule is used by
/// `scripts/chdb_check.py`, which runs these files on a current ClickHouse engine.)
pub fn split_statements(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        if line.trim_start().starts_with("--") {
            continue;
        }
        let trimmed_end = line.trim_end();
        if let Some(without_semicolon) = trimmed_end.strip_suffix(';') {
            current.push_str(without_semicolon);
            push_statement(&mut statements, &mut current);
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    push_statement(&mut statements, &mut current);
    statements
}

fn push_statement(statements: &mut Vec<String>, current: &mut String) {
    let statement = current.trim();
    if !statement.is_empty() {
        statements.push(statement.to_owned());
    }
    current.clear();
}

/// The table and column of an `ALTER TABLE <table> ADD COLUMN <column> ...` statement (pure).
/// ClickHouse 18.16 has no `ADD COLUMN IF NOT EXISTS`, so the runner skips such a statement when
/// the column is already there: a migration re-run after a stop between its statements.
fn added_column(statement: &str) -> Option<(&str, &str)> {
    let words: Vec<&str> = statement.split_whitespace().take(6).collect();
    match words.as_slice() {
        [alter, table_word, table, add, column_word, column]
            if alter.eq_ignore_ascii_case("ALTER")
                && table_word.eq_ignore_ascii_case("TABLE")
                && add.eq_ignore_ascii_case("ADD")
                && column_word.eq_ignore_ascii_case("COLUMN")
                && !column.eq_ignore_ascii_case("IF") =>
        {
            Some((table.trim_matches('`'), column.trim_matches('`')))
        }
        _ => None,
    }
}

async fn column_exists(
    client: &clickhouse::Client,
    table: &str,
    column: &str,
) -> Result<bool, MigrationError> {
    let found: u64 = client
        .query(
            "SELECT count() FROM system.columns
             WHERE database = currentDatabase() AND table = ? AND name = ?",
        )
        .bind(table)
        .bind(column)
        .fetch_one()
        .await?;
    Ok(found > 0)
}

/// Creates the database if needed and applies the migrations the ledger does not list yet.
pub async fn apply_clickhouse(settings: &ClickHouseSettings) -> Result<(), MigrationError> {
    settings
        .server_client()
        .query(&format!(
            "CREATE DATABASE IF NOT EXISTS `{}`",
            settings.database.replace('`', "")
        ))
        .execute()
        .await?;
    let client = settings.client();
    client.query(LEDGER_DDL).execute().await?;
    let applied: HashMap<u32, LedgerRow> = client
        .query("SELECT version, name, checksum FROM schema_migrations FINAL")
        .fetch_all::<LedgerRow>()
        .await?
        .into_iter()
        .map(|row| (row.version, row))
        .collect();

    for migration in clickhouse_migrations() {
        let checksum = migration.checksum();
        if let Some(row) = applied.get(&migration.version) {
            if row.checksum != checksum {
                return Err(MigrationError::ClickHouseChecksumMismatch {
                    version: migration.version,
                    name: migration.name.to_owned(),
                    applied: row.checksum.clone(),
                    current: checksum,
                });
            }
            continue;
        }
        for statement in split_statements(migration.sql) {
            if let Some((table, column)) = added_column(&statement) {
                if column_exists(&client, table, column).await? {
                    continue;
                }
            }
            client.query(&statement).execute().await?;
        }
        let mut insert = client.insert::<LedgerRow>("schema_migrations").await?;
        insert
            .write(&LedgerRow {
                version: migration.version,
                name: migration.name.to_owned(),
                checksum,
            })
            .await?;
        insert.end().await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied clickhouse migration"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_line_final_semicolons_and_drops_comments() {
        let sql = "-- a comment; with a semicolon\nCREATE TABLE a (x String DEFAULT ';')\nENGINE = Log;\n\n-- tail\nSELECT 1;\n";
        assert_eq!(
            split_statements(sql),
            vec![
                "CREATE TABLE a (x String DEFAULT ';')\nENGINE = Log",
                "SELECT 1"
            ]
        );
    }

    #[test]
    fn an_added_column_is_named_by_its_table_and_column() {
        assert_eq!(
            added_column("ALTER TABLE access_explanations ADD COLUMN stored_at DateTime DEFAULT x"),
            Some(("access_explanations", "stored_at"))
        );
        assert_eq!(
            added_column("alter table `t`\n  add column `c` UInt8"),
            Some(("t", "c"))
        );
        assert_eq!(
            added_column("ALTER TABLE t ADD COLUMN IF NOT EXISTS c UInt8"),
            None
        );
        assert_eq!(added_column("ALTER TABLE t DROP COLUMN c"), None);
        assert_eq!(added_column("CREATE TABLE t (c UInt8) ENGINE = Log"), None);
    }

    #[test]
    fn every_file_is_registered_in_order_with_unique_versions() {
        let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/clickhouse");
        let mut files: Vec<String> = std::fs::read_dir(directory)
            .expect("clickhouse migrations directory")
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let registered: Vec<&str> = clickhouse_migrations().iter().map(|m| m.name).collect();
        assert_eq!(files, registered);
        // Versions only increase; parallel branches take number ranges, so there are gaps.
        for pair in clickhouse_migrations().windows(2) {
            assert!(pair[0].version < pair[1].version, "{}", pair[1].name);
        }
        for migration in clickhouse_migrations() {
            assert!(migration
                .name
                .starts_with(&format!("{:04}_", migration.version)));
            assert!(!split_statements(migration.sql).is_empty());
        }
    }

    /// Every statement creates only what does not exist, or is a backfill into a
    /// `ReplacingMergeTree` the same migration creates (a re-run writes rows that collapse), or
    /// adds a column (the runner skips it when the column exists), or drops a materialized view
    /// the same migration creates again.
    #[test]
    fn every_statement_is_idempotent() {
        for migration in clickhouse_migrations() {
            let statements = split_statements(migration.sql);
            for statement in &statements {
                let head: String = statement
                    .split_whitespace()
                    .take(6)
                    .collect::<Vec<_>>()
                    .join(" ");
                let backfill_into_replacing = head.starts_with("INSERT INTO ")
                    && head.contains(" SELECT")
                    && statements.iter().any(|other| {
                        let target = head.split_whitespace().nth(2).unwrap_or_default();
                        (other.starts_with(&format!("CREATE TABLE IF NOT EXISTS {target}\n"))
                            || other
                                .starts_with(&format!("CREATE TABLE IF NOT EXISTS {target} AS ")))
                            && other.contains("ENGINE = ReplacingMergeTree")
                    });
                // Skipped by the runner when the column exists (`added_column`).
                let added = added_column(statement).is_some();
                let recreated_view = head.starts_with("DROP TABLE IF EXISTS ")
                    && statements.iter().any(|other| {
                        let view = head.split_whitespace().nth(4).unwrap_or_default();
                        other.starts_with(&format!(
                            "CREATE MATERIALIZED VIEW IF NOT EXISTS {view} TO "
                        ))
                    });
                assert!(
                    head.contains("IF NOT EXISTS")
                        || backfill_into_replacing
                        || added
                        || recreated_view,
                    "{}: statement is not idempotent: {head}",
                    migration.name
                );
            }
        }
    }
}
