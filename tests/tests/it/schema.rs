//! The schemas: migrations are idempotent and safe to run concurrently on the real servers, and
//! every ClickHouse migration also runs on a current ClickHouse engine (chDB).

use tests::fresh_stores;

#[tokio::test]
async fn migrations_apply_twice_and_concurrently() {
    let stores = fresh_stores("schema_concurrent").await;
    let (first, second) = tokio::join!(
        migrations::migrate_all(&stores),
        migrations::migrate_all(&stores)
    );
    first.expect("first concurrent run");
    second.expect("second concurrent run");
    migrations::migrate_all(&stores)
        .await
        .expect("third run is a no-op");

    let client = stores.clickhouse.client();
    let ledger: Vec<u32> = client
        .query("SELECT version FROM schema_migrations FINAL ORDER BY version")
        .fetch_all()
        .await
        .expect("ledger");
    let expected: Vec<u32> = migrations::clickhouse_migrations()
        .iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(ledger, expected);
    let tables: Vec<String> = client
        .query("SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name")
        .fetch_all()
        .await
        .expect("tables");
    for table in [
        "access_by_patient",
        "access_by_patient_mv",
        "access_by_user",
        "access_by_user_mv",
        "access_days_by_org",
        "access_days_by_org_mv",
        "access_events",
        "access_explanations",
        "access_explanations_by_patient",
        "access_explanations_by_patient_mv",
        "care_arrivals",
        "care_arrivals_relationships_mv",
        "care_arrivals_links_mv",
        "care_arrivals_staff_mv",
        "care_by_patient",
        "care_by_patient_mv",
        "ingest_batches",
        "patient_flags",
        "patient_links",
        "care_relationships",
        "explanations_by_arrival",
        "explanations_by_arrival_mv",
        "organisations",
        "patient_identifiers",
        "patients",
        "quarantine",
        "staff",
    ] {
        assert!(
            tables.iter().any(|name| name == table),
            "{table} missing from {tables:?}"
        );
    }

    let pool = stores.postgres.connect().await.expect("postgres");
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .expect("sqlx ledger");
    assert_eq!(
        applied as usize,
        migrations::POSTGRES_MIGRATOR.iter().count()
    );
}

#[tokio::test]
async fn an_edited_clickhouse_migration_is_refused() {
    let stores = fresh_stores("schema_checksum").await;
    migrations::migrate_all(&stores).await.expect("migrate");
    stores
        .clickhouse
        .client()
        .query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (1, '0001_access_events.sql', 'edited', now() + 1)")
        .execute()
        .await
        .expect("tamper with the ledger");
    let error = migrations::migrate_all(&stores)
        .await
        .expect_err("checksum mismatch must fail");
    assert!(
        error
            .to_string()
            .contains("was changed after it was applied"),
        "{error}"
    );
}

#[tokio::test]
async fn the_case_timeline_is_append_only() {
    let stores = fresh_stores("schema_timeline").await;
    migrations::migrate_all(&stores).await.expect("migrate");
    let pool = stores.postgres.connect().await.expect("postgres");
    let case_id: i64 = sqlx::query_scalar(
        "INSERT INTO cases (reference, org_code, user_id, patient_id, severity, first_event_at, last_event_at)
         VALUES ('CA-T1', 'X', 'u', 'p', 'low', now(), now()) RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .expect("case");
    sqlx::query("INSERT INTO case_timeline (case_id, actor, action) VALUES ($1, 'test', 'note')")
        .bind(case_id)
        .execute(&pool)
        .await
        .expect("append");
    let update = sqlx::query("UPDATE case_timeline SET action = 'rewritten'")
        .execute(&pool)
        .await;
    assert!(update.is_err_and(|error| error.to_string().contains("append-only")));
    let delete = sqlx::query("DELETE FROM case_timeline")
        .execute(&pool)
        .await;
    assert!(delete.is_err_and(|error| error.to_string().contains("append-only")));
}

/// Every ClickHouse migration, run twice, on the current engine embedded in chDB.
#[test]
fn clickhouse_migrations_run_on_current_clickhouse() {
    let stdout = tests::run_chdb_script("chdb_check.py", &["migrations/clickhouse"]);
    let count = migrations::clickhouse_migrations().len();
    assert!(stdout.contains(&format!("chdb: {count} files")), "{stdout}");
}
