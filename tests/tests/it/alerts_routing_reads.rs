//! Routing a case under the joint-case rule reads the exchange nodes of its events from
//! ClickHouse; that read must be a bounded, indexed one (by the events' patients and time
//! range, the table's primary key and partitions), not a scan of every stored event. The
//! server's own count of rows read (`system.query_log`) is the measure.

use alerts::{Actor, Alerts, DataSource, ManualClock};
use chrono::Utc;
use std::sync::Arc;
use tests::{Background, TestApp};

/// Other patients' events stored beside the case's, in the same month.
const OTHER_EVENTS: u64 = 200_000;

#[tokio::test]
async fn routing_reads_the_cases_events_by_index_not_every_event() {
    let app = TestApp::spawn("alerts_routing_reads", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    app.add_organisation("RDM02", "po@rdm02.example").await;
    let source = DataSource {
        source_node: "rdm02-gp-system".to_owned(),
        org_code: "RDM02".to_owned(),
    };
    alerts::put_data_source(&app.pool, &Actor::system("test"), &source)
        .await
        .expect("data source");
    let patient = "9990001658";
    let reference = app
        .open_case("route-1", "555000000901", "RDM01", patient)
        .await;
    app.clickhouse
        .query(&format!(
            "INSERT INTO access_events (event_id, occurred_at, patient_id, user_id, source_node)
             SELECT concat('other-', toString(number)), now() - number % 3600,
                    concat('other-patient-', toString(number % 5000)), 'someone', 'rdm02-gp-system'
             FROM system.numbers LIMIT {OTHER_EVENTS}"
        ))
        .execute()
        .await
        .expect("other events");

    let mut alerts = Alerts::connect(
        app.alerts_settings.clone(),
        &app.stores,
        Arc::new(ManualClock::new(Utc::now())),
    )
    .await
    .expect("alerts");
    alerts.clickhouse = alerts.clickhouse.clone().with_setting("log_queries", "1");
    // The query log is the server's, shared with earlier runs of this test: this run's only.
    let since = u32::try_from(Utc::now().timestamp()).expect("seconds") - 1;
    alerts.run_once().await;
    let actions: Vec<String> = app
        .timeline(&reference)
        .await
        .into_iter()
        .map(|(_, action)| action)
        .collect();
    assert!(
        actions.contains(&"notification_queued".to_owned()),
        "{actions:?}"
    );

    app.clickhouse
        .query("SYSTEM FLUSH LOGS")
        .execute()
        .await
        .expect("flush logs");
    let read: Vec<u64> = app
        .clickhouse
        .query(
            "SELECT read_rows FROM system.query_log
             WHERE type = 2 AND event_time >= toDateTime(?) AND query LIKE '%source_node%'
               AND query LIKE ? AND query NOT LIKE '%query_log%'",
        )
        .bind(since)
        .bind(format!("%{patient}%"))
        .fetch_all()
        .await
        .expect("query log");
    assert_eq!(read.len(), 1, "one routing read for the case: {read:?}");
    assert!(
        read[0] < OTHER_EVENTS / 4,
        "the routing read {} of {} stored rows",
        read[0],
        OTHER_EVENTS + 1
    );
}
