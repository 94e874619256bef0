//! Merging and splitting cases, and joint cases: the joint-case rule shares a case with the
//! organisation whose data source served the record, whose officers then see it, work it and
//! are told about it (without patient data); only the owning organisation merges or shares.

use serde_json::json;
use std::time::Duration;
use tests::{wait_for, Background, TestApp};

#[tokio::test]
async fn cases_merge_and_split_with_their_findings_and_patients() {
    let app = TestApp::spawn("merge_split", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    app.account("officer-a", "privacy_officer", Some("RDM01"))
        .await;
    // One user, two patients: the analyzer opens one case; the officer splits the second
    // patient's finding out, then decides it is one story after all and merges it back (a
    // case is about one user, so only one user's cases merge).
    let first = app
        .open_case("ms-1", "555000000201", "RDM01", "9990001429")
        .await;
    let same = app
        .open_case("ms-2", "555000000201", "RDM01", "9990001437")
        .await;
    assert_eq!(first, same);
    let finding: i64 = sqlx::query_scalar("SELECT id FROM findings WHERE event_id = 'ms-2'")
        .fetch_one(&app.pool)
        .await
        .expect("finding");
    let version = app.case_version(&first).await;
    let (status, split) = app
        .api_post(
            &format!("/api/v1/cases/{first}/split"),
            "officer-a",
            json!({"version": version, "finding_ids": [finding], "reason": "Looked unrelated at first."}),
        )
        .await;
    assert_eq!(status, 200, "{split}");
    let second = split["created"]["reference"]
        .as_str()
        .expect("new reference")
        .to_owned();
    let version = app.case_version(&first).await;
    let second_version = app.case_version(&second).await;

    // Another user's case never merges into this one.
    let other = app
        .open_case("ms-3", "555000000203", "RDM01", "9990001445")
        .await;
    assert_ne!(other, first);
    let (status, answer) = app
        .api_post(
            &format!("/api/v1/cases/{first}/merge"),
            "officer-a",
            json!({"version": version, "source": other, "source_version": app.case_version(&other).await}),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("different users")),
        "{answer}"
    );

    let (status, answer) = app
        .api_post(
            &format!("/api/v1/cases/{first}/merge"),
            "officer-a",
            json!({"version": version, "source": second, "source_version": second_version + 1}),
        )
        .await;
    assert_eq!(status, 409, "the source's version is stale: {answer}");
    let (status, merged) = app
        .api_post(
            &format!("/api/v1/cases/{first}/merge"),
            "officer-a",
            json!({"version": version, "source": second, "source_version": second_version}),
        )
        .await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["target"]["version"], version + 1);
    let (_, target) = app
        .api_get(&format!("/api/v1/cases/{first}"), "officer-a")
        .await;
    assert_eq!(target["finding_count"], 2);
    assert_eq!(target["findings"].as_array().map(Vec::len), Some(2));
    let (status, source) = app
        .api_get(&format!("/api/v1/cases/{second}"), "officer-a")
        .await;
    assert_eq!(status, 200, "{source}");
    assert_eq!(
        (source["state"].as_str(), source["merged_into"].as_str()),
        (Some("closed"), Some(first.as_str()))
    );
    assert_eq!(source["finding_count"], 0);
    let patients: Vec<String> = sqlx::query_scalar(
        "SELECT p.patient_id FROM case_patients p JOIN cases c ON c.id = p.case_id WHERE c.reference = $1 ORDER BY 1",
    )
    .bind(&first)
    .fetch_all(&app.pool)
    .await
    .expect("patients");
    assert_eq!(patients, ["9990001429", "9990001437"]);

    // The merged case is worked through its target: every change is a conflict naming it.
    let merged_version = app.case_version(&second).await;
    for (action, body) in [
        (
            "transition",
            json!({"version": merged_version, "to": "investigating", "reason": "x"}),
        ),
        (
            "notes",
            json!({"version": merged_version, "body": "a note"}),
        ),
        (
            "assign",
            json!({"version": merged_version, "assignee": "officer-a"}),
        ),
        (
            "breach",
            json!({"version": merged_version, "aware_at": "2026-03-01T09:00:00Z"}),
        ),
    ] {
        let (status, answer) = app
            .api_post(
                &format!("/api/v1/cases/{second}/{action}"),
                "officer-a",
                body,
            )
            .await;
        assert_eq!(status, 409, "{action}: {answer}");
        assert_eq!(answer["merged_into"], first.as_str(), "{action}: {answer}");
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.contains(&format!("merged into case {first}"))),
            "{action}: {answer}"
        );
    }
    let version = app.case_version(&first).await;

    // Split the second patient's finding back out.
    let moving = target["findings"]
        .as_array()
        .and_then(|findings| findings.iter().find(|f| f["patient_id"] == "9990001437"))
        .and_then(|f| f["finding_id"].as_i64())
        .expect("finding id");
    let (status, answer) = app
        .api_post(
            &format!("/api/v1/cases/{first}/split"),
            "officer-a",
            json!({"version": version, "finding_ids": [moving], "reason": ""}),
        )
        .await;
    assert_eq!(status, 422, "a split needs a reason: {answer}");
    let (status, split) = app
        .api_post(&format!("/api/v1/cases/{first}/split"), "officer-a", json!({"version": version, "finding_ids": [moving], "reason": "Unrelated: this patient was on the user's ward list."}))
        .await;
    assert_eq!(status, 200, "{split}");
    let created = split["created"]["reference"]
        .as_str()
        .expect("new reference")
        .to_owned();
    let (_, new_case) = app
        .api_get(&format!("/api/v1/cases/{created}"), "officer-a")
        .await;
    assert_eq!(
        (
            new_case["patient_id"].as_str(),
            new_case["finding_count"].as_i64()
        ),
        (Some("9990001437"), Some(1))
    );
    assert_eq!(
        (new_case["user_id"].as_str(), new_case["severity"].as_str()),
        (Some("555000000201"), Some("high"))
    );
    let (_, original) = app
        .api_get(&format!("/api/v1/cases/{first}"), "officer-a")
        .await;
    assert_eq!(
        (
            original["patient_id"].as_str(),
            original["finding_count"].as_i64()
        ),
        (Some("9990001429"), Some(1))
    );
    let actions: Vec<String> = app
        .timeline(&first)
        .await
        .into_iter()
        .map(|(_, action)| action)
        .collect();
    assert!(
        actions.contains(&"merged_from".to_owned()) && actions.contains(&"split".to_owned()),
        "{actions:?}"
    );
    let actions: Vec<String> = app
        .timeline(&second)
        .await
        .into_iter()
        .map(|(_, action)| action)
        .collect();
    assert!(actions.contains(&"merged_into".to_owned()), "{actions:?}");
}

#[tokio::test]
async fn a_joint_case_reaches_both_organisations() {
    let app = TestApp::spawn("joint_case", Background::ALL).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    app.add_organisation("RDM02", "po@rdm02.example").await;
    app.account("officer-a", "privacy_officer", Some("RDM01"))
        .await;
    app.account("officer-b", "privacy_officer", Some("RDM02"))
        .await;
    app.account("admin", "administrator", None).await;
    // The record was served by an exchange node that carries RDM02's data (the collector names
    // an HTTP sender after its address).
    let (status, answer) = app
        .api_post(
            "/api/v1/data-sources",
            "officer-a",
            json!({"source_node": "http:127.0.0.1", "org_code": "RDM02"}),
        )
        .await;
    assert_eq!(
        status, 403,
        "only administrators set the joint-case rule: {answer}"
    );
    let (status, _) = app
        .api_post(
            "/api/v1/data-sources",
            "admin",
            json!({"source_node": "http:127.0.0.1", "org_code": "RDM02"}),
        )
        .await;
    assert_eq!(status, 204);

    let event = tests::patient_read(
        "joint-1",
        "555000000202",
        "RDM01",
        "9990001445",
        "ETREAT",
        Some("looked up a friend"),
    );
    assert_eq!(app.post_json(&event).await.0, 201);
    let messages = wait_for(
        "both organisations' emails",
        Duration::from_secs(30),
        || async {
            let messages = app.smtp.messages();
            (messages.len() >= 2).then_some(messages)
        },
    )
    .await;
    let to = |address: &str| {
        messages
            .iter()
            .find(|m| m.contains(&format!("To: {address}")))
            .cloned()
    };
    let owner = to("po@rdm01.example").expect("the owner's officer is told");
    let joint = to("po@rdm02.example").expect("the second organisation's officer is told");
    assert!(
        owner.contains("Subject: [careaudit] New high case"),
        "{owner}"
    );
    assert!(
        joint.contains("Subject: [careaudit] Joint high case")
            && joint.contains("shared with RDM02"),
        "{joint}"
    );

    let reference: String = sqlx::query_scalar("SELECT reference FROM cases")
        .fetch_one(&app.pool)
        .await
        .expect("case");
    let (_, listed) = app.api_get("/api/v1/cases", "officer-b").await;
    assert_eq!(
        listed["cases"][0]["reference"],
        reference.as_str(),
        "{listed}"
    );
    assert_eq!(listed["cases"][0]["shared_with"], json!(["RDM02"]));
    let version = app.case_version(&reference).await;
    let (status, _) = app
        .api_post(
            &format!("/api/v1/cases/{reference}/notes"),
            "officer-b",
            json!({"version": version, "body": "Our patient; we will contact them."}),
        )
        .await;
    assert_eq!(status, 200, "the second organisation works the joint case");
    let (status, answer) = app
        .api_post(
            &format!("/api/v1/cases/{reference}/unshare"),
            "officer-b",
            json!({"version": version + 1, "org_code": "RDM02", "reason": "not ours"}),
        )
        .await;
    assert_eq!(
        status, 403,
        "only the owner changes who shares it: {answer}"
    );
    let timeline = app.timeline(&reference).await;
    assert!(
        timeline.contains(&("alerts".to_owned(), "shared".to_owned())),
        "{timeline:?}"
    );
}
