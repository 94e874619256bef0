//! A worker whose lease ran out while it was still sending: another worker claimed the entry
//! again and delivered it, and the first worker's late outcome (here a failure) must not undo
//! that; only the current lease holder's mark counts (the claim token).

use alerts::{Actor, DeliveryLimits};
use chrono::{Duration, Utc};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tests::{Background, TestApp};

/// A webhook receiver whose first request answers 503 after `delay`; later ones 204 at once.
async fn slow_first_receiver(delay: std::time::Duration) -> (String, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    tokio::time::sleep(delay).await;
                    axum::http::StatusCode::SERVICE_UNAVAILABLE
                } else {
                    axum::http::StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, requests)
}

#[tokio::test]
async fn a_worker_that_lost_its_lease_cannot_overwrite_the_new_holders_outcome() {
    let app = TestApp::spawn("alerts_outbox_lease", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    let (url, requests) = slow_first_receiver(std::time::Duration::from_secs(3)).await;
    let endpoint = alerts::WebhookEndpoint {
        id: 0,
        org_code: Some("RDM01".to_owned()),
        url,
        secret_name: "hook".to_owned(),
        kinds: vec!["case_opened".to_owned()],
        active: true,
    };
    alerts::put_webhook_endpoint(&app.pool, &Actor::system("test"), &endpoint)
        .await
        .expect("webhook");
    let mut settings = app.alerts_settings.clone();
    settings.organisation_secrets.insert(
        "RDM01".to_owned(),
        [("hook".to_owned(), "whsec-lease".to_owned().into())].into(),
    );
    let channels = settings.channels().expect("channels");
    let now = Utc::now();
    app.open_case("lease-1", "555000000951", "RDM01", "9990001666")
        .await;
    alerts::queue_case_notifications(&app.pool, &app.clickhouse, &settings, now)
        .await
        .expect("queue");
    // The email goes out first; the webhook entry is what the two workers compete for.
    let limits = DeliveryLimits {
        max_attempts: 5,
        lease_seconds: 1.0,
    };
    let first = {
        let (pool, channels) = (app.pool.clone(), channels);
        tokio::spawn(async move { alerts::deliver_due(&pool, &channels, now, limits).await })
    };
    tests::wait_for(
        "the first worker's request",
        std::time::Duration::from_secs(10),
        || {
            let requests = requests.clone();
            async move { (requests.load(Ordering::SeqCst) == 1).then_some(()) }
        },
    )
    .await;
    // Two seconds later by the second worker's clock the first one's lease has run out.
    let second_channels = settings.channels().expect("channels");
    let later = now + Duration::seconds(2);
    let second = alerts::deliver_due(&app.pool, &second_channels, later, limits)
        .await
        .expect("second worker");
    assert_eq!((second.sent, second.lease_lost), (1, 0), "{second:?}");
    let first = first.await.expect("join").expect("first worker");
    assert_eq!(
        (first.retried, first.failed, first.lease_lost),
        (0, 0, 1),
        "the late 503 is not recorded: {first:?}"
    );
    let (state, attempts, last_error): (String, i32, Option<String>) = sqlx::query_as(
        "SELECT state, attempts, last_error FROM notification_outbox WHERE channel = 'webhook'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("outbox row");
    assert_eq!((state.as_str(), attempts, last_error), ("sent", 2, None));
}
