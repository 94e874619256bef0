//! The case workflow in the browser's way (HTML forms with the session's CSRF token, no
//! JavaScript): an officer works a case through the case page's forms, new → triage →
//! investigating → closed with a note and a disposition, and every change is on the timeline;
//! a stale form is a conflict page, not a change; a potential breach shows its 72-hour
//! deadline, cannot be closed before the reporting decision, and lands in the breach-log report
//! and the monthly report.

use crate::dashboards_support::{case_row, form_version, seed, signed_in, PASSWORD};
use tests::{Background, TestApp};

#[tokio::test]
async fn an_officer_works_a_case_through_the_case_page_forms() {
    let app = TestApp::spawn("dash_case_forms", Background::NONE).await;
    let seeded = seed(&app).await;
    let case = seeded.case_a.clone();
    let case_path = format!("/cases/{case}");
    let mut officer = signed_in(&app, "officer-a").await;

    let (status, _, page) = officer.get(&case_path).await;
    assert_eq!(status, 200);
    for form in [
        "assign-me",
        "assign",
        "move",
        "close",
        "note",
        "mark-breach",
    ] {
        assert!(page.contains(&format!("id=\"{form}\"")), "the {form} form");
    }
    // The assign list offers the case's organisation's officers, not the other one's.
    assert!(page.contains("value=\"officer-a\"") && !page.contains("value=\"officer-b\""));
    let first_version = form_version(&page);

    // Assign to me: a redirect back to the case page, which says so.
    let (status, headers, _) = officer
        .post_form(
            &format!("{case_path}/assign"),
            &[("version", &first_version), ("assignee", "me")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        headers["location"],
        format!("{case_path}?done=assigned#workflow").as_str()
    );
    let (_, _, page) = officer.get(&format!("{case_path}?done=assigned")).await;
    assert!(page.contains("The assignment was saved."));
    assert!(
        page.contains("id=\"assignee\">officer-a<"),
        "assignee shown"
    );

    // A form read before that change is stale: a conflict page, and nothing changes.
    let before = case_row(&app, &case).await;
    let (status, _, stale) = officer
        .post_form(
            &format!("{case_path}/state"),
            &[("version", &first_version), ("to", "triage")],
        )
        .await;
    assert_eq!(status, 409, "{stale}");
    assert!(
        stale.contains("changed by someone else since you read it"),
        "{stale}"
    );
    assert!(
        stale.contains(&format!("href=\"{case_path}\"")),
        "a way back to the case"
    );
    assert_eq!(case_row(&app, &case).await, before);

    // Assigning to an officer of another organisation is refused with the reason.
    let version = form_version(&officer.get(&case_path).await.2);
    let (status, _, refused) = officer
        .post_form(
            &format!("{case_path}/assign"),
            &[("version", &version), ("assignee", "officer-b")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        refused.contains("is not a privacy officer of RDM01"),
        "{refused}"
    );

    // new → triage → investigating, a note, then closing (a disposition is required).
    for (path, fields) in [
        ("state", vec![("to", "triage"), ("reason", "looks odd")]),
        (
            "notes",
            vec![("body", "Asked the ward manager <b>today</b>")],
        ),
        ("state", vec![("to", "investigating")]),
    ] {
        let version = form_version(&officer.get(&case_path).await.2);
        let mut form = vec![("version", version.as_str())];
        form.extend(fields);
        let (status, _, page) = officer
            .post_form(&format!("{case_path}/{path}"), &form)
            .await;
        assert_eq!(status, 303, "{path}: {page}");
    }
    let version = form_version(&officer.get(&case_path).await.2);
    let (status, _, page) = officer
        .post_form(
            &format!("{case_path}/state"),
            &[("version", &version), ("to", "closed"), ("disposition", "")],
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        page.contains("closing a case needs a disposition"),
        "{page}"
    );
    let (status, _, _) = officer
        .post_form(
            &format!("{case_path}/state"),
            &[
                ("version", &version),
                ("to", "closed"),
                ("disposition", "inappropriate_education"),
                ("reason", "no care relationship"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (state, disposition, _) = case_row(&app, &case).await;
    assert_eq!(
        (state.as_str(), disposition.as_deref()),
        ("closed", Some("inappropriate_education"))
    );

    // The timeline shows every change, by whom, in words; the note is escaped.
    let timeline: Vec<(String, String)> = app
        .timeline(&case)
        .await
        .into_iter()
        .filter(|(actor, _)| actor == "officer-a")
        .collect();
    let actions: Vec<&str> = timeline.iter().map(|(_, action)| action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "assigned",
            "state_changed",
            "note_added",
            "state_changed",
            "state_changed"
        ]
    );
    let (_, _, page) = officer.get(&case_path).await;
    let shown = &page[page.find("id=\"timeline\"").expect("timeline")..];
    for words in [
        "assigned to officer-a",
        "moved from new to triage (looks odd)",
        "note: Asked the ward manager &lt;b&gt;today&lt;/b&gt;",
        "moved from triage to investigating",
        "closed from investigating as inappropriate — education (no care relationship)",
    ] {
        assert!(shown.contains(words), "timeline shows {words:?}");
    }
    assert!(
        page.contains("id=\"reopen\""),
        "a closed case offers reopening"
    );
    assert!(!page.contains("id=\"close\"") && !page.contains("id=\"move\""));
    assert!(
        page.contains("<option value=\"officer-a\" selected>"),
        "the assignee is preselected"
    );

    // Without the session's CSRF token nothing changes.
    let version = form_version(&page);
    let (status, _, _) = officer
        .post_form(
            &format!("{case_path}/notes"),
            &[
                ("version", &version),
                ("body", "x"),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(status, 403);

    // Another organisation's officer cannot even find the case; an investigator may read it
    // but gets no forms (alerts lets only officers and administrators change cases).
    let mut other = signed_in(&app, "officer-b").await;
    let (status, _, _) = other
        .post_form(
            &format!("{case_path}/notes"),
            &[("version", &version), ("body", "not mine")],
        )
        .await;
    assert_eq!(status, 404);
    let mut investigator = signed_in(&app, "investigator").await;
    let (status, _, page) = investigator.get(&case_path).await;
    assert_eq!(status, 200);
    assert!(page.contains("may read this case but not change it"));
    assert!(!page.contains("id=\"assign-me\""));
    let notes: i64 = sqlx::query_scalar("SELECT count(*) FROM case_notes")
        .fetch_one(&app.pool)
        .await
        .expect("notes");
    assert_eq!(notes, 1);
}

#[tokio::test]
async fn a_potential_breach_shows_its_deadline_and_reaches_the_reports() {
    let app = TestApp::spawn("dash_case_breach", Background::NONE).await;
    let seeded = seed(&app).await;
    let case = seeded.case_a.clone();
    let case_path = format!("/cases/{case}");
    let mut officer = signed_in(&app, "officer-a").await;
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| (path, fields);
    let aware = (chrono::Utc::now() - chrono::Duration::hours(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let steps = [
        post("state", vec![("to", "triage".into())]),
        post(
            "breach",
            vec![
                ("aware_at", aware.clone()),
                ("what_happened", "viewed a neighbour's record".into()),
            ],
        ),
    ];
    for (path, fields) in steps {
        let version = form_version(&officer.get(&case_path).await.2);
        let mut form = vec![("version", version)];
        form.extend(fields);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, page) = officer
            .post_form(&format!("{case_path}/{path}"), &form)
            .await;
        assert_eq!(status, 303, "{path}: {page}");
    }
    // The page shows the awareness time, the 72-hour deadline and the time left.
    let (_, _, page) = officer.get(&case_path).await;
    let deadline = (chrono::NaiveDateTime::parse_from_str(&aware, "%Y-%m-%dT%H:%M").expect("time")
        + chrono::Duration::hours(72))
    .format("%Y-%m-%d %H:%M UTC")
    .to_string();
    let breach = &page[page.find("id=\"breach\"").expect("the breach facts")..];
    assert!(breach.contains(&deadline), "deadline {deadline} shown");
    assert!(
        breach.contains("h ") && breach.contains("min left"),
        "time left shown"
    );
    assert!(page.contains("id=\"breach-decision\""));
    assert!(page.contains(&format!(
        "marked as a potential breach; ICO deadline {deadline}"
    )));

    // It cannot be closed before the reporting decision; a decision needs its reference.
    let version = form_version(&page);
    let (status, _, refused) = officer
        .post_form(
            &format!("{case_path}/state"),
            &[
                ("version", &version),
                ("to", "closed"),
                ("disposition", "reported_to_ico"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        refused.contains("record whether it was reported to the ICO"),
        "{refused}"
    );
    let (status, _, refused) = officer
        .post_form(
            &format!("{case_path}/breach/decision"),
            &[
                ("version", &version),
                ("decision", "reported"),
                ("ico_reference", " "),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(refused.contains("needs the ICO's reference"), "{refused}");
    let (status, _, _) = officer
        .post_form(
            &format!("{case_path}/breach/decision"),
            &[
                ("version", &version),
                ("decision", "reported"),
                ("ico_reference", "ICO-00042"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    // The facts of the entry, filled in on the page (a count must be a number).
    let version = form_version(&officer.get(&case_path).await.2);
    let facts = |people: &'static str| {
        vec![
            ("data_affected", "demographics and GP record"),
            ("people_affected", people),
            ("remedial_action", "access removed, user retrained"),
        ]
    };
    let form = |people| {
        let mut form = vec![("version", version.as_str())];
        form.extend(facts(people));
        form
    };
    let (status, _, refused) = officer
        .post_form(&format!("{case_path}/breach/facts"), &form("many"))
        .await;
    assert_eq!(status, 400);
    assert!(refused.contains("is not a whole number"), "{refused}");
    let (status, _, _) = officer
        .post_form(&format!("{case_path}/breach/facts"), &form("1"))
        .await;
    assert_eq!(status, 303);
    let version = form_version(&officer.get(&case_path).await.2);
    let (status, _, _) = officer
        .post_form(
            &format!("{case_path}/state"),
            &[
                ("version", &version),
                ("to", "closed"),
                ("disposition", "reported_to_ico"),
            ],
        )
        .await;
    assert_eq!(status, 303);

    // The breach-log report comes from the breach log: deadline met, the ICO's reference.
    let csv = app
        .http
        .get(format!(
            "{}/api/v1/reports/breach-log?format=csv",
            app.dashboards_url
        ))
        .basic_auth("auditor", Some(PASSWORD))
        .send()
        .await
        .expect("report")
        .text()
        .await
        .expect("csv");
    let line = csv
        .lines()
        .find(|l| l.contains(&case))
        .unwrap_or_else(|| panic!("{csv}"));
    for value in [
        "RDM01",
        "met",
        "reported",
        "ICO-00042",
        "viewed a neighbour's record",
        "demographics and GP record",
        "access removed, user retrained",
        &deadline[..16],
    ] {
        assert!(line.contains(value), "{value:?} in {line}");
    }
    let (_, _, page) = officer.get("/reports/breach-log").await;
    assert!(page.contains("ICO-00042"));
    // officer-b's organisation has no breach.
    let (_, _, other) = signed_in(&app, "officer-b")
        .await
        .get("/reports/breach-log")
        .await;
    assert!(!other.contains("ICO-00042"));

    // The monthly report: time to triage from the first move out of new, and the breach log.
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let report: serde_json::Value = app
        .http
        .get(format!(
            "{}/api/v1/reports/governance?month={month}",
            app.dashboards_url
        ))
        .basic_auth("auditor", Some(PASSWORD))
        .send()
        .await
        .expect("report")
        .json()
        .await
        .expect("json");
    let sections = report["sections"].as_array().expect("sections");
    let rows = |heading: &str| {
        sections
            .iter()
            .find(|s| {
                s["heading"]
                    .as_str()
                    .is_some_and(|h| h.starts_with(heading))
            })
            .unwrap_or_else(|| panic!("section {heading} in {report}"))["rows"][0]
            .clone()
    };
    let times = rows("Time to triage");
    assert_eq!(times[0], "2", "two cases opened: {times}");
    assert_ne!(times[2], "–", "case A was triaged: {times}");
    let triage_hours: f64 = times[2]
        .as_str()
        .and_then(|h| h.parse().ok())
        .expect("hours");
    assert!(triage_hours < 1.0, "triaged within the test: {times}");
    let breaches = rows("Breaches");
    assert_eq!(breaches, serde_json::json!(["1", "1", "1", "1", "0"]));
}
