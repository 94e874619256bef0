//! No notification carries patient data. Every SMTP sink and webhook receiver of the suite
//! scans what it received for the patient identifiers and names its test loaded when it is
//! dropped (tests/src/privacy.rs); this test makes that scan meaningful: it loads a named
//! patient, produces every kind of notification about them (case opened, joint case shared,
//! escalation, breach clock, digest, user warning; by email and webhook), and checks that the
//! scan knows the patient's identifiers and names and catches a message that would leak them.

use alerts::{Actor, Alerts, ManualClock, Officer, OrganisationRecord};
use chrono::{Duration, Utc};
use serde_json::json;
use std::sync::Arc;
use tests::{Background, TestApp, WebhookReceiver};

const NHS_NUMBER: &str = "9990001626";

#[tokio::test]
async fn every_kind_of_notification_is_free_of_patient_data() {
    let app = TestApp::spawn("notification_privacy", Background::NONE).await;
    let patient = json!({
        "resourceType": "Patient",
        "id": "privacy-patient",
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": NHS_NUMBER}],
        "name": [{"family": "Featherstonehaugh", "given": ["Philippa", "Jane"]}],
        "address": [{"line": ["12 Acacia Avenue"], "postalCode": "SE1 7PB"}]
    });
    let response = app
        .http
        .post(format!("{}/fhir/Patient", app.collector_url))
        .header("content-type", "application/fhir+json")
        .json(&patient)
        .send()
        .await
        .expect("collector");
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap_or_default()
    );

    let admin = Actor::system("test");
    for (ods_code, name) in [("RDM01", "Riverside"), ("RDM02", "Northgate")] {
        let record = OrganisationRecord {
            ods_code: ods_code.to_owned(),
            name: name.to_owned(),
            contact_email: Some(format!("ig@{}.example", ods_code.to_lowercase())),
            escalation_minutes: Some(10),
            user_warnings: true,
            user_warning_holdout_percent: 0,
        };
        alerts::put_organisation(&app.pool, &admin, &record)
            .await
            .expect("organisation");
        let officer = Officer {
            digest: "daily".to_owned(),
            ..Officer::new(
                ods_code,
                &format!("po@{}.example", ods_code.to_lowercase()),
                "Officer",
            )
        };
        alerts::put_officer(&app.pool, &admin, &officer)
            .await
            .expect("officer");
    }
    alerts::put_data_source(
        &app.pool,
        &admin,
        &alerts::DataSource {
            source_node: "http:127.0.0.1".to_owned(),
            org_code: "RDM02".to_owned(),
        },
    )
    .await
    .expect("data source");
    alerts::put_user_contact(
        &app.pool,
        &admin,
        &alerts::UserContact {
            user_id: "555000000901".to_owned(),
            email: "the.user@rdm01.example".to_owned(),
        },
    )
    .await
    .expect("user contact");
    let receiver = WebhookReceiver::start("whsec-privacy", app.privacy_guard()).await;
    let endpoint = alerts::WebhookEndpoint {
        id: 0,
        org_code: None,
        url: receiver.url.clone(),
        secret_name: "privacy_hook".to_owned(),
        kinds: Vec::new(),
        active: true,
    };
    alerts::put_webhook_endpoint(&app.pool, &admin, &endpoint)
        .await
        .expect("webhook");
    let mut settings = app.alerts_settings.clone();
    settings
        .secrets
        .insert("privacy_hook".to_owned(), "whsec-privacy".to_owned().into());
    let start = Utc::now() - Duration::minutes(1);
    let clock = ManualClock::new(start);
    let alerts = Alerts::connect(settings, &app.stores, Arc::new(clock.clone()))
        .await
        .expect("alerts");
    alerts.run_once().await;

    // An emergency access whose reason names the patient, a second case to close as a warning.
    let breach_case = app
        .open_case("priv-1", "555000000902", "RDM01", NHS_NUMBER)
        .await;
    let warning_case = app
        .open_case("priv-2", "555000000901", "RDM01", NHS_NUMBER)
        .await;
    clock.set(Utc::now());
    alerts.run_once().await;
    let facts = alerts::BreachFacts {
        what_happened: Some(format!(
            "Viewed Philippa Featherstonehaugh's record ({NHS_NUMBER})"
        )),
        ..Default::default()
    };
    let version = app.case_version(&breach_case).await;
    alerts::mark_potential_breach(&app.pool, &admin, &breach_case, version, None, &facts)
        .await
        .expect("breach");
    sqlx::query("UPDATE cases SET severity = 'low' WHERE reference = $1")
        .bind(&warning_case)
        .execute(&app.pool)
        .await
        .expect("low");
    let version = app.case_version(&warning_case).await;
    let close = alerts::Transition {
        to: domain::CaseState::Closed,
        disposition: Some(domain::Disposition::InappropriateEducation),
        reason: Some(format!("Looked up {NHS_NUMBER}, a neighbour")),
    };
    alerts::transition(&app.pool, &admin, &warning_case, version, &close)
        .await
        .expect("close");
    clock.set(Utc::now() + Duration::minutes(11));
    alerts.run_once().await;
    clock.set(Utc::now() + Duration::days(1) + Duration::hours(8));
    alerts.run_once().await;

    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT kind FROM notification_outbox WHERE state = 'sent' ORDER BY kind",
    )
    .fetch_all(&app.pool)
    .await
    .expect("kinds");
    assert_eq!(
        kinds,
        [
            "breach_reminder",
            "case_opened",
            "case_shared",
            "digest",
            "escalation",
            "user_warning"
        ]
    );
    let channels: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT channel) FROM notification_outbox WHERE state = 'sent'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("channels");
    assert_eq!(channels, 2);

    // The scan knows this patient, and would catch a leak.
    let terms = app.privacy_guard().forbidden_terms();
    assert!(
        terms.identifiers.iter().any(|id| id == NHS_NUMBER),
        "{terms:?}"
    );
    for name in ["Featherstonehaugh", "Philippa"] {
        assert!(
            terms.names.iter().any(|n| n == name),
            "{name} missing from {terms:?}"
        );
        assert_eq!(
            terms
                .find_in(&format!("Dear officer, {name} was viewed"))
                .as_deref(),
            Some(name)
        );
    }
    assert_eq!(
        terms.find_in(&format!("patient {NHS_NUMBER}")).as_deref(),
        Some(NHS_NUMBER)
    );
    for message in app
        .smtp
        .messages()
        .iter()
        .chain(receiver.received().iter().map(|r| &r.body))
    {
        assert_eq!(terms.find_in(message), None, "{message}");
    }
    // (The sink and the receiver run the same scan again when they are dropped.)
}
