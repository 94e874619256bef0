//! The near-real-time path: with careaudit's loops running (analyzer and alerts in the
//! background, as in production) and a steady stream of ordinary views arriving, an emergency
//! access opens a case on its own, without waiting for the scheduled rules, nor for the
//! explanation of the other new events.

use domain::Timestamp;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tests::{patient_read, wait_for, Background, TestApp};

#[tokio::test]
async fn an_emergency_access_opens_a_case_while_ordinary_views_keep_arriving() {
    let mut app = TestApp::spawn("analyzer_nrt", Background::NONE).await;
    // The scheduled rules run hourly here, so only the fast path can open the case in time.
    app.analyzer_settings.schedule = "0 0 * * * *".to_owned();
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::spawn(analyzer::run(
        app.analyzer_settings.clone(),
        app.stores.clone(),
        shutdown.clone().cancelled_owned(),
    ));
    let app = Arc::new(app);

    let loading = Arc::new(AtomicBool::new(true));
    let load = {
        let (app, loading) = (app.clone(), loading.clone());
        tokio::spawn(async move {
            let mut sent = 0_u32;
            while loading.load(Ordering::Relaxed) && sent < 2_000 {
                let event = patient_read(
                    &format!("load-{sent}"),
                    "555000000300",
                    "RDM01",
                    "9990001259",
                    "TREAT",
                    None,
                );
                assert_eq!(app.post_json(&event).await.0, 201);
                sent += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            sent
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let event = patient_read(
        "nrt-btg",
        "555000000301",
        "RDM01",
        "9990001267",
        "BTG",
        Some("unconscious patient in resus"),
    );
    assert_eq!(app.post_json(&event).await.0, 201);
    let reference: String = wait_for(
        "a case for the emergency access",
        Duration::from_secs(30),
        || async {
            sqlx::query_scalar(
                "SELECT c.reference FROM cases c JOIN findings f ON f.case_id = c.id
             WHERE f.event_id = 'nrt-btg' AND f.rule_id = 'emergency_access'",
            )
            .fetch_optional(&app.pool)
            .await
            .ok()
            .flatten()
        },
    )
    .await;
    loading.store(false, Ordering::Relaxed);
    let sent = load.await.expect("load task");
    shutdown.cancel();
    assert!(reference.starts_with("CA-"));
    assert!(sent > 50, "the load kept arriving ({sent} views)");
    let explanation: String =
        sqlx::query_scalar("SELECT explanation FROM findings WHERE event_id = 'nrt-btg'")
            .fetch_one(&app.pool)
            .await
            .expect("finding");
    assert!(
        explanation.contains("unconscious patient in resus"),
        "{explanation}"
    );
}

/// One scheduled run of `app`'s analyzer as of `now`, with `explainer` explaining.
async fn scheduled(
    app: &TestApp,
    now: Timestamp,
    explainer: analyzer::Explainer,
) -> anyhow::Result<analyzer::RunSummary> {
    analyzer::scheduled_once(
        &app.analyzer_settings,
        &app.clickhouse,
        &app.pool,
        now,
        explainer,
    )
    .await
}

/// Holds the near-real-time loop's explanation lock (as a long poll would) until dropped.
async fn hold_explanation_lock(app: &TestApp) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut holder = app.pool.begin().await.expect("holder");
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('explain'))")
        .execute(&mut *holder)
        .await
        .expect("explanation lock");
    holder
}

#[tokio::test]
async fn the_scheduled_run_never_waits_for_the_explanation_while_the_fast_path_owns_it() {
    let app = TestApp::spawn("analyzer_nrt_owner", Background::NONE).await;
    let settings = &app.analyzer_settings;
    assert!(
        settings.near_real_time.enabled,
        "the fast path is on by default"
    );
    let event = patient_read(
        "owner-1",
        "555000000300",
        "RDM01",
        "9990001259",
        "TREAT",
        None,
    );
    assert_eq!(app.post_json(&event).await.0, 201);
    app.wait_until_shipped().await;
    let later = Timestamp::from_millis(Timestamp::now().as_millis() + 5_000);
    analyzer::poll_once(settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("poll");
    assert!(
        app.explanation_rows("owner-1").await.0 > 0,
        "the poll explained"
    );
    let explained_to = analyzer::load_watermark(&app.pool, "explain")
        .await
        .expect("watermark")
        .expect("the poll advanced the explanation watermark");

    let fast_rule = analyzer::load_watermark(&app.pool, "rule:emergency_access")
        .await
        .expect("watermark");
    // A poll is explaining (it holds the lock): the scheduled run goes on without it, and its
    // rules reach the explanation watermark (no later than its own settle).
    let holder = hold_explanation_lock(&app).await;
    let run = tokio::time::timeout(
        Duration::from_secs(20),
        scheduled(&app, later, analyzer::Explainer::NearRealTime),
    )
    .await
    .expect("the scheduled run does not wait for the poll's lock")
    .expect("scheduled run");
    let settled = (later.as_millis() - settings.settle_ms) / 1000 * 1000;
    assert_eq!(run.watermark_ms, settled.min(explained_to));
    let rule = analyzer::load_watermark(&app.pool, "rule:no_relationship")
        .await
        .expect("rule watermark");
    assert_eq!(rule, Some(settled.min(explained_to)));
    assert_eq!(
        analyzer::load_watermark(&app.pool, "explain")
            .await
            .expect("watermark"),
        Some(explained_to),
        "only the fast path advances the explanation watermark"
    );
    assert_eq!(
        analyzer::load_watermark(&app.pool, "rule:emergency_access")
            .await
            .expect("watermark"),
        fast_rule,
        "the near-real-time rules are the fast path's"
    );

    // Without the fast path, the scheduled run explains itself, so it does wait for the lock.
    let waits = tokio::time::timeout(
        Duration::from_secs(2),
        scheduled(&app, later, analyzer::Explainer::Scheduled),
    )
    .await;
    assert!(waits.is_err(), "the scheduled explainer takes the lock");
    holder.rollback().await.expect("release");
}

#[tokio::test]
async fn the_scheduled_run_explains_what_became_visible_behind_the_fast_path() {
    let app = TestApp::spawn("analyzer_nrt_sweep", Background::NONE).await;
    let event = patient_read(
        "behind-1",
        "555000000300",
        "RDM01",
        "9990001259",
        "TREAT",
        None,
    );
    assert_eq!(app.post_json(&event).await.0, 201);
    app.wait_until_shipped().await;
    // The fast path's watermark passed the event before it was visible to its poll (an insert
    // that committed late): it is behind the watermark and has no explanation.
    let later = Timestamp::from_millis(Timestamp::now().as_millis() + 5_000);
    sqlx::query("INSERT INTO analyzer_watermarks (job, watermark_ms) VALUES ('explain', $1)")
        .bind(later.as_millis() / 1000 * 1000)
        .execute(&app.pool)
        .await
        .expect("watermark");
    assert_eq!(app.explanation_rows("behind-1").await.0, 0);
    let holder = hold_explanation_lock(&app).await;
    tokio::time::timeout(
        Duration::from_secs(20),
        scheduled(&app, later, analyzer::Explainer::NearRealTime),
    )
    .await
    .expect("no wait for the poll")
    .expect("scheduled run");
    holder.rollback().await.expect("release");
    let swept = app.explanation_rows("behind-1").await;
    assert!(
        swept.0 > 0,
        "the sweep explained the event the fast path had passed"
    );
    // Swept again: explained events are left alone.
    scheduled(&app, later, analyzer::Explainer::NearRealTime)
        .await
        .expect("second run");
    assert_eq!(app.explanation_rows("behind-1").await, swept);
}

#[tokio::test]
async fn the_fast_rules_open_a_case_while_the_explanation_of_everything_else_is_behind() {
    let mut app = TestApp::spawn("analyzer_nrt_ahead", Background::NONE).await;
    app.analyzer_settings.schedule = "0 0 * * * *".to_owned();
    // A VIP in the care of one clinician (an encounter: explained at the user level).
    app.load(
        "/load/vip",
        "text/csv",
        "nhs_number,flag,reason\n9990002088,vip,public figure\n".to_owned(),
    )
    .await;
    app.load_fhir(tests::in_progress_encounter(
        "enc-vip",
        "9990002088",
        "555000000312",
        "RDM01",
        1,
    ))
    .await;
    app.wait_until_shipped().await;
    // The explanation of the new events is held up (as a flood of events would keep it busy):
    // its lock is taken before the loops start, so no poll explains anything.
    let holder = hold_explanation_lock(&app).await;
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::spawn(analyzer::run(
        app.analyzer_settings.clone(),
        app.stores.clone(),
        shutdown.clone().cancelled_owned(),
    ));
    for (id, user, patient, purpose, reason) in [
        ("nrt-routine", "555000000310", "9990001275", "TREAT", None),
        (
            "nrt-ahead",
            "555000000311",
            "9990001283",
            "BTG",
            Some("collapsed in clinic"),
        ),
        // The VIP's own clinician, and a colleague with no part in their care.
        ("nrt-vip-carer", "555000000312", "9990002088", "TREAT", None),
        (
            "nrt-vip-curious",
            "555000000313",
            "9990002088",
            "TREAT",
            None,
        ),
    ] {
        let event = patient_read(id, user, "RDM01", patient, purpose, reason);
        assert_eq!(app.post_json(&event).await.0, 201, "{id}");
    }
    let case_of = |event: &'static str, rule: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT c.reference FROM cases c JOIN findings f ON f.case_id = c.id
             WHERE f.event_id = $1 AND f.rule_id = $2",
            )
            .bind(event)
            .bind(rule)
            .fetch_optional(&pool)
            .await
            .ok()
            .flatten()
        }
    };
    let case = wait_for(
        "a case for the emergency access while the explanation waits",
        Duration::from_secs(30),
        || case_of("nrt-ahead", "emergency_access"),
    )
    .await;
    assert!(case.starts_with("CA-"));
    wait_for(
        "a case for the curious colleague's look at the VIP",
        Duration::from_secs(30),
        || case_of("nrt-vip-curious", "vip_patient"),
    )
    .await;
    // vip_patient explained its own candidates (the only fast rule that can be explained away):
    // the carer's look is explained by the encounter, so it raised nothing; the routine view,
    // no fast rule's candidate, waits for the explanation pass, which has not run.
    assert_eq!(case_of("nrt-vip-carer", "vip_patient").await, None);
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pending_findings WHERE event_id = 'nrt-vip-carer'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("pending");
    assert_eq!(pending, 0);
    assert_eq!(app.explanation_rows("nrt-vip-carer").await.0, 1);
    assert_eq!(app.explanation_rows("nrt-routine").await.0, 0);
    let watermark = analyzer::load_watermark(&app.pool, "explain")
        .await
        .expect("watermark");
    assert_eq!(watermark, None, "nothing explained by the explanation pass");
    // Released, the pass explains the rest.
    holder.rollback().await.expect("release");
    wait_for(
        "the routine view explained",
        Duration::from_secs(30),
        || async { (app.explanation_rows("nrt-routine").await.0 > 0).then_some(()) },
    )
    .await;
    shutdown.cancel();
}

#[tokio::test]
async fn two_fast_rules_flagging_one_view_of_a_new_user_at_once_open_one_case() {
    let mut app = TestApp::spawn("analyzer_nrt_one_case", Background::NONE).await;
    app.analyzer_settings.schedule = "0 0 * * * *".to_owned();
    // A leaver whose account still works breaks the glass: leaver_access and emergency_access
    // flag the same view, each in its loop, and the user has no case yet.
    let leaver = "555000000320";
    let staff = format!(
        "user_id,family_name,given_names,org_code,role_codes,job_title,team,home_address_line,home_postcode,start_date,leave_date,patient_id\n\
         {leaver},Jones,Dev,RDM01,R8000,Porter,Ward 9,9 Ash Lane,N3 3CC,2018-01-07,2025-01-01,\n"
    );
    app.load("/load/staff", "text/csv", staff).await;
    let event = patient_read(
        "nrt-leaver-btg",
        leaver,
        "RDM01",
        "9990001291",
        "BTG",
        Some("patient deteriorating"),
    );
    assert_eq!(app.post_json(&event).await.0, 201);
    app.wait_until_shipped().await;
    // The user's recording lock is held (as a third rule recording about them would): both
    // loops find their candidate and wait for it, rather than each opening a case.
    let mut holder = app.pool.begin().await.expect("holder");
    sqlx::query("SELECT pg_advisory_xact_lock(7001, hashtext($1))")
        .bind(leaver)
        .execute(&mut *holder)
        .await
        .expect("the user's lock");
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::spawn(analyzer::run(
        app.analyzer_settings.clone(),
        app.stores.clone(),
        shutdown.clone().cancelled_owned(),
    ));
    let pool = app.pool.clone();
    wait_for(
        "both fast rules waiting for the user's lock",
        Duration::from_secs(30),
        || {
            let pool = pool.clone();
            async move {
                let waiting: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7001
                     AND objsubid = 2 AND NOT granted",
                )
                .fetch_one(&pool)
                .await
                .ok()?;
                (waiting == 2).then_some(())
            }
        },
    )
    .await;
    holder.rollback().await.expect("release");
    let findings = || {
        let pool = pool.clone();
        async move {
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT rule_id, case_id FROM findings WHERE event_id = 'nrt-leaver-btg'
                 ORDER BY rule_id",
            )
            .fetch_all(&pool)
            .await
            .ok()?;
            (rows.len() == 2).then_some(rows)
        }
    };
    let rows = wait_for("both findings recorded", Duration::from_secs(30), findings).await;
    shutdown.cancel();
    assert_eq!(rows[0].0, "emergency_access");
    assert_eq!(rows[1].0, "leaver_access");
    assert_eq!(rows[0].1, rows[1].1, "one case: {rows:?}");
    let cases: i64 = sqlx::query_scalar("SELECT count(*) FROM cases WHERE user_id = $1")
        .bind(leaver)
        .fetch_one(&app.pool)
        .await
        .expect("cases");
    assert_eq!(cases, 1);
}
