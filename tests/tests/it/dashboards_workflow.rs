//! The case workflow in the browser's way (HTML forms with the session's CSRF token, no
//! JavaScript): an officer works a case through the case page's forms, new → triage →
//! investigating → closed with a note and a disposition, and every change is on the timeline;
//! a stale form is a conflict page, not a change; a potential breach shows its 72-hour
//! deadline, cannot be closed before the reporting decision, and lands in the breach-log report
//! and the monthly report; the queue's bulk actions change only the officer's own cases; and
//! `careaudit dashboards` alone exports its metrics.

use crate::dashboards_support::{seed, PASSWORD, PATIENT_A, PATIENT_B};
use secrecy::ExposeSecret;
use tests::{careaudit_binary, free_port, Background, TestApp, WebClient};

/// The value of the first `name="version"` field of a page (the version the forms carry).
fn form_version(page: &str) -> String {
    let marker = "name=\"version\" value=\"";
    let start = page.find(marker).expect("a form with the case version") + marker.len();
    let end = page[start..].find('"').expect("end of value");
    page[start..start + end].to_owned()
}

async fn signed_in(app: &TestApp, username: &str) -> WebClient {
    let mut browser = WebClient::new(&app.dashboards_url);
    assert_eq!(browser.sign_in(username, PASSWORD).await, 303);
    browser
}

async fn case_row(app: &TestApp, reference: &str) -> (String, Option<String>, i32) {
    sqlx::query_as("SELECT state, disposition, version FROM cases WHERE reference = $1")
        .bind(reference)
        .fetch_one(&app.pool)
        .await
        .expect("case")
}

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

#[tokio::test]
async fn the_dashboards_alone_export_their_metrics() {
    let app = TestApp::spawn("dash_metrics", Background::NONE).await;
    // In-process (as under `careaudit serve`), the collector's /metrics has them.
    let response = app
        .http
        .get(format!("{}/metrics", app.dashboards_url))
        .send()
        .await
        .expect("dashboards reachable");
    assert_eq!(response.status(), 404);

    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = tokio::process::Command::new(careaudit_binary())
        .arg("dashboards")
        .env("CAREAUDIT__CLICKHOUSE__URL", &app.stores.clickhouse.url)
        .env(
            "CAREAUDIT__CLICKHOUSE__DATABASE",
            &app.stores.clickhouse.database,
        )
        .env(
            "CAREAUDIT__POSTGRES__URL",
            app.stores.postgres.url.expose_secret(),
        )
        .env("CAREAUDIT__DASHBOARDS__LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start careaudit dashboards");
    tests::wait_for(
        "careaudit dashboards to answer",
        std::time::Duration::from_secs(20),
        || {
            let (http, url) = (app.http.clone(), url.clone());
            async move {
                http.get(format!("{url}/healthz"))
                    .send()
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
            }
        },
    )
    .await;
    let signin = app
        .http
        .get(format!("{url}/signin"))
        .send()
        .await
        .expect("sign-in page");
    assert_eq!(signin.status(), 200);
    let refused = app
        .http
        .get(format!("{url}/api/v1/cases"))
        .send()
        .await
        .expect("api");
    assert_eq!(refused.status(), 401);
    let metrics = app
        .http
        .get(format!("{url}/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), 200);
    assert!(metrics.headers()["content-type"]
        .to_str()
        .is_ok_and(|t| t.starts_with("text/plain")));
    let text = metrics.text().await.expect("text");
    let line = |route: &str, status: &str| {
        text.lines().any(|l| {
            l.starts_with("careaudit_dashboards_requests_total{")
                && l.contains(&format!("route=\"{route}\""))
                && l.contains(&format!("status=\"{status}\""))
        })
    };
    assert!(line("/signin", "200"), "{text}");
    assert!(line("/api/v1/cases", "401"), "{text}");
    assert!(
        text.contains("careaudit_dashboards_request_seconds"),
        "{text}"
    );
    let _ = child.start_kill();
    let _ = child.wait().await;
}
