//! Suppressions through the dashboards' API: an officer suppresses for their own organisation
//! only, with a reason and an expiry; a revocation needs a reason; every change is audited;
//! another organisation's officer sees none of it; an investigator may not create one.

use serde_json::{json, Value};
use tests::{Background, TestApp};

#[tokio::test]
async fn officers_manage_their_own_organisations_suppressions_and_every_change_is_audited() {
    let app = TestApp::spawn("suppressions_api", Background::NONE).await;
    app.add_organisation("RDM01", "po@rdm01.example").await;
    app.add_organisation("RDM02", "po@rdm02.example").await;
    for (name, role, org) in [
        ("officer-a", "privacy_officer", Some("RDM01")),
        ("officer-b", "privacy_officer", Some("RDM02")),
        ("investigator", "investigator", None),
    ] {
        let role = dashboards::AccountRole {
            role,
            org_code: org.map(str::to_owned),
        };
        dashboards::create_account(&app.pool, name, name, "pw", &[role])
            .await
            .expect("account");
    }
    let send = |user: &'static str, method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut request = app
            .http
            .request(method, format!("{}{path}", app.dashboards_url))
            .basic_auth(user, Some("pw"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.expect("dashboards reachable");
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let expires = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let body = |org: &str, reason: &str| {
        json!({"rule_id": "emergency_access", "user_id": "555000000207", "org_code": org,
               "reason": reason, "expires_at": expires})
    };
    let post = reqwest::Method::POST;
    let (status, answer) = send(
        "officer-a",
        post.clone(),
        "/api/v1/suppressions",
        Some(body("RDM02", "not mine")),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let (status, _) = send(
        "investigator",
        post.clone(),
        "/api/v1/suppressions",
        Some(body("RDM01", "x")),
    )
    .await;
    assert_eq!(status, 403);
    let (status, created) = send(
        "officer-a",
        post.clone(),
        "/api/v1/suppressions",
        Some(body("RDM01", "A&E consultant: every access is break-glass")),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_i64().expect("id");
    let (_, mine) = send(
        "officer-a",
        reqwest::Method::GET,
        "/api/v1/suppressions",
        None,
    )
    .await;
    assert_eq!(mine["suppressions"].as_array().map(Vec::len), Some(1));
    let (_, theirs) = send(
        "officer-b",
        reqwest::Method::GET,
        "/api/v1/suppressions",
        None,
    )
    .await;
    assert_eq!(theirs["suppressions"].as_array().map(Vec::len), Some(0));
    let revoke = format!("/api/v1/suppressions/{id}/revoke");
    let (status, _) = send(
        "officer-b",
        post.clone(),
        &revoke,
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = send(
        "officer-a",
        post.clone(),
        &revoke,
        Some(json!({"reason": " "})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, revoked) = send(
        "officer-a",
        post.clone(),
        &revoke,
        Some(json!({"reason": "rota changed"})),
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["revoked_by"], "officer-a");
    let (_, active) = send(
        "officer-a",
        reqwest::Method::GET,
        "/api/v1/suppressions",
        None,
    )
    .await;
    assert_eq!(active["suppressions"].as_array().map(Vec::len), Some(0));
    let audit: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, action FROM suppression_audit WHERE suppression_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .expect("audit");
    assert_eq!(
        audit,
        [
            ("officer-a".to_owned(), "created".to_owned()),
            ("officer-a".to_owned(), "revoked".to_owned())
        ]
    );
}
