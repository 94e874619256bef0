//! Secrets belong to an organisation: an administrator of RDM01 chooses the URL of RDM01's
//! webhooks and the host of its SMTP relay, so a secret name in RDM01's rows must never reach
//! RDM02's signing key or relay password (or the deployment's own secrets). Names are refused
//! at configuration time when they point outside the organisation, and resolved only among the
//! organisation's own secrets at send time.

use alerts::{Alerts, ManualClock};
use chrono::Utc;
use serde_json::json;
use std::sync::Arc;
use tests::{Background, SinkOptions, SmtpSink, TestApp, TestPki, WebhookReceiver};

const RDM02_HOOK_KEY: &str = "whsec-belongs-to-rdm02";
const RDM02_RELAY_PASSWORD: &str = "rdm02-relay-password";

#[tokio::test]
async fn an_organisation_cannot_name_another_organisations_secret() {
    let app = TestApp::spawn("alerts_secret_scope", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    app.add_organisation("RDM02", "po@rdm02.example").await;
    app.account("admin-rdm01", "administrator", Some("RDM01"))
        .await;
    // RDM01's administrator points a webhook at a receiver of their choosing and names
    // RDM02's signing key; the receiver checks signatures with RDM02's key.
    let thief = WebhookReceiver::start(RDM02_HOOK_KEY, app.privacy_guard()).await;
    for name in ["RDM02/hook", "rdm02.hook", ""] {
        let (status, answer) = app
            .api_post(
                "/api/v1/webhooks",
                "admin-rdm01",
                json!({"org_code": "RDM01", "url": thief.url, "secret_name": name}),
            )
            .await;
        assert_eq!(status, 422, "{name:?} is refused: {answer}");
        let message = answer.to_string();
        assert!(
            message.contains("secret_name") && message.contains("RDM01"),
            "the error says whose secrets a name may refer to: {message}"
        );
    }
    let (status, answer) = app
        .api_post(
            "/api/v1/webhooks",
            "admin-rdm01",
            json!({"org_code": "RDM01", "url": thief.url, "secret_name": "rdm02_hook"}),
        )
        .await;
    assert_eq!(status, 200, "a plain name is RDM01's own: {answer}");
    // RDM01's real webhook, signed with its own key.
    let own = WebhookReceiver::start("whsec-rdm01", app.privacy_guard()).await;
    let (status, answer) = app
        .api_post(
            "/api/v1/webhooks",
            "admin-rdm01",
            json!({"org_code": "RDM01", "url": own.url, "secret_name": "hook"}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");

    // And their own SMTP relay, authenticating with RDM02's relay password.
    let pki = TestPki::create();
    let thieving_relay = SmtpSink::start_with(
        SinkOptions {
            tls: Some((
                alerts::SmtpTls::Implicit,
                pki.file("server.pem"),
                pki.file("server.key"),
            )),
            auth: Some(("rdm02-relay".to_owned(), RDM02_RELAY_PASSWORD.to_owned())),
        },
        app.privacy_guard(),
    )
    .await;
    let relay = alerts::OrganisationSmtp {
        host: "127.0.0.1".to_owned(),
        port: i32::from(thieving_relay.port),
        tls: "implicit".to_owned(),
        username: Some("rdm02-relay".to_owned()),
        password_secret: Some("RDM02/smtp".to_owned()),
        from_address: "ig@rdm01.example".to_owned(),
        ca_certificate_pem: Some(std::fs::read_to_string(pki.file("ca.pem")).expect("ca")),
    };
    let (status, answer) = app
        .api(
            reqwest::Method::PUT,
            "/api/v1/organisations/RDM01/smtp",
            "admin-rdm01",
            Some(serde_json::to_value(&relay).expect("json")),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer.to_string().contains("RDM01"), "{answer}");
    let plain = alerts::OrganisationSmtp {
        password_secret: Some("rdm02_smtp".to_owned()),
        ..relay
    };
    let (status, answer) = app
        .api(
            reqwest::Method::PUT,
            "/api/v1/organisations/RDM01/smtp",
            "admin-rdm01",
            Some(serde_json::to_value(&plain).expect("json")),
        )
        .await;
    assert_eq!(status, 204, "{answer}");

    // The deployment holds RDM02's secrets under those names, as its own and (an older
    // configuration) deployment-wide; RDM01's own key is RDM01's.
    let mut settings = app.alerts_settings.clone();
    settings.organisation_secrets.insert(
        "RDM02".to_owned(),
        [
            ("rdm02_hook".to_owned(), RDM02_HOOK_KEY.to_owned().into()),
            (
                "rdm02_smtp".to_owned(),
                RDM02_RELAY_PASSWORD.to_owned().into(),
            ),
        ]
        .into(),
    );
    settings.organisation_secrets.insert(
        "RDM01".to_owned(),
        [("hook".to_owned(), "whsec-rdm01".to_owned().into())].into(),
    );
    settings
        .secrets
        .insert("rdm02_hook".to_owned(), RDM02_HOOK_KEY.to_owned().into());
    settings.secrets.insert(
        "rdm02_smtp".to_owned(),
        RDM02_RELAY_PASSWORD.to_owned().into(),
    );
    let alerts = Alerts::connect(
        settings,
        &app.stores,
        Arc::new(ManualClock::new(Utc::now())),
    )
    .await
    .expect("alerts");
    app.open_case("sec-1", "555000000701", "RDM01", "9990001615")
        .await;
    alerts.run_once().await;
    assert!(
        thief.received().is_empty(),
        "nothing signed with RDM02's key reached RDM01's receiver"
    );
    assert!(
        thieving_relay.messages().is_empty(),
        "RDM02's relay password never authenticated RDM01's mail"
    );
    let received = own.received();
    assert_eq!(received.len(), 1, "RDM01's own webhook is delivered");
    assert!(received[0].signature_valid);
    let errors: Vec<(String, String)> = sqlx::query_as(
        "SELECT channel, last_error FROM notification_outbox WHERE last_error IS NOT NULL ORDER BY channel",
    )
    .fetch_all(&app.pool)
    .await
    .expect("outbox");
    assert_eq!(errors.len(), 2, "{errors:?}");
    for (channel, error) in &errors {
        assert!(
            error.contains("RDM01") && error.contains("organisation_secrets"),
            "{channel}: {error}"
        );
    }
}
