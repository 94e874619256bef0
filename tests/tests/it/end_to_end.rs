//! The walking skeleton end to end: an emergency access posted to the collector becomes a row
//! in ClickHouse, a case in PostgreSQL and the API, and exactly one email without patient data.

use std::time::Duration;
use tests::{patient_read, wait_for, Background, TestApp, TEST_BASE_URL};

const NHS_NUMBER: &str = "9990001232";
const OFFICER: &str = "privacy.officer@rdm01.nhs.example";

#[tokio::test]
async fn emergency_access_becomes_one_case_and_exactly_one_email() {
    let app = TestApp::spawn("end_to_end", Background::ALL).await;
    app.add_organisation("RDM01", OFFICER).await;
    dashboards::create_account(
        &app.pool,
        "admin",
        "Admin",
        "correct horse",
        &[dashboards::AccountRole {
            role: "administrator",
            org_code: None,
        }],
    )
    .await
    .expect("account");

    let event = patient_read(
        "e2e-1",
        "555000000001",
        "RDM01",
        NHS_NUMBER,
        "ETREAT",
        Some("unconscious in ED"),
    );
    let (status, answer) = app.post_json(&event).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["resourceType"], "OperationOutcome");
    // The sender retries (e.g. it never saw the 201): still one event, one case, one email.
    let (status, _) = app.post_json(&event).await;
    assert_eq!(status, 201);
    let routine = patient_read("e2e-2", "555000000001", "RDM01", NHS_NUMBER, "TREAT", None);
    assert_eq!(app.post_json(&routine).await.0, 201);

    // The row in ClickHouse, in both access paths.
    assert_eq!(app.stored_events("e2e-1").await, 1);
    let by_user: u64 = app
        .clickhouse
        .query("SELECT count() FROM access_by_user FINAL WHERE user_id = ? AND event_id = ?")
        .bind("555000000001")
        .bind("e2e-1")
        .fetch_one()
        .await
        .expect("by-user count");
    assert_eq!(by_user, 1);

    // The case in PostgreSQL.
    let reference: String = wait_for("the case", Duration::from_secs(20), || async {
        sqlx::query_scalar("SELECT reference FROM cases WHERE patient_id = $1")
            .bind(NHS_NUMBER)
            .fetch_optional(&app.pool)
            .await
            .expect("query cases")
    })
    .await;
    let (org, severity, findings): (String, String, i64) = sqlx::query_as(
        "SELECT c.org_code, c.severity, (SELECT count(*) FROM findings f WHERE f.case_id = c.id) FROM cases c WHERE reference = $1",
    )
    .bind(&reference)
    .fetch_one(&app.pool)
    .await
    .expect("case row");
    assert_eq!(
        (org.as_str(), severity.as_str(), findings),
        ("RDM01", "high", 1)
    );

    // The case through the API.
    let listed: serde_json::Value = app
        .http
        .get(format!("{}/api/v1/cases", app.dashboards_url))
        .basic_auth("admin", Some("correct horse"))
        .send()
        .await
        .expect("api reachable")
        .json()
        .await
        .expect("json");
    let cases = listed["cases"].as_array().expect("cases array");
    assert_eq!(cases.len(), 1, "{listed}");
    assert_eq!(cases[0]["reference"], reference.as_str());
    assert_eq!(cases[0]["rules"], "emergency_access");
    assert_eq!(cases[0]["patient_id"], NHS_NUMBER);

    // Exactly one email, to the officer, with the reference and link and no patient data.
    let messages = wait_for("the email", Duration::from_secs(20), || async {
        let messages = app.smtp.messages();
        (!messages.is_empty()).then_some(messages)
    })
    .await;
    // Give the loops time to (wrongly) send again, and re-run the analyzer over everything.
    sqlx::query("DELETE FROM analyzer_watermarks")
        .execute(&app.pool)
        .await
        .expect("reset watermark");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let messages_after = app.smtp.messages();
    assert_eq!(
        messages_after.len(),
        1,
        "exactly one email: {messages_after:#?}"
    );
    assert_eq!(messages, messages_after);
    let email = &messages[0];
    assert!(email.contains(&format!("To: {OFFICER}")), "{email}");
    assert!(email.contains(&reference), "{email}");
    assert!(
        email.contains(&format!("{TEST_BASE_URL}/cases/{reference}")),
        "{email}"
    );
    for forbidden in [NHS_NUMBER, "unconscious", "Test Clinician"] {
        assert!(
            !email.contains(forbidden),
            "email leaks {forbidden:?}: {email}"
        );
    }
    let cases_total: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(cases_total, 1);
    let sent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notification_outbox WHERE state = 'sent'")
            .fetch_one(&app.pool)
            .await
            .expect("count");
    assert_eq!(sent, 1);
}
