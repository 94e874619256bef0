//! The fallback recipient (the central IG team) and organisations without an active privacy
//! officer: a webhook feeds a system, not a person, so such an organisation's new and shared
//! cases, breach reminders and daily digest reach the fallback as well as its webhooks.

use alerts::{Actor, Alerts, ManualClock, OrganisationRecord};
use chrono::{Duration, Utc};
use std::str::FromStr;
use std::sync::Arc;
use tests::{Background, TestApp, WebhookReceiver};

const FALLBACK: &str = "ig.central@region.example";

fn subjects_to(app: &TestApp, address: &str) -> Vec<String> {
    app.smtp
        .messages()
        .iter()
        .filter(|m| m.contains(&format!("To: {address}")))
        .map(|m| m.replace("\r\n ", " "))
        .filter_map(|m| {
            m.lines()
                .find(|l| l.starts_with("Subject: "))
                .map(|l| l["Subject: ".len()..].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn an_organisation_without_officers_reaches_the_fallback_beside_its_webhook() {
    let app = TestApp::spawn("alerts_fallback_webhook", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    let admin = Actor::system("test");
    let without_officers = OrganisationRecord {
        ods_code: "RDM05".to_owned(),
        name: "Organisation without officers".to_owned(),
        contact_email: None,
        escalation_minutes: None,
        user_warnings: false,
        user_warning_holdout_percent: 0,
    };
    alerts::put_organisation(&app.pool, &admin, &without_officers)
        .await
        .expect("organisation");
    let receiver = WebhookReceiver::start("whsec-rdm05", app.privacy_guard()).await;
    let endpoint = alerts::WebhookEndpoint {
        id: 0,
        org_code: Some("RDM05".to_owned()),
        url: receiver.url.clone(),
        secret_name: "hook".to_owned(),
        kinds: Vec::new(),
        active: true,
    };
    alerts::put_webhook_endpoint(&app.pool, &admin, &endpoint)
        .await
        .expect("webhook");
    let mut settings = app.alerts_settings.clone();
    settings.fallback_recipient = Some(FALLBACK.to_owned());
    // Escalations (which always go to the fallback) are not what this test is about.
    settings.escalation_minutes = 100_000;
    settings.organisation_secrets.insert(
        "RDM05".to_owned(),
        [("hook".to_owned(), "whsec-rdm05".to_owned().into())].into(),
    );
    let start = Utc::now();
    let clock = ManualClock::new(start);
    let alerts = Alerts::connect(settings, &app.stores, Arc::new(clock.clone()))
        .await
        .expect("alerts");
    alerts.run_once().await; // The digest schedules start counting here.

    // A new case: the webhook and the central IG team.
    let reference = app
        .open_case("fb-1", "555000000601", "RDM05", "9990001585")
        .await;
    alerts.run_once().await;
    let events: Vec<String> = receiver.received().into_iter().map(|r| r.event).collect();
    assert_eq!(events, ["case.opened"]);
    let to_fallback = subjects_to(&app, FALLBACK);
    assert_eq!(to_fallback.len(), 1, "{to_fallback:?}");
    assert!(to_fallback[0].contains(&reference), "{to_fallback:?}");

    // A case of RDM01 shared with RDM05: RDM01's officer and, for RDM05, the central IG team.
    let shared = app
        .open_case("fb-2", "555000000602", "RDM01", "9990001593")
        .await;
    alerts.run_once().await;
    let version = app.case_version(&shared).await;
    alerts::share_case(&app.pool, &admin, &shared, version, "RDM05", "their record")
        .await
        .expect("share");
    alerts.run_once().await;
    let to_fallback = subjects_to(&app, FALLBACK);
    assert_eq!(to_fallback.len(), 2, "{to_fallback:?}");
    assert!(to_fallback[1].contains(&shared), "{to_fallback:?}");

    // The 72-hour clock of RDM05's case: its reminders go to the central IG team.
    let version = app.case_version(&reference).await;
    let facts = alerts::BreachFacts::default();
    alerts::mark_potential_breach(&app.pool, &admin, &reference, version, Some(start), &facts)
        .await
        .expect("mark");
    alerts.run_once().await;
    let to_fallback = subjects_to(&app, FALLBACK);
    assert_eq!(to_fallback.len(), 3, "{to_fallback:?}");
    assert_eq!(
        to_fallback[2],
        format!("[careaudit] Breach clock started for case {reference} (RDM05)")
    );

    // The next daily digest (07:00 London time): RDM05's (its own case and the one shared with
    // it) goes to the central IG team.
    let daily = cron::Schedule::from_str(&app.alerts_settings.daily_digest).expect("cron");
    let fire = (1..=26)
        .find_map(|hours| {
            alerts::latest_fire(&daily, start, start + Duration::hours(hours)).expect("local time")
        })
        .expect("a daily fire within a day");
    clock.set(fire + Duration::seconds(1));
    alerts.run_once().await;
    let digests: Vec<String> = subjects_to(&app, FALLBACK)
        .into_iter()
        .filter(|s| s.contains("digest"))
        .collect();
    assert_eq!(digests.len(), 1, "{digests:?}");
    assert!(
        digests[0].starts_with("[careaudit] Daily digest for RDM05: 2 new, 2 open"),
        "{digests:?}"
    );
    let sent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notification_outbox WHERE recipient = $1 AND state = 'sent' AND kind <> 'breach_reminder'",
    )
    .bind(FALLBACK)
    .fetch_one(&app.pool)
    .await
    .expect("outbox");
    assert_eq!(sent, 3, "opened, shared, digest");
}

#[tokio::test]
async fn without_a_fallback_an_organisation_with_only_a_webhook_is_marked_on_the_timeline() {
    let app = TestApp::spawn("alerts_fallback_none", Background::NONE).await;
    let admin = Actor::system("test");
    let without_officers = OrganisationRecord {
        ods_code: "RDM05".to_owned(),
        name: "Organisation without officers".to_owned(),
        contact_email: None,
        escalation_minutes: None,
        user_warnings: false,
        user_warning_holdout_percent: 0,
    };
    alerts::put_organisation(&app.pool, &admin, &without_officers)
        .await
        .expect("organisation");
    let receiver = WebhookReceiver::start("whsec-rdm05", app.privacy_guard()).await;
    let endpoint = alerts::WebhookEndpoint {
        id: 0,
        org_code: Some("RDM05".to_owned()),
        url: receiver.url.clone(),
        secret_name: "hook".to_owned(),
        kinds: Vec::new(),
        active: true,
    };
    alerts::put_webhook_endpoint(&app.pool, &admin, &endpoint)
        .await
        .expect("webhook");
    let mut settings = app.alerts_settings.clone();
    settings.organisation_secrets.insert(
        "RDM05".to_owned(),
        [("hook".to_owned(), "whsec-rdm05".to_owned().into())].into(),
    );
    let alerts = Alerts::connect(
        settings,
        &app.stores,
        Arc::new(ManualClock::new(Utc::now())),
    )
    .await
    .expect("alerts");
    let reference = app
        .open_case("fb-3", "555000000603", "RDM05", "9990001607")
        .await;
    alerts.run_once().await;
    assert_eq!(receiver.received().len(), 1);
    assert!(app.smtp.messages().is_empty());
    let detail: serde_json::Value = sqlx::query_scalar(
        "SELECT t.detail FROM case_timeline t JOIN cases c ON c.id = t.case_id
         WHERE c.reference = $1 AND t.action = 'notification_queued'",
    )
    .bind(&reference)
    .fetch_one(&app.pool)
    .await
    .expect("timeline");
    assert_eq!(detail["webhooks"], 1);
    assert_eq!(detail["without_officers"], true);
    assert_eq!(detail["fallback"], false);
}
