//! The case queue's bulk actions: an officer ticks cases and assigns them, moves them to
//! triage or closes them as appropriate; each case goes through alerts' workflow on its own, so
//! a case of another organisation is "not found", a stale tick a conflict, and the answer
//! lists every case with its outcome.

use crate::dashboards_support::{case_row, seed, signed_in, PATIENT_A, PATIENT_B};
use tests::{Background, TestApp, WebClient};

#[tokio::test]
async fn bulk_actions_change_only_the_officers_own_cases() {
    let app = TestApp::spawn("dash_bulk", Background::NONE).await;
    let seeded = seed(&app).await;
    let second = app
        .open_case("bulk-2", "555000000021", "RDM01", PATIENT_A)
        .await;
    let third = app
        .open_case("bulk-3", "555000000039", "RDM01", PATIENT_B)
        .await;
    let own = [seeded.case_a.clone(), second, third];
    let mut officer = signed_in(&app, "officer-a").await;
    let (_, _, queue) = officer.get("/cases").await;
    assert!(queue.contains("id=\"bulk\""), "the queue has the bulk form");
    // "Assign to" offers the officers of the listed cases' organisation only.
    assert!(queue.contains("<option value=\"officer-a\">"));
    assert!(!queue.contains("<option value=\"officer-b\">"));
    let ticks = |cases: &[String], versions: &[i32]| -> Vec<String> {
        cases
            .iter()
            .zip(versions)
            .map(|(case, version)| format!("{case}:{version}"))
            .collect()
    };
    let mut versions = Vec::new();
    for case in &own {
        versions.push(case_row(&app, case).await.2);
        assert!(queue.contains(&format!("value=\"{case}:{}\"", versions.last().expect("v"))));
    }
    async fn bulk(
        officer: &mut WebClient,
        action: &str,
        extra: &[(&str, &str)],
        ticks: &[String],
    ) -> (u16, String) {
        let mut form: Vec<(&str, &str)> = vec![("action", action)];
        form.extend_from_slice(extra);
        form.extend(ticks.iter().map(|tick| ("case", tick.as_str())));
        let (status, _, page) = officer.post_form("/cases/bulk", &form).await;
        (status.as_u16(), page)
    }

    // Move to triage: the officer's three cases change; a forged tick for the other
    // organisation's case is "not found" and leaves it alone.
    let b_version = case_row(&app, &seeded.case_b).await.2;
    let mut forged = ticks(&own, &versions);
    forged.push(format!("{}:{b_version}", seeded.case_b));
    let (status, page) = bulk(&mut officer, "triage", &[], &forged).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("3 of 4 case(s) changed"), "{page}");
    assert!(
        page.contains(&format!("case {} not found", seeded.case_b)),
        "{page}"
    );
    for case in &own {
        assert_eq!(case_row(&app, case).await.0, "triage");
    }
    assert_eq!(case_row(&app, &seeded.case_b).await.0, "new");

    // The versions ticked before that are stale now: every case is a conflict.
    let (_, page) = bulk(&mut officer, "assign_me", &[], &ticks(&own, &versions)).await;
    assert!(page.contains("0 of 3 case(s) changed"), "{page}");
    assert_eq!(
        page.matches("changed by someone else since you read it")
            .count(),
        3
    );

    // Fresh versions: assign to me, assign to an officer elsewhere (refused), close.
    let mut fresh = Vec::new();
    for case in &own {
        fresh.push(case_row(&app, case).await.2);
    }
    let (_, page) = bulk(&mut officer, "assign_me", &[], &ticks(&own, &fresh)).await;
    assert!(page.contains("3 of 3 case(s) changed"), "{page}");
    let assigned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM cases c JOIN app_users u ON u.id = c.assignee WHERE u.username = 'officer-a'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("assigned");
    assert_eq!(assigned, 3);
    let fresh: Vec<i32> = {
        let mut v = Vec::new();
        for case in &own {
            v.push(case_row(&app, case).await.2);
        }
        v
    };
    let (_, page) = bulk(
        &mut officer,
        "assign",
        &[("assignee", "officer-b")],
        &ticks(&own, &fresh),
    )
    .await;
    assert!(page.contains("0 of 3 case(s) changed"), "{page}");
    assert!(page.contains("is not a privacy officer of RDM01"), "{page}");
    let (_, page) = bulk(&mut officer, "close_appropriate", &[], &ticks(&own, &fresh)).await;
    assert!(page.contains("3 of 3 case(s) changed"), "{page}");
    for case in &own {
        let (state, disposition, _) = case_row(&app, case).await;
        assert_eq!(
            (state.as_str(), disposition.as_deref()),
            ("closed", Some("appropriate"))
        );
        let actions: Vec<String> = app
            .timeline(case)
            .await
            .into_iter()
            .filter(|(actor, _)| actor == "officer-a")
            .map(|(_, action)| action)
            .collect();
        assert_eq!(actions, ["state_changed", "assigned", "state_changed"]);
    }

    // Bad forms are clear errors; a role that may not work cases is refused outright.
    let (status, page) = bulk(&mut officer, "delete", &[], &ticks(&own, &fresh)).await;
    assert_eq!(status, 400);
    assert!(page.contains("unknown bulk action"), "{page}");
    let (status, page) = bulk(&mut officer, "triage", &[], &[]).await;
    assert_eq!(status, 400);
    assert!(page.contains("tick at least one case"), "{page}");
    let mut auditor = signed_in(&app, "auditor").await;
    let (status, _) = bulk(&mut auditor, "triage", &[], &ticks(&own, &fresh)).await;
    assert_eq!(status, 403);
}
