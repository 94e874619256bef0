//! The scheduled analyzer: windows advance a durable watermark, re-running a window creates no
//! duplicate findings or cases, and late-arriving events are still evaluated.

use domain::Timestamp;
use tests::{patient_read, Background, TestApp};

async fn counts(app: &TestApp) -> (i64, i64) {
    let findings: i64 = sqlx::query_scalar("SELECT count(*) FROM findings")
        .fetch_one(&app.pool)
        .await
        .expect("findings");
    let cases: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
        .fetch_one(&app.pool)
        .await
        .expect("cases");
    (findings, cases)
}

#[tokio::test]
async fn rerunning_a_window_creates_no_duplicates() {
    let app = TestApp::spawn("analyzer_rerun", Background::NONE).await;
    for (id, patient) in [
        ("w-1", "9990001259"),
        ("w-2", "9990001259"),
        ("w-3", "9990001267"),
    ] {
        let event = patient_read(id, "555000000003", "RDM01", patient, "BTG", None);
        assert_eq!(app.post_json(&event).await.0, 201);
    }
    let later = Timestamp::from_millis(Timestamp::now().as_millis() + 5_000);
    app.wait_until_shipped().await;
    let first = analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("first run");
    assert_eq!(
        (first.candidates, first.new_findings, first.opened_cases),
        (3, 3, 2)
    );
    assert_eq!(
        counts(&app).await,
        (3, 2),
        "two views of one patient are one case"
    );

    // The same window again (watermark reset), and the next one: nothing new.
    sqlx::query("DELETE FROM analyzer_watermarks")
        .execute(&app.pool)
        .await
        .expect("reset");
    let again = analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("rerun");
    assert_eq!((again.candidates, again.new_findings), (3, 0));
    assert_eq!(counts(&app).await, (3, 2));
    let watermark = analyzer::load_watermark(&app.pool, analyzer::SCHEDULED_JOB)
        .await
        .expect("watermark");
    assert_eq!(
        watermark,
        Some(later.as_millis() - app.analyzer_settings.settle_ms)
    );

    // An event received after the watermark is evaluated by the next window.
    let late = patient_read(
        "w-late",
        "555000000004",
        "RDM01",
        "9990001275",
        "ETREAT",
        None,
    );
    assert_eq!(app.post_json(&late).await.0, 201);
    let next = Timestamp::from_millis(Timestamp::now().as_millis() + 5_000);
    app.wait_until_shipped().await;
    let third = analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, next)
        .await
        .expect("next window");
    assert_eq!(third.new_findings, 1);
    assert_eq!(counts(&app).await, (4, 3));
}
