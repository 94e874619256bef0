//! The breach log after the case is closed. The ICO's follow-up asks for facts after the case
//! is closed, so the entry's facts stay editable and its decision can be corrected without
//! reopening; but the closed case's disposition says whether the breach was reported, so a
//! decision that contradicts it needs the case reopened (with a reason) first. Every change
//! after closure is on the timeline, marked as such.

use alerts::{Actor, BreachDecision, BreachFacts, BreachFilter, Transition};
use chrono::{Duration, Utc};
use domain::{CaseState, Disposition};
use tests::{Background, TestApp};

async fn last_detail(app: &TestApp, reference: &str, action: &str) -> serde_json::Value {
    sqlx::query_scalar(
        "SELECT t.detail FROM case_timeline t JOIN cases c ON c.id = t.case_id
         WHERE c.reference = $1 AND t.action = $2 ORDER BY t.id DESC LIMIT 1",
    )
    .bind(reference)
    .bind(action)
    .fetch_one(&app.pool)
    .await
    .expect("timeline entry")
}

#[tokio::test]
async fn a_closed_cases_breach_log_stays_editable_and_consistent_with_its_disposition() {
    let app = TestApp::spawn("alerts_breach_after_closure", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    let officer = Actor {
        username: "officer-a".to_owned(),
        roles: vec![("privacy_officer".to_owned(), Some("RDM01".to_owned()))],
    };
    let reference = app
        .open_case("bac-1", "555000000801", "RDM01", "9990001623")
        .await;
    let facts = BreachFacts {
        what_happened: Some("Viewed a neighbour's record.".to_owned()),
        ..BreachFacts::default()
    };
    let aware = Utc::now() - Duration::hours(3);
    let version = app.case_version(&reference).await;
    alerts::mark_potential_breach(
        &app.pool,
        &officer,
        &reference,
        version,
        Some(aware),
        &facts,
    )
    .await
    .expect("mark");
    let not_reported = BreachDecision::NotReported {
        reason: "One person, no sensitive data.".to_owned(),
    };
    let version = app.case_version(&reference).await;
    alerts::decide_breach(&app.pool, &officer, &reference, version, &not_reported)
        .await
        .expect("decide");
    let close = Transition {
        to: CaseState::Closed,
        disposition: Some(Disposition::InappropriateDisciplinary),
        reason: None,
    };
    let version = app.case_version(&reference).await;
    alerts::transition(&app.pool, &officer, &reference, version, &close)
        .await
        .expect("close");

    // The ICO's follow-up: the facts are filled in after closure, without reopening.
    let follow_up = BreachFacts {
        remedial_action: Some("Access removed; retraining booked.".to_owned()),
        ..BreachFacts::default()
    };
    let version = app.case_version(&reference).await;
    alerts::update_breach(&app.pool, &officer, &reference, version, &follow_up)
        .await
        .expect("facts after closure");
    let detail = last_detail(&app, &reference, "breach_updated").await;
    assert_eq!(detail["after_closure"], true, "{detail}");
    assert_eq!(
        detail["disposition"], "inappropriate_disciplinary",
        "{detail}"
    );

    // A corrected reason agrees with the disposition: recorded, marked as after closure.
    let revised = BreachDecision::NotReported {
        reason: "One person, no sensitive data; the ICO's self-assessment agrees.".to_owned(),
    };
    let version = app.case_version(&reference).await;
    alerts::decide_breach(&app.pool, &officer, &reference, version, &revised)
        .await
        .expect("revised reason after closure");
    let detail = last_detail(&app, &reference, "breach_decided").await;
    assert_eq!(detail["after_closure"], true, "{detail}");
    assert_eq!(detail["decision"], "not_reported", "{detail}");

    // Reporting it after all contradicts "inappropriate_disciplinary": reopen first.
    let reported = BreachDecision::Reported {
        ico_reference: "IC-654321-Z9".to_owned(),
        reported_at: Utc::now(),
    };
    let version = app.case_version(&reference).await;
    let refused = alerts::decide_breach(&app.pool, &officer, &reference, version, &reported)
        .await
        .expect_err("contradicts the disposition");
    assert!(
        matches!(refused, alerts::AlertsError::Invalid(_)),
        "{refused:?}"
    );
    let message = refused.to_string();
    assert!(
        message.contains("inappropriate_disciplinary") && message.contains("reopen"),
        "{message}"
    );
    assert_eq!(
        app.case_version(&reference).await,
        version,
        "nothing changed"
    );
    let log = alerts::breach_log(&app.pool, &officer, &BreachFilter::default())
        .await
        .expect("breach log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].decision, "not_reported");
    assert_eq!(log[0].remedial_action, "Access removed; retraining booked.");
    assert_eq!(log[0].case_state, "closed");

    // Marking a closed case as a breach needs it reopened too.
    let other = app
        .open_case("bac-2", "555000000802", "RDM01", "9990001631")
        .await;
    let version = app.case_version(&other).await;
    let close_appropriate = Transition {
        to: CaseState::Closed,
        disposition: Some(Disposition::Appropriate),
        reason: None,
    };
    alerts::transition(&app.pool, &officer, &other, version, &close_appropriate)
        .await
        .expect("close");
    let version = app.case_version(&other).await;
    let refused = alerts::mark_potential_breach(&app.pool, &officer, &other, version, None, &facts)
        .await
        .expect_err("closed");
    assert!(refused.to_string().contains("reopen"), "{refused}");

    // Reopened with a reason, the decision changes and the case closes as reported.
    let reopen = Transition {
        to: CaseState::Investigating,
        disposition: None,
        reason: Some("The ICO asked for a report after all.".to_owned()),
    };
    let version = app.case_version(&reference).await;
    alerts::transition(&app.pool, &officer, &reference, version, &reopen)
        .await
        .expect("reopen");
    let version = app.case_version(&reference).await;
    alerts::decide_breach(&app.pool, &officer, &reference, version, &reported)
        .await
        .expect("reported");
    let detail = last_detail(&app, &reference, "breach_decided").await;
    assert_eq!(detail["after_closure"], false, "{detail}");
    let close_reported = Transition {
        to: CaseState::Closed,
        disposition: Some(Disposition::ReportedToIco),
        reason: None,
    };
    let version = app.case_version(&reference).await;
    alerts::transition(&app.pool, &officer, &reference, version, &close_reported)
        .await
        .expect("closed as reported");
}
