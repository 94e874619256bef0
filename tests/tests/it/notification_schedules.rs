//! Everything that depends on time, driven by a controllable clock: escalation of a
//! high-severity case not picked up within the organisation's time, daily and weekly digests on
//! their cron schedules in London time (each period once, none before the first fire), and the reminders of the
//! ICO's 72-hour clock (started, the thresholds before the deadline, overdue; each once, only the
//! latest when several passed at once; none after the decision).

use alerts::{Actor, Alerts, ManualClock, Officer, OrganisationRecord};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use tests::{Background, TestApp};

fn subjects(app: &TestApp) -> Vec<String> {
    app.smtp
        .messages()
        .iter()
        .map(|m| m.replace("\r\n ", " "))
        .filter_map(|m| {
            m.lines()
                .find(|l| l.starts_with("Subject: "))
                .map(|l| l["Subject: ".len()..].to_owned())
        })
        .collect()
}

fn messages_to(app: &TestApp, address: &str) -> Vec<String> {
    app.smtp
        .messages()
        .into_iter()
        .filter(|m| m.contains(&format!("To: {address}")))
        .collect()
}

async fn opened_at(app: &TestApp, reference: &str) -> DateTime<Utc> {
    sqlx::query_scalar("SELECT opened_at FROM cases WHERE reference = $1")
        .bind(reference)
        .fetch_one(&app.pool)
        .await
        .expect("opened_at")
}

#[tokio::test]
async fn a_high_severity_case_not_picked_up_in_time_is_escalated_once() {
    let app = TestApp::spawn("escalation", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    let admin = Actor::system("test");
    let organisation = OrganisationRecord {
        ods_code: "RDM01".to_owned(),
        name: "Riverside".to_owned(),
        contact_email: Some("po@rdm01.example".to_owned()),
        escalation_minutes: Some(30),
        user_warnings: false,
        user_warning_holdout_percent: 0,
    };
    alerts::put_organisation(&app.pool, &admin, &organisation)
        .await
        .expect("organisation");
    app.account("officer-a", "privacy_officer", Some("RDM01"))
        .await;
    let waiting = app
        .open_case("esc-1", "555000000501", "RDM01", "9990001542")
        .await;
    let picked_up = app
        .open_case("esc-2", "555000000502", "RDM01", "9990001550")
        .await;
    let officer = Actor {
        username: "officer-a".to_owned(),
        roles: vec![("privacy_officer".to_owned(), Some("RDM01".to_owned()))],
    };
    alerts::assign(&app.pool, &officer, &picked_up, 1, Some("officer-a"))
        .await
        .expect("assign");

    let mut settings = app.alerts_settings.clone();
    settings.fallback_recipient = Some("ig.central@region.example".to_owned());
    let opened = opened_at(&app, &waiting).await;
    let clock = ManualClock::new(opened + Duration::minutes(29));
    let alerts = Alerts::connect(settings, &app.stores, Arc::new(clock.clone()))
        .await
        .expect("alerts");
    alerts.run_once().await;
    assert_eq!(
        subjects(&app)
            .iter()
            .filter(|s| s.contains("ESCALATION"))
            .count(),
        0,
        "not yet"
    );
    clock.set(opened + Duration::minutes(31));
    alerts.run_once().await;
    clock.set(opened + Duration::minutes(90));
    alerts.run_once().await;
    let escalations: Vec<String> = app
        .smtp
        .messages()
        .into_iter()
        .filter(|m| m.contains("ESCALATION"))
        .collect();
    assert_eq!(
        escalations.len(),
        2,
        "to the officer and the central IG team, once: {escalations:#?}"
    );
    assert!(escalations
        .iter()
        .all(|m| m.contains(&waiting) && !m.contains(&picked_up)));
    assert!(escalations
        .iter()
        .any(|m| m.contains("To: ig.central@region.example")));
    assert!(
        escalations[0].contains("new and unassigned for 0 h 31 min"),
        "{}",
        escalations[0]
    );
    let actions: Vec<String> = app
        .timeline(&waiting)
        .await
        .into_iter()
        .map(|(_, action)| action)
        .collect();
    assert_eq!(actions.iter().filter(|a| *a == "escalated").count(), 1);
}

#[tokio::test]
async fn digests_follow_their_cron_schedules_once_per_period() {
    let app = TestApp::spawn("digests", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    let admin = Actor::system("test");
    let officer = |email: &str, digest: &str| Officer {
        case_alerts: "digest".to_owned(),
        digest: digest.to_owned(),
        // The case stays unassigned past the escalation time; this test is about digests.
        escalations: false,
        ..Officer::new("RDM01", email, email)
    };
    for (email, digest) in [
        ("po@rdm01.example", "none"),
        ("daily@rdm01.example", "daily"),
        ("weekly@rdm01.example", "weekly"),
    ] {
        let mut record = officer(email, digest);
        if digest == "none" {
            record.active = false;
        }
        alerts::put_officer(&app.pool, &admin, &record)
            .await
            .expect("officer");
    }
    // Fixed dates, so the test means the same on every day of the week: Tuesday 24 March 2026
    // (GMT); the clocks go forward on Sunday 29 March, so Monday 30 March's 07:00 in London is
    // 06:00 UTC.
    let start = at("2026-03-24T10:00:00Z");
    let clock = ManualClock::new(start);
    let alerts = Alerts::connect(
        app.alerts_settings.clone(),
        &app.stores,
        Arc::new(clock.clone()),
    )
    .await
    .expect("alerts");
    alerts.run_once().await; // The schedules start counting here.
    let reference = app
        .open_case("dig-1", "555000000503", "RDM01", "9990001569")
        .await;
    // The analyzer opened the case at the real time; move it to this test's calendar.
    sqlx::query("UPDATE cases SET opened_at = $2 WHERE reference = $1")
        .bind(&reference)
        .bind(start + Duration::minutes(1))
        .execute(&app.pool)
        .await
        .expect("opened_at");
    clock.set(start + Duration::minutes(2));
    alerts.run_once().await;
    assert!(
        app.smtp.messages().is_empty(),
        "officers who chose digests get no immediate alert"
    );
    let actions: Vec<String> = app
        .timeline(&reference)
        .await
        .into_iter()
        .map(|(_, action)| action)
        .collect();
    assert!(
        actions.contains(&"notification_deferred".to_owned()),
        "{actions:?}"
    );

    let daily = at("2026-03-25T07:00:00Z");
    clock.set(daily - Duration::seconds(1));
    alerts.run_once().await;
    assert!(app.smtp.messages().is_empty(), "not before 07:00");
    clock.set(daily + Duration::seconds(1));
    alerts.run_once().await;
    alerts.run_once().await;
    let to_daily = messages_to(&app, "daily@rdm01.example");
    assert_eq!(to_daily.len(), 1, "one digest per period");
    assert!(
        to_daily[0].contains("Subject: [careaudit] Daily digest for RDM01: 1 new, 1 open"),
        "{}",
        to_daily[0]
    );
    assert!(
        to_daily[0].contains(&format!("{}/cases/{reference}", tests::TEST_BASE_URL)),
        "{}",
        to_daily[0]
    );
    assert!(
        messages_to(&app, "weekly@rdm01.example").is_empty(),
        "the weekly digest waits for Monday"
    );

    // Monday 07:00 London time (06:00 UTC in summer time): the weekly digest covers the week;
    // the daily one covers the days missed while nothing ran, once.
    clock.set(at("2026-03-30T05:59:59Z"));
    alerts.run_once().await;
    assert!(
        messages_to(&app, "weekly@rdm01.example").is_empty(),
        "not before 07:00 in London"
    );
    clock.set(at("2026-03-30T06:00:05Z"));
    alerts.run_once().await;
    let to_weekly = messages_to(&app, "weekly@rdm01.example");
    assert_eq!(to_weekly.len(), 1);
    assert!(
        to_weekly[0].contains("Weekly digest for RDM01: 1 new, 1 open"),
        "{}",
        to_weekly[0]
    );
    let to_daily = messages_to(&app, "daily@rdm01.example");
    assert_eq!(
        to_daily.len(),
        3,
        "Sunday's (the days missed, once), then Monday's"
    );
    assert!(
        to_daily[1..]
            .iter()
            .all(|m| m.contains("Daily digest for RDM01: 0 new, 1 open")),
        "{to_daily:#?}"
    );
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("time")
        .with_timezone(&Utc)
}

#[tokio::test]
async fn the_72_hour_clock_reminds_before_the_deadline_and_when_it_has_passed() {
    let app = TestApp::spawn("breach_reminders", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    let reference = app
        .open_case("br-1", "555000000504", "RDM01", "9990001577")
        .await;
    let admin = Actor::system("officer");
    let aware = Utc::now() - Duration::hours(1);
    let facts = alerts::BreachFacts {
        what_happened: Some("Record viewed without a care relationship".to_owned()),
        ..Default::default()
    };
    alerts::mark_potential_breach(&app.pool, &admin, &reference, 1, Some(aware), &facts)
        .await
        .expect("mark");
    let deadline = aware + Duration::hours(72);
    let clock = ManualClock::new(Utc::now());
    let alerts = Alerts::connect(
        app.alerts_settings.clone(),
        &app.stores,
        Arc::new(clock.clone()),
    )
    .await
    .expect("alerts");
    let reminders = |app: &TestApp| {
        subjects(app)
            .into_iter()
            .filter(|s| s.contains("reach") || s.contains("Breach") || s.contains("breach"))
            .collect::<Vec<_>>()
    };

    alerts.run_once().await;
    for (at, expected) in [
        (deadline - Duration::hours(47), 2),
        (deadline - Duration::hours(47) + Duration::minutes(10), 2),
        (deadline - Duration::hours(5), 3),
        (deadline + Duration::minutes(1), 4),
    ] {
        clock.set(at);
        alerts.run_once().await;
        assert_eq!(
            reminders(&app).len(),
            expected,
            "at {at}: {:?}",
            reminders(&app)
        );
    }
    let sent = reminders(&app);
    assert_eq!(
        sent,
        [
            format!("[careaudit] Breach clock started for case {reference} (RDM01)"),
            format!("[careaudit] Breach report due within 48 h: case {reference} (RDM01)"),
            format!("[careaudit] Breach report due within 6 h: case {reference} (RDM01)"),
            format!("[careaudit] OVERDUE breach report: case {reference} (RDM01)"),
        ]
    );
    let deadline_line = format!("Deadline:  {}", deadline.format("%Y-%m-%d %H:%M UTC"));
    assert!(app
        .smtp
        .messages()
        .iter()
        .filter(|m| m.contains("reach"))
        .all(|m| m.contains(&deadline_line)));

    let version = app.case_version(&reference).await;
    let decision = alerts::BreachDecision::Reported {
        ico_reference: "IC-123456-A1B2".to_owned(),
        reported_at: Utc::now(),
    };
    alerts::decide_breach(&app.pool, &admin, &reference, version, &decision)
        .await
        .expect("decide");
    clock.set(deadline + Duration::hours(30));
    alerts.run_once().await;
    assert_eq!(reminders(&app).len(), 4, "no reminder after the decision");
}
