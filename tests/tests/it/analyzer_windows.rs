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
    let mut app = TestApp::spawn("analyzer_rerun", Background::NONE).await;
    // Only the rule under test: the others have their own tests.
    for rule in analyzer::rules::REGISTRY
        .iter()
        .filter(|r| r.id != "emergency_access")
    {
        let off = analyzer::RuleSettings {
            enabled: Some(false),
            ..analyzer::RuleSettings::default()
        };
        app.analyzer_settings.rules.insert(rule.id.to_owned(), off);
    }
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
        (2, 2, 1),
        "two break-glass views of one patient within the hour are one finding"
    );
    assert_eq!(
        counts(&app).await,
        (2, 1),
        "one user's views of two patients close in time are one case"
    );

    // The same window again (watermark reset), and the next one: nothing new.
    sqlx::query("DELETE FROM analyzer_watermarks")
        .execute(&app.pool)
        .await
        .expect("reset");
    let again = analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("rerun");
    assert_eq!((again.candidates, again.new_findings), (2, 0));
    assert_eq!(counts(&app).await, (2, 1));
    let watermark = analyzer::load_watermark(&app.pool, "rule:emergency_access")
        .await
        .expect("watermark");
    let settled = later.as_millis() - app.analyzer_settings.settle_ms;
    assert_eq!(watermark, Some(settled / 1000 * 1000));

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
    app.wait_until_shipped().await;
    // The first windows ended in the future (`later`); the next one must end after them.
    tokio::time::sleep(std::time::Duration::from_millis(
        u64::try_from(later.as_millis() - Timestamp::now().as_millis()).unwrap_or(0) + 1_300,
    ))
    .await;
    let next = Timestamp::now();
    let third = analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, next)
        .await
        .expect("next window");
    assert_eq!(third.new_findings, 1, "{third:?}");
    assert_eq!(counts(&app).await, (3, 2));
}
