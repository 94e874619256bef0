//! Exactly once across a crash between sending and marking sent. `careaudit alerts` runs as a
//! child process with the test-only failpoint `CAREAUDIT_FAILPOINT=alerts-hang-after-send:<channel>`,
//! which stops it right after the receiver accepted a notification and before the outbox row
//! is marked sent; the test then kills it with SIGKILL. The restarted process sends the entry
//! again after the lease, with the same Message-ID / delivery id: the receivers see a
//! recognisable repeat, a deduplicating receiver processes each notification once, and every
//! outbox row ends sent.

use secrecy::ExposeSecret;
use std::time::Duration;
use tests::{wait_for, AlertsProcess, Background, TestApp, WebhookReceiver};

const HOOK_SECRET: &str = "whsec-crash-test";

fn environment(app: &TestApp, failpoint: Option<&str>) -> Vec<(String, String)> {
    let mut pairs = vec![
        (
            "CAREAUDIT__CLICKHOUSE__URL",
            app.stores.clickhouse.url.clone(),
        ),
        (
            "CAREAUDIT__CLICKHOUSE__DATABASE",
            app.stores.clickhouse.database.clone(),
        ),
        (
            "CAREAUDIT__POSTGRES__URL",
            app.stores.postgres.url.expose_secret().to_owned(),
        ),
        (
            "CAREAUDIT__ALERTS__BASE_URL",
            tests::TEST_BASE_URL.to_owned(),
        ),
        ("CAREAUDIT__ALERTS__POLL_INTERVAL_MS", "100".to_owned()),
        ("CAREAUDIT__ALERTS__LEASE_SECONDS", "2".to_owned()),
        ("CAREAUDIT__ALERTS__SMTP__HOST", "127.0.0.1".to_owned()),
        ("CAREAUDIT__ALERTS__SMTP__PORT", app.smtp.port.to_string()),
        ("CAREAUDIT__ALERTS__SMTP__TLS", "none".to_owned()),
        (
            "CAREAUDIT__ALERTS__ORGANISATION_SECRETS__RDM01__CRASH_HOOK",
            HOOK_SECRET.to_owned(),
        ),
        ("RUST_LOG", "warn".to_owned()),
    ];
    if let Some(failpoint) = failpoint {
        pairs.push((alerts::FAILPOINT_VARIABLE, failpoint.to_owned()));
    }
    pairs
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

async fn outbox(app: &TestApp) -> Vec<(String, String, i32)> {
    sqlx::query_as("SELECT channel, state, attempts FROM notification_outbox ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .expect("outbox")
}

#[tokio::test]
async fn a_crash_between_sending_and_marking_sent_is_a_recognisable_repeat() {
    let app = TestApp::spawn("notification_crash", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    let receiver = WebhookReceiver::start(HOOK_SECRET, app.privacy_guard()).await;
    let endpoint = alerts::WebhookEndpoint {
        id: 0,
        org_code: Some("RDM01".to_owned()),
        url: receiver.url.clone(),
        secret_name: "crash_hook".to_owned(),
        kinds: Vec::new(),
        active: true,
    };
    alerts::put_webhook_endpoint(&app.pool, &alerts::Actor::system("test"), &endpoint)
        .await
        .expect("webhook endpoint");
    let reference = app
        .open_case("crash-1", "555000000301", "RDM01", "9990001453")
        .await;

    // 1. The email is accepted by the SMTP server; the process dies before marking it.
    let mut first = AlertsProcess::start(&environment(&app, Some("alerts-hang-after-send:email")));
    wait_for("the first email", Duration::from_secs(30), || async {
        (app.smtp.messages().len() == 1).then_some(())
    })
    .await;
    first.kill_hard().await;
    let states: Vec<String> = outbox(&app)
        .await
        .into_iter()
        .map(|(_, state, _)| state)
        .collect();
    assert_eq!(states, ["pending", "pending"], "nothing was marked sent");

    // 2. After the lease the email goes again (and is marked); the webhook is accepted and the
    //    process dies before marking it.
    let mut second =
        AlertsProcess::start(&environment(&app, Some("alerts-hang-after-send:webhook")));
    wait_for("the first webhook", Duration::from_secs(30), || async {
        (!receiver.received().is_empty()).then_some(())
    })
    .await;
    second.kill_hard().await;

    // 3. A clean run sends the webhook again and marks it.
    let mut third = AlertsProcess::start(&environment(&app, None));
    wait_for("every outbox row sent", Duration::from_secs(30), || async {
        outbox(&app)
            .await
            .iter()
            .all(|(_, state, _)| state == "sent")
            .then_some(())
    })
    .await;
    third.kill_hard().await;

    // The SMTP server got the email twice, with the same Message-ID.
    let message_ids = app.smtp.message_ids();
    assert_eq!(message_ids.len(), 2, "{message_ids:?}");
    assert_eq!(
        message_ids[0], message_ids[1],
        "the repeat carries the same Message-ID"
    );
    let delivery_id: uuid::Uuid =
        sqlx::query_scalar("SELECT delivery_id FROM notification_outbox WHERE channel = 'email'")
            .fetch_one(&app.pool)
            .await
            .expect("delivery id");
    assert_eq!(
        message_ids[0],
        format!("<careaudit-{delivery_id}@careaudit.localhost>")
    );
    // The webhook receiver got two valid requests for one delivery and processed it once.
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert!(received
        .iter()
        .all(|r| r.signature_valid && r.delivery_id == received[0].delivery_id));
    assert_eq!(receiver.processed(), [received[0].delivery_id.clone()]);
    // Queuing happened once, whatever the crashes.
    let queued = app
        .timeline(&reference)
        .await
        .into_iter()
        .filter(|(_, action)| action == "notification_queued")
        .count();
    assert_eq!(queued, 1);
    assert_eq!(outbox(&app).await.len(), 2);
}
