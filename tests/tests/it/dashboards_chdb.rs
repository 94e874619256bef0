//! Every ClickHouse query of the dashboards also runs on a current ClickHouse engine (chDB),
//! as the other tests run them on 18.16.

use std::process::Command;

#[test]
fn dashboards_queries_run_on_current_clickhouse() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let python = std::env::var("CAREAUDIT_PYTHON")
        .unwrap_or_else(|_| format!("{root}/.services/venv/bin/python"));
    let output = Command::new(&python)
        .arg(format!("{root}/scripts/chdb_queries.py"))
        .arg(format!("{root}/migrations/clickhouse"))
        .arg(format!("{root}/dashboards/src/clickhouse_queries.json"))
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run {python} ({error}); run `scripts/services up` to create it")
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "chDB check of the dashboards' queries failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("dashboards queries ok"), "{stdout}");
}
