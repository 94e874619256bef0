//! The near-real-time path: with careaudit's loops running (analyzer and alerts in the
//! background, as in production) and a steady stream of ordinary views arriving, an emergency
//! access opens a case on its own, without waiting for the scheduled rules.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tests::{patient_read, wait_for, Background, TestApp};

#[tokio::test]
async fn an_emergency_access_opens_a_case_while_ordinary_views_keep_arriving() {
    let mut app = TestApp::spawn("analyzer_nrt", Background::NONE).await;
    // The scheduled rules run hourly here, so only the fast path can open the case in time.
    app.analyzer_settings.schedule = "0 0 * * * *".to_owned();
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::spawn(analyzer::run(
        app.analyzer_settings.clone(),
        app.stores.clone(),
        shutdown.clone().cancelled_owned(),
    ));
    let app = Arc::new(app);

    let loading = Arc::new(AtomicBool::new(true));
    let load = {
        let (app, loading) = (app.clone(), loading.clone());
        tokio::spawn(async move {
            let mut sent = 0_u32;
            while loading.load(Ordering::Relaxed) && sent < 2_000 {
                let event = patient_read(
                    &format!("load-{sent}"),
                    "555000000300",
                    "RDM01",
                    "9990001259",
                    "TREAT",
                    None,
                );
                assert_eq!(app.post_json(&event).await.0, 201);
                sent += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            sent
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let event = patient_read(
        "nrt-btg",
        "555000000301",
        "RDM01",
        "9990001267",
        "BTG",
        Some("unconscious patient in resus"),
    );
    assert_eq!(app.post_json(&event).await.0, 201);
    let reference: String = wait_for(
        "a case for the emergency access",
        Duration::from_secs(30),
        || async {
            sqlx::query_scalar(
                "SELECT c.reference FROM cases c JOIN findings f ON f.case_id = c.id
             WHERE f.event_id = 'nrt-btg' AND f.rule_id = 'emergency_access'",
            )
            .fetch_optional(&app.pool)
            .await
            .ok()
            .flatten()
        },
    )
    .await;
    loading.store(false, Ordering::Relaxed);
    let sent = load.await.expect("load task");
    shutdown.cancel();
    assert!(reference.starts_with("CA-"));
    assert!(sent > 50, "the load kept arriving ({sent} views)");
    let explanation: String =
        sqlx::query_scalar("SELECT explanation FROM findings WHERE event_id = 'nrt-btg'")
            .fetch_one(&app.pool)
            .await
            .expect("finding");
    assert!(
        explanation.contains("unconscious patient in resus"),
        "{explanation}"
    );
}
