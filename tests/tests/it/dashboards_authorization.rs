//! The authorization matrix: every role against every page and API endpoint, signed in through
//! the sign-in form like a browser (and anonymously), including a privacy officer of one
//! organisation reaching for another organisation's case by URL. Afterwards every look at audit
//! data that was answered must appear in the self-audit, and no refused one may.

use crate::dashboards_support::{seed, ACCOUNTS, PASSWORD, PATIENT_A, USER_A};
use tests::{Background, TestApp, WebClient};

/// Which kind of answer a role gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Yes,
    No,
    /// Outside the reader's organisations: indistinguishable from a case that does not exist.
    Hidden,
}
use Access::{Hidden, No, Yes};

/// Roles in the order of `ACCOUNTS`: officer-a, officer-b, investigator (all), investigator-a,
/// auditor, admin, portal.
fn matrix(case_a: &str, case_b: &str) -> Vec<(String, Option<&'static str>, [Access; 7])> {
    let trace = format!("/patients/{PATIENT_A}/trace");
    let api_trace = format!("/api/v1/patients/{PATIENT_A}/trace");
    vec![
        ("/cases".into(), None, [Yes, Yes, Yes, Yes, No, Yes, No]),
        (
            format!("/cases/{case_a}"),
            Some("case_page"),
            [Yes, Hidden, Yes, Yes, No, Yes, No],
        ),
        (
            format!("/cases/{case_b}"),
            Some("case_page"),
            [Hidden, Yes, Yes, Hidden, No, Yes, No],
        ),
        (
            "/api/v1/cases?state=new".into(),
            None,
            [Yes, Yes, Yes, Yes, No, Yes, No],
        ),
        (
            format!("/api/v1/cases/{case_a}"),
            Some("api_case"),
            [Yes, Hidden, Yes, Yes, No, Yes, No],
        ),
        (
            format!("/api/v1/cases/{case_b}"),
            Some("api_case"),
            [Hidden, Yes, Yes, Hidden, No, Yes, No],
        ),
        ("/trace".into(), None, [No, No, Yes, Yes, No, Yes, No]),
        (
            trace.clone(),
            Some("patient_trace"),
            [No, No, Yes, Yes, No, Yes, No],
        ),
        (
            format!("/users/{USER_A}/trace"),
            Some("user_trace"),
            [No, No, Yes, Yes, No, Yes, No],
        ),
        (
            api_trace.clone(),
            Some("patient_trace"),
            [No, No, Yes, Yes, No, Yes, No],
        ),
        (
            format!("{api_trace}?format=csv"),
            Some("patient_trace"),
            [No, No, Yes, Yes, No, Yes, No],
        ),
        (
            format!("{api_trace}?format=pdf"),
            Some("patient_trace"),
            [No, No, Yes, Yes, No, Yes, No],
        ),
        (
            format!("/api/v1/users/{USER_A}/trace"),
            Some("user_trace"),
            [No, No, Yes, Yes, No, Yes, No],
        ),
        (
            format!("/patients/{PATIENT_A}/subject-access"),
            Some("subject_access"),
            [No, No, Yes, Yes, No, Yes, No],
        ),
        (
            format!("/api/v1/patients/{PATIENT_A}/subject-access"),
            Some("subject_access"),
            [No, No, Yes, Yes, No, Yes, No],
        ),
        ("/reports".into(), None, [Yes, Yes, No, No, Yes, Yes, No]),
        (
            "/reports/governance".into(),
            None,
            [Yes, Yes, No, No, Yes, Yes, No],
        ),
        (
            "/reports/dspt-coverage?format=pdf".into(),
            None,
            [Yes, Yes, No, No, Yes, Yes, No],
        ),
        (
            "/api/v1/reports/rule-performance".into(),
            None,
            [Yes, Yes, No, No, Yes, Yes, No],
        ),
        (
            "/api/v1/reports/breach-log?format=csv".into(),
            None,
            [Yes, Yes, No, No, Yes, Yes, No],
        ),
        (
            "/reports/self-audit".into(),
            None,
            [No, No, No, No, Yes, Yes, No],
        ),
        (
            "/api/v1/reports/self-audit".into(),
            None,
            [No, No, No, No, Yes, Yes, No],
        ),
        (
            format!("/fhir/AuditEvent?patient={PATIENT_A}"),
            Some("fhir_audit_event_search"),
            [No, No, No, No, No, No, Yes],
        ),
        (
            "/api/v1/me".into(),
            None,
            [Yes, Yes, Yes, Yes, Yes, Yes, Yes],
        ),
        (
            "/api/v1/openapi.json".into(),
            None,
            [Yes, Yes, Yes, Yes, Yes, Yes, Yes],
        ),
    ]
}

#[tokio::test]
async fn every_role_against_every_endpoint_and_every_look_is_audited() {
    let app = TestApp::spawn("dash_authorization", Background::NONE).await;
    let seeded = seed(&app).await;
    let rows = matrix(&seeded.case_a, &seeded.case_b);
    let mut expected_views: Vec<(String, String)> = Vec::new();
    let mut failures = Vec::new();
    for (index, (username, _, _)) in ACCOUNTS.iter().enumerate() {
        let mut browser = WebClient::new(&app.dashboards_url);
        assert_eq!(
            browser.sign_in(username, PASSWORD).await,
            303,
            "{username} signs in"
        );
        for (path, view, expected) in &rows {
            let (status, _, _) = browser.get_bytes(path).await;
            let want = match expected[index] {
                Yes => 200,
                No => 403,
                Hidden => 404,
            };
            if status.as_u16() != want {
                failures.push(format!("{username} GET {path}: {status}, expected {want}"));
            }
            if let (Some(view), Yes) = (view, expected[index]) {
                expected_views.push((username.to_string(), view.to_string()));
            }
        }
    }
    // Anonymous: pages send the browser to sign in; the API and FHIR answer 401.
    let mut anonymous = WebClient::new(&app.dashboards_url);
    for (path, _, _) in &rows {
        let (status, _, _) = anonymous.get(path).await;
        let want = if path.starts_with("/api/") || path.starts_with("/fhir/") {
            401
        } else {
            303
        };
        if path == "/api/v1/openapi.json" {
            continue;
        }
        if status.as_u16() != want {
            failures.push(format!("anonymous GET {path}: {status}, expected {want}"));
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix:\n{}",
        failures.join("\n")
    );

    let mut recorded: Vec<(String, String)> =
        sqlx::query_as("SELECT viewer, view FROM audit_data_views ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .expect("self-audit");
    recorded.sort();
    expected_views.sort();
    assert_eq!(
        recorded, expected_views,
        "exactly the answered looks are in the self-audit"
    );
    let (patient, detail): (Option<String>, serde_json::Value) = sqlx::query_as(
        "SELECT patient_id, detail FROM audit_data_views WHERE view = 'patient_trace' AND viewer = 'investigator-a' ORDER BY id LIMIT 1")
        .fetch_one(&app.pool).await.expect("a trace look");
    assert_eq!(patient.as_deref(), Some(PATIENT_A));
    assert_eq!(detail["roles"], "investigator@RDM01");

    // The self-audit report shows the looks at patient A's trail.
    let mut auditor = WebClient::new(&app.dashboards_url);
    assert_eq!(auditor.sign_in("auditor", PASSWORD).await, 303);
    let (status, _, page) = auditor
        .get(&format!("/reports/self-audit?patient_id={PATIENT_A}"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("investigator-a") && page.contains("patient_trace"));
}

#[tokio::test]
async fn an_investigator_of_one_organisation_sees_only_its_staffs_accesses() {
    let app = TestApp::spawn("dash_trace_scope", Background::NONE).await;
    seed(&app).await;
    let trace = |user: &'static str| {
        let request = app
            .http
            .get(format!(
                "{}/api/v1/patients/{PATIENT_A}/trace",
                app.dashboards_url
            ))
            .basic_auth(user, Some(PASSWORD));
        async move {
            request
                .send()
                .await
                .expect("reachable")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let everyone = trace("investigator").await;
    let orgs: Vec<&str> = everyone["accesses"]
        .as_array()
        .expect("accesses")
        .iter()
        .map(|a| a["user_org"].as_str().expect("org"))
        .collect();
    assert_eq!(orgs.len(), 2);
    assert!(orgs.contains(&"RDM01") && orgs.contains(&"RDM02"));
    let scoped = trace("investigator-a").await;
    let scoped_orgs: Vec<&str> = scoped["accesses"]
        .as_array()
        .expect("accesses")
        .iter()
        .map(|a| a["user_org"].as_str().expect("org"))
        .collect();
    assert_eq!(scoped_orgs, ["RDM01"]);
    assert_eq!(scoped["scope"], "RDM01");
}
