//! The dashboards: sign-in is required, officers see only their own organisation's cases, the
//! case page shows the evidence, and every look at a case is recorded.

use domain::Timestamp;
use tests::{patient_read, Background, TestApp};

#[tokio::test]
async fn officers_see_only_their_organisations_cases_with_evidence() {
    let app = TestApp::spawn("dashboards_access", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    app.add_organisation("RDM02", "po@rdm02.example").await;
    let officer = |org: &str| dashboards::AccountRole {
        role: "privacy_officer",
        org_code: Some(org.to_owned()),
    };
    dashboards::create_account(
        &app.pool,
        "officer-a",
        "Officer A",
        "pw-a",
        &[officer("RDM01")],
    )
    .await
    .expect("a");
    dashboards::create_account(
        &app.pool,
        "officer-b",
        "Officer B",
        "pw-b",
        &[officer("RDM02")],
    )
    .await
    .expect("b");

    let event = patient_read(
        "dash-1",
        "555000000005",
        "RDM01",
        "9990001283",
        "ETREAT",
        Some("cardiac arrest <script>"),
    );
    assert_eq!(app.post_json(&event).await.0, 201);
    let later = Timestamp::from_millis(Timestamp::now().as_millis() + 5_000);
    app.wait_until_shipped().await;
    analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("analyze");
    let reference: String = sqlx::query_scalar("SELECT reference FROM cases")
        .fetch_one(&app.pool)
        .await
        .expect("case");

    let get = |path: String, user: Option<(&'static str, &'static str)>| {
        let mut request = app.http.get(format!("{}{path}", app.dashboards_url));
        if let Some((name, password)) = user {
            request = request.basic_auth(name, Some(password));
        }
        request.send()
    };

    // No credentials, wrong password: 401 with a Basic challenge.
    let anonymous = get("/api/v1/cases".to_owned(), None)
        .await
        .expect("reachable");
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    assert_eq!(
        get("/cases".to_owned(), Some(("officer-a", "wrong")))
            .await
            .expect("reachable")
            .status(),
        401
    );

    // Officer B (another organisation) sees nothing, and the case URL is a 404.
    let listed: serde_json::Value = get("/api/v1/cases".to_owned(), Some(("officer-b", "pw-b")))
        .await
        .expect("ok")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["cases"].as_array().map(Vec::len), Some(0));
    let denied = get(format!("/cases/{reference}"), Some(("officer-b", "pw-b")))
        .await
        .expect("ok");
    assert_eq!(denied.status(), 404);

    // Officer A sees the case and its evidence, escaped.
    let page = get(format!("/cases/{reference}"), Some(("officer-a", "pw-a")))
        .await
        .expect("ok");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    for expected in [
        reference.as_str(),
        "emergency_access",
        "555000000005",
        "9990001283",
        "Test Clinician",
        "cardiac arrest &lt;script&gt;",
        "fhir_http",
        "&quot;resourceType&quot;",
    ] {
        assert!(html.contains(expected), "case page lacks {expected:?}");
    }
    assert!(!html.contains("<script>"), "values must be escaped");
    let detail: serde_json::Value = get(
        format!("/api/v1/cases/{reference}"),
        Some(("officer-a", "pw-a")),
    )
    .await
    .expect("ok")
    .json()
    .await
    .expect("json");
    assert_eq!(detail["accesses"][0]["event_id"], "dash-1");
    assert_eq!(detail["findings"][0]["rule_id"], "emergency_access");
    assert_eq!(detail["timeline"][0]["action"], "case_opened");

    // Both looks at the evidence are in the self-audit, the denied one is not.
    let views: Vec<(String, String)> =
        sqlx::query_as("SELECT viewer, view FROM audit_data_views ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .expect("self-audit");
    assert_eq!(
        views,
        [
            ("officer-a".to_owned(), "case_page".to_owned()),
            ("officer-a".to_owned(), "api_case".to_owned())
        ]
    );
}
