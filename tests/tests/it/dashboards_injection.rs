//! Hostile input in every filter and search field: SQL injection attempts in the case queue's
//! filters and search, in trace and subject-access ids and periods, in report months and
//! self-audit filters, and in the FHIR search; script injection in values shown on pages. Each
//! is either refused with a clear 400 or treated as a plain value (no match); none is an error
//! of the server, none changes or reveals data, and markup is always escaped.

use crate::dashboards_support::{seed, PASSWORD, PATIENT_A};
use tests::{Background, TestApp, WebClient};

const ATTACKS: [&str; 8] = [
    "' OR '1'='1",
    "x'); DROP TABLE cases; --",
    "1 UNION SELECT password_hash FROM app_users --",
    "\\' OR 1=1 --",
    "RDM01' OR org_code <> '",
    "<script>alert(1)</script>",
    "%27%20OR%201%3D1",
    "9990001283' OR patient_id != '",
];

#[tokio::test]
async fn hostile_values_in_every_field_are_refused_or_inert() {
    let app = TestApp::spawn("dash_injection", Background::NONE).await;
    let seeded = seed(&app).await;
    let cases_before: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    let mut officer = WebClient::new(&app.dashboards_url);
    assert_eq!(officer.sign_in("officer-a", PASSWORD).await, 303);
    let mut admin = WebClient::new(&app.dashboards_url);
    assert_eq!(admin.sign_in("admin", PASSWORD).await, 303);
    let mut problems = Vec::new();
    for attack in ATTACKS {
        let value = urlencoding::encode(attack).into_owned();
        // Free-text filters are plain values: they match nothing, and nothing leaks across
        // organisations (officer A must never see organisation B's case).
        for field in ["org", "rule", "assignee", "q"] {
            let (status, _, page) = officer.get(&format!("/cases?{field}={value}")).await;
            if status != 200 || page.contains(&seeded.case_b) || page.contains("<script>alert") {
                problems.push(format!("/cases?{field}={attack}: {status}"));
            }
            let api = app
                .http
                .get(format!(
                    "{}/api/v1/cases?{field}={value}",
                    app.dashboards_url
                ))
                .basic_auth("officer-a", Some(PASSWORD))
                .send()
                .await
                .expect("reachable");
            let status = api.status();
            let body: serde_json::Value = api.json().await.unwrap_or_default();
            if status != 200 || body["cases"].as_array().map(Vec::len) != Some(0) {
                problems.push(format!("/api/v1/cases?{field}={attack}: {status} {body}"));
            }
        }
        // Fields with a fixed vocabulary or a date refuse anything else with a 400.
        for field in ["severity", "state", "from", "to", "limit"] {
            let (status, _, _) = officer.get(&format!("/cases?{field}={value}")).await;
            if status != 400 {
                problems.push(format!("/cases?{field}={attack}: {status}, expected 400"));
            }
        }
        for path in [
            format!("/patients/{value}/trace"),
            format!("/users/{value}/trace"),
            format!("/api/v1/patients/{value}/trace?format=csv"),
            format!("/patients/{value}/subject-access"),
            format!("/reports/self-audit?patient_id={value}&user_id={value}&viewer={value}"),
        ] {
            let (status, headers, page) = admin.get(&path).await;
            // A CSV download echoes the id as text (served as an attachment, never sniffed).
            let is_html = headers["content-type"]
                .to_str()
                .unwrap_or("")
                .starts_with("text/html");
            if status != 200
                || is_html && page.contains("<script>alert")
                || page.contains(PATIENT_A) && !attack.starts_with("9990001283")
            {
                problems.push(format!("{path}: {status}"));
            }
        }
        for path in [
            format!("/patients/{PATIENT_A}/trace?from={value}"),
            format!("/api/v1/users/x/trace?to={value}"),
            format!("/reports/governance?month={value}"),
            format!("/api/v1/reports/rule-performance?month={value}"),
            format!("/reports/self-audit?from={value}"),
            format!("/api/v1/patients/{PATIENT_A}/trace?format={value}"),
        ] {
            let (status, _, _) = admin.get(&path).await;
            if status != 400 {
                problems.push(format!("{path}: {status}, expected 400"));
            }
        }
        for query in [
            format!("patient={value}"),
            format!("patient={PATIENT_A}&date=ge{value}"),
            format!("patient={PATIENT_A}&_count={value}"),
        ] {
            let response = app
                .http
                .get(format!("{}/fhir/AuditEvent?{query}", app.dashboards_url))
                .basic_auth("portal", Some(PASSWORD))
                .send()
                .await
                .expect("reachable");
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            let ok = match status.as_u16() {
                200 => body["total"] == 0,
                400 => body["resourceType"] == "OperationOutcome",
                _ => false,
            };
            if !ok {
                problems.push(format!("/fhir/AuditEvent?{query}: {status} {body}"));
            }
        }
        // The sign-in form: an injected username or password signs nobody in.
        let mut stranger = WebClient::new(&app.dashboards_url);
        let status = stranger.sign_in(attack, attack).await;
        if status != 401 {
            problems.push(format!("sign-in as {attack}: {status}"));
        }
    }
    assert!(
        problems.is_empty(),
        "hostile input handled badly:\n{}",
        problems.join("\n")
    );
    let cases_after: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(cases_before, cases_after);

    // Values from the audit trail are escaped on the case page (the reason carries a script).
    let (status, _, page) = officer.get(&format!("/cases/{}", seeded.case_a)).await;
    assert_eq!(status, 200);
    assert!(page.contains("cardiac arrest &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<script>"));
}
