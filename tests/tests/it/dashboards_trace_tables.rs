//! The patient-ordered trace tables of migration 0020 (`access_by_patient`,
//! `access_explanations_by_patient`): on a database migrated before 0020, the migration copies
//! the existing events and explanations; copying them again (a re-run after a crash in the
//! middle of the backfill) changes no trace; and later inserts reach the tables through their
//! views. Checked through the dashboards' own patient trace, against access_events.

use crate::dashboards_support::{seed, PASSWORD};
use migrations::{clickhouse_migrations, split_statements};
use tests::{Background, TestApp};

const PATIENT: &str = "9990002001";

async fn run(client: &clickhouse::Client, sql: &str) {
    client.query(sql).execute().await.expect(sql);
}

async fn insert_event(client: &clickhouse::Client, event_id: &str, at: &str) {
    run(
        client,
        &format!(
            "INSERT INTO access_events (event_id, occurred_at, occurred_ms, received_at, action, \
             outcome, patient_id, user_id, user_name, user_org, user_roles, purpose_of_use, \
             source_node, channel, payload_sha256, raw_payload) VALUES ('{event_id}', \
             toDateTime('{at}', 'UTC'), 7, toDateTime('{at}', 'UTC'), 'R', 0, '{PATIENT}', \
             '555000000001', 'Dr A', 'RDM01', ['R8000'], ['TREAT'], 'node-1', 'fhir_http', \
             'sha-{event_id}', '{{\"id\":\"{event_id}\"}}')"
        ),
    )
    .await;
}

async fn insert_explanation(client: &clickhouse::Client, event_id: &str, at: &str, version: u8) {
    let explained = u8::from(version > 1);
    run(
        client,
        &format!(
            "INSERT INTO access_explanations (event_id, occurred_at, received_at, patient_id, \
             user_id, user_org, explained, kind, binding, valid_from, evaluated_at, version) \
             VALUES ('{event_id}', toDateTime('{at}', 'UTC'), toDateTime('{at}', 'UTC'), \
             '{PATIENT}', '555000000001', 'RDM01', {explained}, \
             if({explained} = 1, 'registration', ''), '', toDateTime('{at}', 'UTC'), now(), \
             {version})"
        ),
    )
    .await;
}

/// The trace API's answer as (event id, explanation: explained and kind), in its order.
async fn traced(app: &TestApp) -> Vec<(String, Option<(u64, String)>)> {
    let trace: serde_json::Value = app
        .http
        .get(format!(
            "{}/api/v1/patients/{PATIENT}/trace",
            app.dashboards_url
        ))
        .basic_auth("investigator", Some(PASSWORD))
        .send()
        .await
        .expect("reachable")
        .json()
        .await
        .expect("json");
    trace["accesses"]
        .as_array()
        .expect("accesses")
        .iter()
        .map(|access| {
            let explanation = &access["explanation"];
            (
                access["event_id"].as_str().expect("event id").to_owned(),
                explanation.as_object().map(|found| {
                    (
                        found["explained"].as_u64().expect("explained"),
                        found["kind"].as_str().expect("kind").to_owned(),
                    )
                }),
            )
        })
        .collect()
}

async fn count(client: &clickhouse::Client, table: &str) -> u64 {
    client
        .query(&format!("SELECT count() FROM {table} WHERE patient_id = ?"))
        .bind(PATIENT)
        .fetch_one()
        .await
        .expect("count")
}

#[tokio::test]
async fn the_trace_tables_are_backfilled_once_in_effect_and_kept_up_by_their_views() {
    let app = TestApp::spawn("dash_trace_tables", Background::NONE).await;
    seed(&app).await;
    let stores = app.stores.clone();
    let client = stores.clickhouse.client();
    let migration = clickhouse_migrations()
        .iter()
        .find(|m| m.name == "0020_access_by_patient.sql")
        .expect("migration 0020");

    // A database as it was before 0020: the tables and views gone, the ledger without 0020.
    tests::unapply_clickhouse_migration(
        &client,
        20,
        &[
            "access_by_patient_mv",
            "access_by_patient",
            "access_explanations_by_patient_mv",
            "access_explanations_by_patient",
        ],
    )
    .await;

    // Events stored before the migration: one of them twice (a retried insert), one explained
    // twice (the later evaluation wins), one not evaluated.
    insert_event(&client, "ev-1", "2026-10-01 08:00:00").await;
    insert_event(&client, "ev-2", "2026-11-02 09:00:00").await;
    insert_event(&client, "ev-2", "2026-11-02 09:00:00").await;
    insert_event(&client, "ev-3", "2026-11-03 10:00:00").await;
    insert_explanation(&client, "ev-1", "2026-10-01 08:00:00", 1).await;
    insert_explanation(&client, "ev-2", "2026-11-02 09:00:00", 1).await;
    insert_explanation(&client, "ev-2", "2026-11-02 09:00:00", 2).await;

    migrations::migrate_all(&stores)
        .await
        .expect("migrate applies 0020");
    let expected = vec![
        ("ev-1".to_owned(), Some((0, String::new()))),
        ("ev-2".to_owned(), Some((1, "registration".to_owned()))),
        ("ev-3".to_owned(), None),
    ];
    assert_eq!(traced(&app).await, expected);
    assert_eq!(
        count(&client, "access_by_patient").await,
        4,
        "every stored row copied"
    );
    assert_eq!(count(&client, "access_explanations_by_patient").await, 3);

    // A re-run of the whole migration (the ledger row not written yet): rows are copied again,
    // and the trace does not change.
    for statement in split_statements(migration.sql) {
        run(&client, &statement).await;
    }
    assert_eq!(count(&client, "access_by_patient").await, 8);
    assert_eq!(traced(&app).await, expected);
    run(&client, "OPTIMIZE TABLE access_by_patient FINAL").await;
    run(
        &client,
        "OPTIMIZE TABLE access_explanations_by_patient FINAL",
    )
    .await;
    assert_eq!(
        count(&client, "access_by_patient").await,
        3,
        "the copies collapse on merge"
    );
    assert_eq!(count(&client, "access_explanations_by_patient").await, 2);
    assert_eq!(traced(&app).await, expected);

    // After the migration the views keep the tables up.
    insert_event(&client, "ev-4", "2026-11-04 11:00:00").await;
    insert_explanation(&client, "ev-3", "2026-11-03 10:00:00", 2).await;
    let mut later = expected.clone();
    later[2].1 = Some((1, "registration".to_owned()));
    later.push(("ev-4".to_owned(), None));
    assert_eq!(traced(&app).await, later);
}
