//! Delivering notifications to real servers: email over STARTTLS and implicit TLS with
//! authentication (the deployment's relay and an organisation's own, its password named in
//! the settings' secrets), retries with exponential backoff driven by a controllable clock
//! when the SMTP server refuses (4xx) or a webhook endpoint fails, permanent failures (5xx,
//! bad signature) ending in a failed state operators see and can retry, and webhooks signed
//! with HMAC-SHA256 and verified by the receiver.

use alerts::{Actor, Alerts, ManualClock, SmtpTls};
use chrono::{Duration, SubsecRound, Utc};
use serde_json::json;
use std::sync::Arc;
use tests::{Background, SinkOptions, SmtpSink, TestApp, TestPki, WebhookReceiver};

async fn outbox_row(
    app: &TestApp,
    channel: &str,
) -> (String, i32, Option<String>, chrono::DateTime<Utc>) {
    sqlx::query_as(
        "SELECT state, attempts, last_error, next_attempt_at FROM notification_outbox WHERE channel = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(channel)
    .fetch_one(&app.pool)
    .await
    .expect("outbox row")
}

#[tokio::test]
async fn email_goes_over_starttls_and_implicit_tls_with_authentication() {
    let app = TestApp::spawn("email_tls_auth", Background::NONE).await;
    let pki = TestPki::create();
    let tls = |mode| Some((mode, pki.file("server.pem"), pki.file("server.key")));
    let relay = SmtpSink::start_with(
        SinkOptions {
            tls: tls(SmtpTls::Starttls),
            auth: Some(("careaudit".to_owned(), "relay-password".to_owned())),
        },
        app.privacy_guard(),
    )
    .await;
    let own_relay = SmtpSink::start_with(
        SinkOptions {
            tls: tls(SmtpTls::Implicit),
            auth: Some(("rdm02-relay".to_owned(), "rdm02-password".to_owned())),
        },
        app.privacy_guard(),
    )
    .await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    app.add_organisation("RDM02", "po@rdm02.example").await;
    app.add_organisation("RDM03", "po@rdm03.example").await;
    let admin = Actor::system("test");
    let ca = std::fs::read_to_string(pki.file("ca.pem")).expect("ca");
    let own = alerts::OrganisationSmtp {
        host: "127.0.0.1".to_owned(),
        port: i32::from(own_relay.port),
        tls: "implicit".to_owned(),
        username: Some("rdm02-relay".to_owned()),
        password_secret: Some("SMTP".to_owned()),
        from_address: "Northgate IG <ig@rdm02.example>".to_owned(),
        ca_certificate_pem: Some(ca),
    };
    alerts::put_organisation_smtp(&app.pool, &admin, "RDM02", &own)
        .await
        .expect("RDM02 relay");
    let unconfigured = alerts::OrganisationSmtp {
        password_secret: Some("nobody_configured_this".to_owned()),
        ..own.clone()
    };
    alerts::put_organisation_smtp(&app.pool, &admin, "RDM03", &unconfigured)
        .await
        .expect("RDM03 relay");

    let mut settings = app.alerts_settings.clone();
    settings.smtp = relay.settings();
    settings.organisation_secrets.insert(
        "RDM02".to_owned(),
        [("smtp".to_owned(), "rdm02-password".to_owned().into())].into(),
    );
    let alerts = Alerts::connect(settings, &app.stores, Arc::new(alerts::SystemClock))
        .await
        .expect("alerts");
    app.open_case("tls-1", "555000000401", "RDM01", "9990001461")
        .await;
    app.open_case("tls-2", "555000000402", "RDM02", "9990001488")
        .await;
    app.open_case("tls-3", "555000000403", "RDM03", "9990001496")
        .await;
    let report = alerts.run_once().await;
    let errors: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT org_code, last_error FROM notification_outbox ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .expect("errors");
    assert_eq!(
        (report.sent, report.retried),
        (2, 1),
        "{report:?} {errors:?}"
    );

    let via_relay = relay.messages();
    assert_eq!(via_relay.len(), 1);
    assert!(
        via_relay[0].contains("To: po@rdm01.example"),
        "{}",
        via_relay[0]
    );
    let via_own = own_relay.messages();
    assert_eq!(via_own.len(), 1);
    assert!(
        via_own[0].contains("To: po@rdm02.example")
            && via_own[0].contains("From: \"Northgate IG\" <ig@rdm02.example>"),
        "{}",
        via_own[0]
    );
    // RDM03 names a secret nobody configured: a clear, retried error, not a send in the clear.
    let (state, attempts, error, _) = outbox_row(&app, "email").await;
    assert_eq!((state.as_str(), attempts), ("pending", 1));
    assert!(
        error.unwrap_or_default().contains("nobody_configured_this"),
        "the error names the missing secret"
    );

    // A client with the wrong password is refused by the server.
    let mut wrong = relay.settings();
    wrong.password = Some("not-the-password".to_owned().into());
    let mailer = alerts::Mailer::new(&wrong).expect("mailer");
    let refused = mailer
        .send(
            "po@rdm01.example",
            "test",
            "test",
            "careaudit-wrong-password",
        )
        .await;
    assert!(
        refused.is_err_and(|error| error.is_permanent()),
        "535 authentication failed is permanent"
    );
}

#[tokio::test]
async fn refused_email_is_retried_with_backoff_and_permanent_failures_wait_for_an_operator() {
    let app = TestApp::spawn("email_backoff", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    app.account("admin", "administrator", None).await;
    let start = Utc::now().trunc_subsecs(3);
    let clock = ManualClock::new(start);
    let alerts = Alerts::connect(
        app.alerts_settings.clone(),
        &app.stores,
        Arc::new(clock.clone()),
    )
    .await
    .expect("alerts");
    app.smtp.refuse("451 4.3.0 Greylisted, try again later", 2);
    app.open_case("retry-1", "555000000404", "RDM01", "9990001518")
        .await;

    // Attempt 1 at t0 is refused; the next waits 5 s, the one after 10 s more.
    let steps = [
        (0, (0, 1), 1),
        (4, (0, 0), 1),
        (5, (0, 1), 2),
        (14, (0, 0), 2),
        (15, (1, 0), 3),
    ];
    for (seconds, (sent, retried), attempts) in steps {
        clock.set(start + Duration::seconds(seconds));
        let report = alerts.run_once().await;
        assert_eq!(
            (report.sent, report.retried),
            (sent, retried),
            "at t0+{seconds}s"
        );
        let (_, row_attempts, _, next) = outbox_row(&app, "email").await;
        assert_eq!(row_attempts, attempts, "at t0+{seconds}s");
        if seconds == 5 {
            assert_eq!(next, start + Duration::seconds(15), "5 s then 10 s");
        }
    }
    let (state, _, error, _) = outbox_row(&app, "email").await;
    assert_eq!((state.as_str(), error), ("sent", None));
    assert_eq!(app.smtp.messages().len(), 1);

    // 550: permanent, failed at once, shown to operators, sent after they retry it.
    app.smtp.refuse("550 5.1.1 Mailbox unavailable", -1);
    app.open_case("retry-2", "555000000405", "RDM01", "9990001526")
        .await;
    clock.set(start + Duration::seconds(20));
    assert_eq!(alerts.run_once().await.failed, 1);
    let (status, failed) = app
        .api_get("/api/v1/notifications?state=failed", "admin")
        .await;
    assert_eq!(status, 200);
    assert_eq!(failed.as_array().map(Vec::len), Some(1), "{failed}");
    assert!(
        failed[0]["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("550"),
        "{failed}"
    );
    app.smtp.accept();
    let id = failed[0]["id"].as_i64().expect("id");
    let (status, _) = app
        .api_post(
            &format!("/api/v1/notifications/{id}/retry"),
            "admin",
            json!({}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(alerts.run_once().await.sent, 1);
    assert_eq!(app.smtp.messages().len(), 2);
}

#[tokio::test]
async fn webhooks_are_signed_retried_with_backoff_and_deduplicated() {
    let app = TestApp::spawn("webhook_delivery", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    app.account("admin", "administrator", None).await;
    let receiver = WebhookReceiver::start("whsec-rdm01", app.privacy_guard()).await;
    let impostor = WebhookReceiver::start("a-different-secret", app.privacy_guard()).await;
    for (url, secret_name) in [(&receiver.url, "hook"), (&impostor.url, "wrong_hook")] {
        let (status, answer) = app
            .api_post("/api/v1/webhooks", "admin", json!({"org_code": "RDM01", "url": url, "secret_name": secret_name, "kinds": ["case_opened"]}))
            .await;
        assert_eq!(status, 200, "{answer}");
    }
    let mut settings = app.alerts_settings.clone();
    settings.organisation_secrets.insert(
        "RDM01".to_owned(),
        [
            ("hook".to_owned(), "whsec-rdm01".to_owned().into()),
            (
                "wrong_hook".to_owned(),
                "not-what-the-receiver-expects".to_owned().into(),
            ),
        ]
        .into(),
    );
    let start = Utc::now().trunc_subsecs(3);
    let clock = ManualClock::new(start);
    let alerts = Alerts::connect(settings, &app.stores, Arc::new(clock.clone()))
        .await
        .expect("alerts");
    receiver.fail_next(2);
    let reference = app
        .open_case("hook-1", "555000000406", "RDM01", "9990001534")
        .await;

    for seconds in [0, 5, 15] {
        clock.set(start + Duration::seconds(seconds));
        alerts.run_once().await;
    }
    let received = receiver.received();
    assert_eq!(received.len(), 3, "two 503s, then accepted");
    assert!(received.iter().all(|r| r.signature_valid));
    assert!(received
        .iter()
        .all(|r| r.delivery_id == received[0].delivery_id && r.event == "case.opened"));
    assert_eq!(
        received
            .iter()
            .map(|r| r.attempt.as_str())
            .collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
    assert_eq!(receiver.processed().len(), 1);
    let payload: serde_json::Value = serde_json::from_str(&received[2].body).expect("json");
    assert_eq!(payload["delivery_id"], received[0].delivery_id.as_str());
    assert_eq!(payload["notice"]["case_reference"], reference.as_str());
    assert_eq!(
        payload["notice"]["link"],
        format!("{}/cases/{reference}", tests::TEST_BASE_URL)
    );

    // The endpoint whose secret does not match refuses every request; after max_attempts (3)
    // the notification is failed, visible to operators with the reason.
    let rejected = impostor.received();
    assert_eq!(rejected.len(), 3);
    assert!(rejected.iter().all(|r| !r.signature_valid));
    let (status, failed) = app
        .api_get("/api/v1/notifications?state=failed", "admin")
        .await;
    assert_eq!(status, 200);
    assert_eq!(failed[0]["channel"], "webhook", "{failed}");
    assert!(
        failed[0]["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("401"),
        "{failed}"
    );
}
