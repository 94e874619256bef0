//! The case workflow through the JSON API, on cases the analyzer opened: the state machine with
//! dispositions and reasons, assignment, notes, the breach decision gating closure, scope (an
//! officer of another organisation cannot see or act; an auditor cannot act), and the
//! append-only timeline recording who did what.

use serde_json::json;
use tests::{Background, TestApp};

#[tokio::test]
async fn an_officer_works_a_case_to_a_defensible_outcome() {
    let app = TestApp::spawn("workflow_outcome", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    app.add_organisation("RDM02", "po@rdm02.example").await;
    app.account("officer-a", "privacy_officer", Some("RDM01"))
        .await;
    app.account("colleague-a", "privacy_officer", Some("RDM01"))
        .await;
    app.account("officer-b", "privacy_officer", Some("RDM02"))
        .await;
    app.account("auditor-a", "auditor", Some("RDM01")).await;
    let reference = app
        .open_case("wf-1", "555000000101", "RDM01", "9990001402")
        .await;
    let path = |action: &str| format!("/api/v1/cases/{reference}/{action}");

    // Another organisation's officer: as if the case did not exist. An auditor: read-only.
    let (status, _) = app
        .api_post(
            &path("transition"),
            "officer-b",
            json!({"version": 1, "to": "triage"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, answer) = app
        .api_post(
            &path("transition"),
            "auditor-a",
            json!({"version": 1, "to": "triage"}),
        )
        .await;
    assert_eq!(status, 403, "{answer}");

    // Forward through the states; each change answers the next version.
    let (status, answer) = app
        .api_post(
            &path("transition"),
            "officer-a",
            json!({"version": 1, "to": "triage"}),
        )
        .await;
    assert_eq!(
        (status, answer["version"].as_i64()),
        (200, Some(2)),
        "{answer}"
    );
    let (status, answer) = app
        .api_post(
            &path("assign"),
            "officer-a",
            json!({"version": 2, "assignee": "colleague-a"}),
        )
        .await;
    assert_eq!(
        (status, answer["version"].as_i64()),
        (200, Some(3)),
        "{answer}"
    );
    let (status, answer) = app
        .api_post(
            &path("assign"),
            "officer-a",
            json!({"version": 3, "assignee": "officer-b"}),
        )
        .await;
    assert_eq!(status, 422, "officer-b works for RDM02: {answer}");
    let (status, _) = app
        .api_post(
            &path("notes"),
            "colleague-a",
            json!({"version": 3, "body": "Spoke to the ward manager."}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, answer) = app
        .api_post(
            &path("transition"),
            "colleague-a",
            json!({"version": 4, "to": "new"}),
        )
        .await;
    assert_eq!(status, 422, "nothing goes back to new: {answer}");
    let (status, _) = app
        .api_post(
            &path("transition"),
            "colleague-a",
            json!({"version": 4, "to": "investigating"}),
        )
        .await;
    assert_eq!(status, 200);

    // A potential breach: the clock starts when the organisation became aware.
    let aware = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let (status, answer) = app
        .api_post(&path("breach"), "colleague-a", json!({"version": 5, "aware_at": aware, "what_happened": "Viewed a neighbour's record."}))
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = app
        .api_post(
            &path("transition"),
            "colleague-a",
            json!({"version": 6, "to": "closed", "disposition": "inappropriate_disciplinary"}),
        )
        .await;
    assert_eq!(status, 422, "the reporting decision comes first: {answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap_or("")
            .contains("breach log"),
        "{answer}"
    );
    let (status, answer) = app
        .api(reqwest::Method::PATCH, &path("breach"), "colleague-a", Some(json!({"version": 6, "people_affected": 1, "remedial_action": "Access removed; retraining booked."})))
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = app
        .api_post(
            &path("breach/decision"),
            "colleague-a",
            json!({"version": 7, "decision": "not_reported", "reason": "  "}),
        )
        .await;
    assert_eq!(status, 422, "a decision not to report needs its reason");
    let (status, _) = app
        .api_post(&path("breach/decision"), "colleague-a", json!({"version": 7, "decision": "not_reported", "reason": "One person, no sensitive data; risk to rights unlikely."}))
        .await;
    assert_eq!(status, 200);
    let (status, answer) = app
        .api_post(
            &path("transition"),
            "colleague-a",
            json!({"version": 8, "to": "closed"}),
        )
        .await;
    assert_eq!(status, 422, "closing needs a disposition: {answer}");
    let (status, answer) = app
        .api_post(
            &path("transition"),
            "colleague-a",
            json!({"version": 8, "to": "closed", "disposition": "reported_to_ico"}),
        )
        .await;
    assert_eq!(status, 422, "it was not reported: {answer}");
    let (status, answer) = app
        .api_post(&path("transition"), "colleague-a", json!({"version": 8, "to": "closed", "disposition": "inappropriate_disciplinary", "reason": "HR informed"}))
        .await;
    assert_eq!(
        (status, answer["version"].as_i64()),
        (200, Some(9)),
        "{answer}"
    );
    let (status, _) = app
        .api_post(
            &path("transition"),
            "officer-a",
            json!({"version": 9, "to": "investigating"}),
        )
        .await;
    assert_eq!(status, 422, "reopening needs a reason");

    // The breach log export: the entry with its decision and reason, for RDM01 only.
    let export = |user: &'static str| {
        let request = app
            .http
            .get(format!("{}/api/v1/breaches?format=csv", app.dashboards_url))
            .basic_auth(user, Some(format!("pw-{user}")));
        async move {
            request
                .send()
                .await
                .expect("reachable")
                .text()
                .await
                .expect("csv")
        }
    };
    let csv = export("officer-a").await;
    let mut lines = csv.lines();
    assert!(
        lines.next().is_some_and(
            |header| header.starts_with("case_reference,org_code,aware_at,deadline_at")
        ),
        "{csv}"
    );
    let entry = lines.next().expect("one entry");
    assert!(entry.starts_with(&format!("{reference},RDM01,")), "{entry}");
    assert!(
        entry.contains(",not_reported,,,") && entry.contains("risk to rights unlikely"),
        "{entry}"
    );
    assert_eq!(lines.next(), None);
    assert_eq!(
        export("officer-b").await.lines().count(),
        1,
        "another organisation sees only the header"
    );

    // The case as the API shows it, and its timeline with every actor.
    let (status, detail) = app
        .api_get(&format!("/api/v1/cases/{reference}"), "officer-a")
        .await;
    assert_eq!(status, 200);
    assert_eq!(detail["state"], "closed");
    assert_eq!(detail["disposition"], "inappropriate_disciplinary");
    assert_eq!(detail["assignee"], "colleague-a");
    assert_eq!(detail["notes"][0]["body"], "Spoke to the ward manager.");
    assert_eq!(detail["breach"]["decision"], "not_reported");
    assert_eq!(detail["breach"]["people_affected"], 1);
    let timeline: Vec<(String, String)> = app
        .timeline(&reference)
        .await
        .into_iter()
        .filter(|(actor, _)| actor != "analyzer")
        .collect();
    let expected = [
        ("officer-a", "state_changed"),
        ("officer-a", "assigned"),
        ("colleague-a", "note_added"),
        ("colleague-a", "state_changed"),
        ("colleague-a", "marked_potential_breach"),
        ("colleague-a", "breach_updated"),
        ("colleague-a", "breach_decided"),
        ("colleague-a", "state_changed"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(timeline, expected);

    // The timeline, the notes and the breach log cannot be rewritten.
    for statement in [
        "UPDATE case_timeline SET actor = 'nobody'",
        "DELETE FROM case_notes",
        "DELETE FROM breach_records",
    ] {
        let refused = sqlx::query(statement).execute(&app.pool).await;
        assert!(refused.is_err(), "{statement} must be refused");
    }
}

#[tokio::test]
async fn two_officers_updating_one_case_one_wins_the_other_gets_a_conflict() {
    let app = TestApp::spawn("workflow_conflict", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    app.account("officer-1", "privacy_officer", Some("RDM01"))
        .await;
    app.account("officer-2", "privacy_officer", Some("RDM01"))
        .await;
    let reference = app
        .open_case("wf-c1", "555000000102", "RDM01", "9990001410")
        .await;
    let path = |action: &str| format!("/api/v1/cases/{reference}/{action}");

    for round in 0..8 {
        // Both read the same version, then write at the same moment.
        let version = app.case_version(&reference).await;
        let (notes, assign) = (path("notes"), path("assign"));
        let first = app.api_post(
            &notes,
            "officer-1",
            json!({"version": version, "body": format!("round {round}: officer 1")}),
        );
        let second = app.api_post(
            &assign,
            "officer-2",
            json!({"version": version, "assignee": "officer-2"}),
        );
        let ((status_1, answer_1), (status_2, answer_2)) = tokio::join!(first, second);
        let mut statuses = [status_1, status_2];
        statuses.sort();
        assert_eq!(
            statuses,
            [200, 409],
            "round {round}: {answer_1} / {answer_2}"
        );
        let (winner, loser) = if status_1 == 200 {
            (&answer_1, &answer_2)
        } else {
            (&answer_2, &answer_1)
        };
        assert_eq!(winner["version"].as_i64(), Some(i64::from(version) + 1));
        assert_eq!(
            loser["current_version"].as_i64(),
            Some(i64::from(version) + 1),
            "{loser}"
        );
        let message = loser["error"].as_str().unwrap_or("");
        assert!(
            message.contains("changed by someone else")
                && message.contains(&format!("you read version {version}")),
            "{message}"
        );
    }
    // Exactly the winners' changes happened: one version step and one timeline entry per round.
    assert_eq!(app.case_version(&reference).await, 9);
    let human_changes = app
        .timeline(&reference)
        .await
        .into_iter()
        .filter(|(actor, _)| actor.starts_with("officer-"))
        .count();
    assert_eq!(human_changes, 8);
}
