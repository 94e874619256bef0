//! Durable progress of the analyzer, per job (`explain`, `rule:<id>`, `care_context`): the
//! ClickHouse stored time (epoch milliseconds) below which every event has been evaluated.
//! Stored in PostgreSQL and advanced in the same transaction as the findings of the window, so
//! a crash re-runs the window instead of skipping it.

use sqlx::{PgExecutor, Postgres, Transaction};

pub async fn load_watermark<'e>(
    executor: impl PgExecutor<'e>,
    job: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT watermark_ms FROM analyzer_watermarks WHERE job = $1")
        .bind(job)
        .fetch_optional(executor)
        .await
}

pub(crate) async fn store_watermark(
    transaction: &mut Transaction<'_, Postgres>,
    job: &str,
    watermark_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO analyzer_watermarks (job, watermark_ms) VALUES ($1, $2)
         ON CONFLICT (job) DO UPDATE SET watermark_ms = GREATEST(analyzer_watermarks.watermark_ms, EXCLUDED.watermark_ms),
                                         updated_at = now()",
    )
    .bind(job)
    .bind(watermark_ms)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Takes the transaction-scoped advisory lock of `name`: one holder at a time across every
/// analyzer instance; a second waits for the first to commit.
pub(crate) async fn lock(
    transaction: &mut Transaction<'_, Postgres>,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(name)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}
