//! The case page's activity chart: the user's distinct patients per day against the mean of
//! their peer group (same organisation and role code in the staff directory), read from
//! `access_days_by_org` (migration 0021) — colleagues of another role or organisation are not
//! peers, a patient viewed twice the same day counts once, idle peers count zero — and the
//! migration's backfill of events stored before it gives the same chart.

use crate::dashboards_support::{seed, PASSWORD, USER_A, USER_B};
use chrono::{Duration, Utc};
use migrations::{clickhouse_migrations, split_statements};
use tests::{Background, TestApp};

const PEER_1: &str = "555000000021";
const PEER_2: &str = "555000000039";
const OTHER_ROLE: &str = "555000000047";

async fn run(client: &clickhouse::Client, sql: &str) {
    client.query(sql).execute().await.expect(sql);
}

/// The case's activity as (day, own distinct patients, peers' mean) for the days with any
/// activity, and the number of peers.
async fn activity(app: &TestApp, reference: &str) -> (Vec<(String, u64, f64)>, u64) {
    let case: serde_json::Value = app
        .http
        .get(format!("{}/api/v1/cases/{reference}", app.dashboards_url))
        .basic_auth("officer-a", Some(PASSWORD))
        .send()
        .await
        .expect("dashboards reachable")
        .json()
        .await
        .expect("json");
    let activity = &case["activity"];
    let days = activity["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|day| {
            (
                day["day"].as_str().expect("day").to_owned(),
                day["patients"].as_u64().expect("patients"),
                day["peer_mean"].as_f64().expect("peer mean"),
            )
        })
        .filter(|(_, own, peers)| *own > 0 || *peers > 0.0)
        .collect();
    (days, activity["peers"].as_u64().expect("peers"))
}

#[tokio::test]
async fn the_peer_chart_counts_distinct_patients_of_the_same_organisation_and_role() {
    let app = TestApp::spawn("dash_activity", Background::NONE).await;
    let seeded = seed(&app).await;
    let staff = format!(
        "user_id,family_name,given_names,org_code,role_codes,job_title,team,home_address_line,home_postcode,start_date,leave_date,patient_id\n\
        {USER_A},Able,Ann,RDM01,R8000,Doctor,ED,1 A Road,N1 1AA,2019-01-07,,\n\
        {PEER_1},Baker,Bo,RDM01,R8000,Doctor,ED,2 A Road,N1 1AA,2019-01-07,,\n\
        {PEER_2},Cole,Cy,RDM01,R8000,Doctor,Ward 3,3 A Road,N1 1AA,2019-01-07,,\n\
        {OTHER_ROLE},Dane,Di,RDM01,R8001,Nurse,ED,4 A Road,N1 1AA,2019-01-07,,\n\
        {USER_B},Eddy,Ed,RDM02,R8000,Doctor,ED,5 B Road,E1 1EE,2019-01-07,,\n"
    );
    app.load("/load/staff", "text/csv", staff).await;

    // The seed's case: USER_A's emergency access five minutes ago.
    let now = Utc::now() - Duration::minutes(5);
    let earlier = now - Duration::days(2);
    let long_ago = now - Duration::days(70);
    let views = [
        // Peer 1: three patients today (one of them twice), two two days ago, one long ago
        // (before the chart's 60 days).
        ("act-1", PEER_1, "RDM01", "9990003001", now),
        ("act-2", PEER_1, "RDM01", "9990003002", now),
        ("act-3", PEER_1, "RDM01", "9990003003", now),
        (
            "act-4",
            PEER_1,
            "RDM01",
            "9990003003",
            now - Duration::seconds(30),
        ),
        ("act-5", PEER_1, "RDM01", "9990003004", earlier),
        ("act-6", PEER_1, "RDM01", "9990003005", earlier),
        ("act-7", PEER_1, "RDM01", "9990003006", long_ago),
        // Peer 2: one patient today.
        ("act-8", PEER_2, "RDM01", "9990003007", now),
        // Not peers: another role of the organisation, the same role of another organisation.
        ("act-9", OTHER_ROLE, "RDM01", "9990003008", now),
        ("act-10", OTHER_ROLE, "RDM01", "9990003009", now),
        ("act-11", USER_B, "RDM02", "9990003010", now),
        ("act-12", USER_B, "RDM02", "9990003011", now),
        ("act-13", USER_B, "RDM02", "9990003012", now),
    ];
    for (id, user, org, patient, at) in views {
        let event = careaudit::demo::patient_read_event(&careaudit::demo::ViewSpec {
            event_id: id.to_owned(),
            recorded: at,
            user_id: user.to_owned(),
            user_name: "Test Clinician".to_owned(),
            role_code: "R8000".to_owned(),
            org_code: org.to_owned(),
            nhs_number: patient.to_owned(),
            purpose: "TREAT".to_owned(),
            reason: None,
        });
        assert_eq!(app.post_json(&event).await.0, 201, "{id}");
    }
    app.wait_until_shipped().await;

    let today = now.date_naive().to_string();
    let two_days_ago = earlier.date_naive().to_string();
    // The seed's case opened today, so the chart ends today.
    let expected = (vec![(two_days_ago, 0, 1.0), (today, 1, 2.0)], 2);
    assert_eq!(activity(&app, &seeded.case_a).await, expected);

    // A database migrated before 0021: the table, its view and the ledger row gone; migrating
    // again backfills the stored events, and the chart is the same (also when the backfill runs
    // twice, as a re-run after a crash in its middle would).
    let client = app.stores.clickhouse.client();
    tests::unapply_clickhouse_migration(
        &client,
        21,
        &["access_days_by_org_mv", "access_days_by_org"],
    )
    .await;
    migrations::migrate_all(&app.stores)
        .await
        .expect("migrate applies 0021");
    assert_eq!(activity(&app, &seeded.case_a).await, expected);
    let migration = clickhouse_migrations()
        .iter()
        .find(|m| m.name == "0021_access_days_by_org.sql")
        .expect("migration 0021");
    for statement in split_statements(migration.sql) {
        run(&client, &statement).await;
    }
    assert_eq!(activity(&app, &seeded.case_a).await, expected);
}
