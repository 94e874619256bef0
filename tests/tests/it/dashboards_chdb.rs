//! Every ClickHouse query of the dashboards also runs on a current ClickHouse engine (chDB),
//! as the other tests run them on 18.16.

#[test]
fn dashboards_queries_run_on_current_clickhouse() {
    let stdout = tests::run_chdb_script(
        "chdb_queries.py",
        &[
            "migrations/clickhouse",
            "dashboards/src/clickhouse_queries.json",
        ],
    );
    assert!(stdout.contains("dashboards queries ok"), "{stdout}");
}
