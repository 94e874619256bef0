//! The scheduled analyzer: windows advance a durable watermark, re-running a window creates no
//! duplicate findings or cases, and late-arriving events are still evaluated.

use domain::Timestamp;
use tests::{patient_read, Background, TestApp};

async fn counts(app: &TestApp) -> (i64, i64) {
    let findings: i64 = sqlx::query_scalar("SELECT count(*) FROM findings")
        .fetch_one(&app.pool)
        .await
        .expect("findings");
    let cases: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
        .fetch_one(&app.pool)
        .await
        .expect("cases");
    (findings, cases)
}

#[tokio::test]
async fn rerunning_a_window_creates_no_duplicates() {
    let mut app = TestApp::spawn("analyzer_rerun", Background::NONE).await;
    // Only the rule under test: the others have their own tests.
    tests::only_rules(&mut app.analyzer_settings, &["emergency_access"]);
    for (id, patient) in [
        ("w-1", "9990001259"),
        ("w-2", "9990001259"),
        ("w-3", "9990001267"),
    ] {
        let event = patient_read(id, "555000000003", "RDM01", patient, "BTG", None);
        assert_eq!(app.post_json(&event).await.0, 201);
    }
    let later = Timestamp::from_millis(Timestamp::now().as_millis() + 5_000);
    app.wait_until_shipped().await;
    let first = analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("first run");
    assert_eq!(
        (first.candidates, first.new_findings, first.opened_cases),
        (2, 2, 1),
        "two break-glass views of one patient within the hour are one finding"
    );
    assert_eq!(
        counts(&app).await,
        (2, 1),
        "one user's views of two patients close in time are one case"
    );

    // The same window again (watermark reset), and the next one: nothing new.
    sqlx::query("DELETE FROM analyzer_watermarks")
        .execute(&app.pool)
        .await
        .expect("reset");
    let again = analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("rerun");
    assert_eq!((again.candidates, again.new_findings), (2, 0));
    assert_eq!(counts(&app).await, (2, 1));
    let watermark = analyzer::load_watermark(&app.pool, "rule:emergency_access")
        .await
        .expect("watermark");
    let settled = later.as_millis() - app.analyzer_settings.settle_ms;
    assert_eq!(watermark, Some(settled / 1000 * 1000));

    // An event received after the watermark is evaluated by the next window.
    let late = patient_read(
        "w-late",
        "555000000004",
        "RDM01",
        "9990001275",
        "ETREAT",
        None,
    );
    assert_eq!(app.post_json(&late).await.0, 201);
    app.wait_until_shipped().await;
    // The first windows ended in the future (`later`); the next one must end after them.
    tokio::time::sleep(std::time::Duration::from_millis(
        u64::try_from(later.as_millis() - Timestamp::now().as_millis()).unwrap_or(0) + 1_300,
    ))
    .await;
    let next = Timestamp::now();
    let third = analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, next)
        .await
        .expect("next window");
    assert_eq!(third.new_findings, 1, "{third:?}");
    assert_eq!(counts(&app).await, (3, 2));
}

/// Valid NHS numbers (modulus 11) from `start` on.
fn nhs_numbers(start: u64, count: usize) -> Vec<String> {
    (start..)
        .map(|n| n.to_string())
        .filter(|n| domain::is_valid_nhs_number(n))
        .take(count)
        .collect()
}

/// Every row the analyzer writes, as text (without serial ids, which a fresh database would
/// number differently), in id order.
async fn analyzer_rows(app: &TestApp) -> Vec<String> {
    let tables = [
        "SELECT row_to_json(t)::text FROM (SELECT f.rule_id, f.event_id, f.severity, f.occurred_at,
                f.user_id, f.user_org, f.patient_id, f.explanation, f.evidence, c.reference,
                f.explained_away_at IS NULL AS standing
            FROM findings f JOIN cases c ON c.id = f.case_id ORDER BY f.id) t",
        "SELECT row_to_json(t)::text FROM (SELECT rule_id, event_id, severity, occurred_at, user_id,
                user_org, patient_id, explanation, evidence FROM pending_findings ORDER BY id) t",
        "SELECT row_to_json(t)::text FROM (SELECT suppression_id, rule_id, event_id, severity,
                occurred_at, user_id, patient_id FROM suppressed_findings ORDER BY id) t",
        "SELECT row_to_json(t)::text FROM (SELECT reference, org_code, user_id, patient_id, state,
                severity, score, score_components, first_event_at, last_event_at
            FROM cases ORDER BY id) t",
        "SELECT row_to_json(t)::text FROM (SELECT c.reference, p.patient_id, p.first_event_at,
                p.last_event_at FROM case_patients p JOIN cases c ON c.id = p.case_id
            ORDER BY c.id, p.patient_id) t",
        "SELECT row_to_json(t)::text FROM (SELECT c.reference, l.actor, l.action,
                l.detail - 'finding_id' AS detail,
                (SELECT f.event_id FROM findings f WHERE f.id = (l.detail->>'finding_id')::bigint) AS event
            FROM case_timeline l JOIN cases c ON c.id = l.case_id ORDER BY l.id) t",
    ];
    let mut rows = Vec::new();
    for sql in tables {
        let table: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(&app.pool)
            .await
            .expect("analyzer rows");
        rows.extend(table);
    }
    rows
}

#[tokio::test]
async fn rerunning_a_window_with_many_findings_gives_the_same_rows() {
    let mut app = TestApp::spawn("analyzer_rerun_many", Background::NONE).await;
    app.analyzer_settings.join_open_case_of_user_days = 0.0;
    let patients = nhs_numbers(9_990_002_000, 60);
    let now = chrono::Utc::now();
    let hours = |h: i64| now - chrono::Duration::hours(h);
    let mut views: Vec<(String, chrono::DateTime<chrono::Utc>, usize, &str)> = Vec::new();
    // One look: it waits. Serial looks days apart: a case, a later finding joining it, then a
    // look too late for the case as it stood, waiting, and a second case with the next one
    // (the grouping window alone, below, so that a case scored with an earlier one is re-run).
    views.push(("555000000101".into(), hours(240), 0, "TREAT"));
    for (h, p) in [(216, 1), (120, 2), (118, 3), (115, 4), (24, 5), (1, 6)] {
        views.push(("555000000102".into(), hours(h), p, "TREAT"));
    }
    // Emergency accesses, and a user every rule is suppressed for.
    for p in 7..10 {
        views.push(("555000000103".into(), hours(30 + p as i64), p, "ETREAT"));
        views.push(("555000000104".into(), hours(20 + p as i64), p, "TREAT"));
    }
    // Ten users with three patients each.
    for u in 0..10 {
        for p in 0..3 {
            let user = format!("5550000002{u:02}");
            views.push((
                user,
                hours(50 + u * 3 + p),
                10 + u as usize * 3 + p as usize,
                "TREAT",
            ));
        }
    }
    for (n, view) in views.iter().enumerate() {
        post_view(&app, &format!("many-{n}"), &patients, view).await;
    }
    sqlx::query(
        "INSERT INTO suppressions (user_id, reason, created_by, expires_at)
         VALUES ('555000000104', 'safeguarding lead', 'test', now() + interval '30 days')",
    )
    .execute(&app.pool)
    .await
    .expect("suppression");
    app.wait_until_shipped().await;
    let later = Timestamp::from_millis(Timestamp::now().as_millis() + 5_000);
    let first = analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("first run");
    assert!(first.opened_cases >= 12, "{first:?}");
    assert!(first.new_findings > first.opened_cases, "{first:?}");
    assert!(first.pending > 0 && first.suppressed >= 3, "{first:?}");
    let rows = analyzer_rows(&app).await;
    assert!(rows.len() > 150, "{} rows", rows.len());

    sqlx::query("DELETE FROM analyzer_watermarks")
        .execute(&app.pool)
        .await
        .expect("reset");
    let again = analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("rerun");
    assert_eq!(again.candidates, first.candidates);
    assert_eq!(
        (
            again.new_findings,
            again.pending,
            again.suppressed,
            again.opened_cases
        ),
        (0, 0, 0, 0),
        "{again:?}"
    );
    let rerun = analyzer_rows(&app).await;
    assert_eq!(rerun.len(), rows.len());
    for (before, after) in rows.iter().zip(&rerun) {
        assert_eq!(before, after);
    }
}

/// A view of the catch-up fixture: user, time, patient (index), purpose of use.
type View = (String, chrono::DateTime<chrono::Utc>, usize, &'static str);

/// The many-findings fixture above plus one user's session (two views of one patient in one
/// clock hour), in order of time and cut into batches stored at least a second apart, with a
/// cut through that session.
fn catch_up_batches(now: chrono::DateTime<chrono::Utc>) -> Vec<Vec<View>> {
    let hours = |h: i64| now - chrono::Duration::hours(h);
    let mut views: Vec<View> = vec![("555000000101".into(), hours(240), 0, "TREAT")];
    for (h, p) in [(216, 1), (120, 2), (118, 3), (115, 4), (24, 5), (1, 6)] {
        views.push(("555000000102".into(), hours(h), p, "TREAT"));
    }
    for p in 7..10 {
        views.push(("555000000103".into(), hours(30 + p as i64), p, "ETREAT"));
        views.push(("555000000104".into(), hours(20 + p as i64), p, "TREAT"));
    }
    for u in 0..10 {
        for p in 0..3 {
            views.push((
                format!("5550000002{u:02}"),
                hours(50 + u * 3 + p),
                10 + u as usize * 3 + p as usize,
                "TREAT",
            ));
        }
    }
    let hour = chrono::DateTime::from_timestamp((hours(12).timestamp() / 3_600) * 3_600, 0)
        .expect("an hour");
    let session = [
        hour + chrono::Duration::seconds(60),
        hour + chrono::Duration::seconds(1_800),
    ];
    for at in session {
        views.push(("555000000301".into(), at, 40, "ETREAT"));
    }
    views.sort_by_key(|view| view.1);
    let cuts = [hours(100), hours(40), hour + chrono::Duration::seconds(900)];
    let mut batches: Vec<Vec<View>> = vec![Vec::new(); cuts.len() + 1];
    for view in views {
        let batch = cuts.iter().filter(|cut| view.1 >= **cut).count();
        batches[batch].push(view);
    }
    batches
}

/// Posts one view as a clinician of RDM01 (an emergency one gives its reason).
async fn post_view(app: &TestApp, event_id: &str, patients: &[String], view: &View) {
    let (user, recorded, patient, purpose) = view;
    let event = careaudit::demo::patient_read_event(&careaudit::demo::ViewSpec {
        event_id: event_id.to_owned(),
        recorded: *recorded,
        user_id: user.clone(),
        user_name: "Test Clinician".to_owned(),
        role_code: "R8000".to_owned(),
        org_code: "RDM01".to_owned(),
        nhs_number: patients[*patient].clone(),
        purpose: (*purpose).to_owned(),
        reason: (*purpose == "ETREAT").then(|| "unconscious patient".to_owned()),
    });
    assert_eq!(app.post_json(&event).await.0, 201);
}

async fn post_batches(app: &TestApp, patients: &[String], batches: &[Vec<View>]) {
    for (n, batch) in batches.iter().enumerate() {
        if n > 0 {
            // The next batch is stored in a later second of ClickHouse's clock.
            tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        }
        for (m, view) in batch.iter().enumerate() {
            post_view(app, &format!("step-{n}-{m}"), patients, view).await;
        }
        app.wait_until_shipped().await;
    }
    sqlx::query(
        "INSERT INTO suppressions (user_id, reason, created_by, expires_at)
         VALUES ('555000000104', 'safeguarding lead', 'test', now() + interval '30 days')",
    )
    .execute(&app.pool)
    .await
    .expect("suppression");
}

#[tokio::test]
async fn a_catch_up_in_bounded_steps_records_what_one_window_records() {
    let now = chrono::Utc::now();
    let batches = catch_up_batches(now);
    let patients = nhs_numbers(9_990_003_000, 41);
    // No overlap, so a session cut by a step is kept whole by the steps' shared sessions alone
    // (a window's overlap re-reads the last minute before its watermark, which would hide it).
    let mut stepped = TestApp::spawn("analyzer_steps", Background::NONE).await;
    stepped.analyzer_settings.max_window_ms = 1_000;
    stepped.analyzer_settings.overlap_ms = 0;
    let mut whole = TestApp::spawn("analyzer_steps_whole", Background::NONE).await;
    whole.analyzer_settings.max_window_ms = 0;
    whole.analyzer_settings.overlap_ms = 0;
    post_batches(&stepped, &patients, &batches).await;
    post_batches(&whole, &patients, &batches).await;
    // One-second windows over batches stored seconds apart: one step per batch at least, and
    // the session of 555000000301 is cut by a step.
    let stored: Vec<u32> = stepped
        .clickhouse
        .query("SELECT DISTINCT toUInt32(stored_at) FROM access_arrivals ORDER BY 1")
        .fetch_all()
        .await
        .expect("stored seconds");
    assert!(stored.len() >= batches.len(), "{stored:?}");

    let later = || Timestamp::from_millis(Timestamp::now().as_millis() + 5_000);
    let in_steps = analyzer::run_once(
        &stepped.analyzer_settings,
        &stepped.clickhouse,
        &stepped.pool,
        later(),
    )
    .await
    .expect("catch-up in steps");
    let at_once = analyzer::run_once(
        &whole.analyzer_settings,
        &whole.clickhouse,
        &whole.pool,
        later(),
    )
    .await
    .expect("one window");
    assert!(at_once.opened_cases >= 12, "{at_once:?}");
    let outcome = |s: analyzer::RunSummary| {
        (
            s.candidates,
            s.new_findings,
            s.pending,
            s.suppressed,
            s.opened_cases,
        )
    };
    assert_eq!(outcome(in_steps), outcome(at_once));
    let (stepped_rows, whole_rows) = (analyzer_rows(&stepped).await, analyzer_rows(&whole).await);
    assert_eq!(stepped_rows.len(), whole_rows.len());
    for (step, one) in stepped_rows.iter().zip(&whole_rows) {
        assert_eq!(step, one);
    }
    // The session cut by a step is one finding of each rule that flags it, as in one window.
    let session: Vec<(String, i64)> = sqlx::query_as(
        "SELECT rule_id, count(*) FROM (
             SELECT rule_id FROM findings WHERE user_id = '555000000301'
             UNION ALL SELECT rule_id FROM pending_findings WHERE user_id = '555000000301') f
         GROUP BY rule_id ORDER BY rule_id",
    )
    .fetch_all(&stepped.pool)
    .await
    .expect("session findings");
    assert!(
        session.iter().any(|(rule, _)| rule == "emergency_access"),
        "{session:?}"
    );
    assert!(session.iter().all(|(_, n)| *n == 1), "{session:?}");
    // Every job of the stepped run reached the end of the one window.
    let behind: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM analyzer_watermarks
         WHERE job <> 'care_context' AND watermark_ms < (SELECT max(watermark_ms) FROM analyzer_watermarks WHERE job = 'explain')",
    )
    .fetch_one(&stepped.pool)
    .await
    .expect("watermarks");
    assert_eq!(behind, 0);
}

#[tokio::test]
async fn organisations_mostly_unexplained_in_the_lookback_are_skipped_by_the_weak_rules() {
    let mut app = TestApp::spawn("analyzer_skipped_orgs", Background::NONE).await;
    tests::only_rules(&mut app.analyzer_settings, &["no_relationship"]);
    let patients = nhs_numbers(9_990_004_000, 230);
    let now = chrono::Utc::now();
    let view = |n: usize, user: String, org: &str, days: i64| {
        careaudit::demo::patient_read_event(&careaudit::demo::ViewSpec {
            event_id: format!("skip-{n}"),
            recorded: now - chrono::Duration::days(days) - chrono::Duration::minutes(n as i64),
            user_id: user,
            user_name: "Test Clinician".to_owned(),
            role_code: "R8000".to_owned(),
            org_code: org.to_owned(),
            nhs_number: patients[n].clone(),
            purpose: "TREAT".to_owned(),
            reason: None,
        })
    };
    // An out-of-hours service with no care context in the feeds: 210 unexplained accesses
    // twenty days ago. A hospital with five, today.
    for n in 0..210 {
        let user = format!("5550000004{:02}", n % 7);
        assert_eq!(app.post_json(&view(n, user, "NXX01", 20)).await.0, 201);
    }
    for n in 210..215 {
        let user = "555000000501".to_owned();
        assert_eq!(app.post_json(&view(n, user, "RDM01", 0)).await.0, 201);
    }
    app.wait_until_shipped().await;
    let later = Timestamp::from_millis(Timestamp::now().as_millis() + 5_000);
    // Within the lookback (35 days by default) the service is mostly unexplained: skipped.
    let judged = analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("run");
    assert_eq!(judged.candidates, 5, "{judged:?}");
    let flagged: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT user_org FROM pending_findings UNION SELECT DISTINCT user_org FROM findings")
            .fetch_all(&app.pool)
            .await
            .expect("flagged organisations");
    assert_eq!(flagged, ["RDM01"]);

    // With a lookback of ten days its accesses are too old to judge it, so nothing is skipped.
    app.analyzer_settings.unexplained_org_lookback_days = 10.0;
    sqlx::query("DELETE FROM analyzer_watermarks")
        .execute(&app.pool)
        .await
        .expect("reset");
    let unjudged = analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("rerun");
    assert_eq!(unjudged.candidates, 215, "{unjudged:?}");
}
