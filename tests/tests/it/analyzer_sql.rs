//! Every ClickHouse query of the analyzer runs on ClickHouse 18.16 against the migrated schema,
//! with the example values its file declares for its placeholders (the same text the chDB
//! check runs on a current ClickHouse).

use tests::{Background, TestApp};

#[tokio::test]
async fn every_analyzer_query_runs_on_this_clickhouse() {
    let app = TestApp::spawn("analyzer_sql", Background::NONE).await;
    let files = analyzer::sql_files();
    assert!(files.len() >= 20, "{} files", files.len());
    for (name, sql) in files {
        let text = analyzer::sql::with_examples(sql)
            .unwrap_or_else(|placeholder| panic!("{name}: no example for {{{placeholder}}}"));
        app.clickhouse
            .query(&text)
            .execute()
            .await
            .unwrap_or_else(|error| panic!("{name} fails on ClickHouse 18.16: {error}"));
    }
}

#[test]
fn analyzer_queries_run_on_current_clickhouse() {
    let stdout = tests::run_chdb_script(
        "chdb_check_queries.py",
        &[
            "migrations/clickhouse",
            "analyzer/src/fragments",
            "analyzer/src/explain",
            "analyzer/src/job",
            "analyzer/src/rules",
        ],
    );
    let count = analyzer::sql_files().len();
    assert!(
        stdout.contains(&format!("chdb queries: {count} files ok")),
        "{stdout}"
    );
}
