//! Sign-in, sessions and CSRF: the form signs in with a fresh session, a cookie set before
//! sign-in is never honoured (session fixation), repeated failures lock the account, sign-out
//! ends the session, and every state-changing request without the session's CSRF token or from
//! another site is refused.

use crate::dashboards_support::{seed, PASSWORD};
use tests::{Background, TestApp, WebClient};

#[tokio::test]
async fn sign_in_gives_a_fresh_http_only_session_and_sign_out_ends_it() {
    let app = TestApp::spawn("dash_sign_in", Background::NONE).await;
    seed(&app).await;
    let mut browser = WebClient::new(&app.dashboards_url);

    // Signed out, a page sends the browser to the sign-in page, remembering where it was going.
    let (status, headers, _) = browser.get("/cases?state=new").await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/signin?next=%2Fcases%3Fstate%3Dnew");

    // Session fixation: a session id planted before sign-in is ignored and replaced.
    browser
        .cookies
        .insert("careaudit_session".to_owned(), "attacker-chosen".to_owned());
    let (_, headers, page) = browser.get("/signin").await;
    assert!(page.contains("name=\"csrf_token\""));
    let pre_session = headers["set-cookie"].to_str().expect("ascii");
    assert!(pre_session.contains("HttpOnly") && pre_session.contains("SameSite=Lax"));
    let (status, headers, _) = browser
        .post_form(
            "/signin",
            &[
                ("username", "officer-a"),
                ("password", PASSWORD),
                ("next", "/cases"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/cases");
    let session = browser.cookies["careaudit_session"].clone();
    assert_ne!(session, "attacker-chosen");
    assert_eq!(session.len(), 43, "256 random bits");
    let set_cookie: Vec<&str> = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii"))
        .collect();
    assert!(set_cookie
        .iter()
        .any(|c| c.starts_with("careaudit_session=")
            && c.contains("HttpOnly")
            && c.contains("SameSite=Lax")));
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM app_sessions")
        .fetch_one(&app.pool)
        .await
        .expect("sessions");
    assert_eq!(stored, 1);
    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM app_sessions WHERE token_sha256 = $1 OR csrf_token = $1",
    )
    .bind(&session)
    .fetch_one(&app.pool)
    .await
    .expect("sessions");
    assert_eq!(leaked, 0, "only a digest of the token is stored");

    let (status, _, page) = browser.get("/cases").await;
    assert_eq!(status, 200);
    assert!(page.contains("Account officer-a"));
    let headers = browser.get("/cases").await.1;
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers["content-security-policy"]
        .to_str()
        .expect("ascii")
        .contains("default-src 'none'"));

    // A second sign-in from the same browser ends the first session.
    let first = session.clone();
    assert_eq!(
        browser.get("/signin").await.0,
        303,
        "signed in, the sign-in page sends the browser on"
    );
    browser.get("/cases").await;
    let (status, _, _) = browser
        .post_form(
            "/signin",
            &[("username", "officer-a"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 303);
    assert_ne!(browser.cookies["careaudit_session"], first);
    browser.get("/cases").await;
    let mut replay = WebClient::new(&app.dashboards_url);
    replay.cookies.insert("careaudit_session".to_owned(), first);
    assert_eq!(
        replay.get("/cases").await.0,
        303,
        "the replaced session no longer works"
    );

    // Sign-out (with the CSRF token) ends the session for good.
    let session = browser.cookies["careaudit_session"].clone();
    let (status, headers, _) = browser.post_form("/signout", &[]).await;
    assert_eq!(
        (status, headers["location"].to_str().ok()),
        (303.try_into().expect("status"), Some("/signin"))
    );
    let mut stolen = WebClient::new(&app.dashboards_url);
    stolen
        .cookies
        .insert("careaudit_session".to_owned(), session);
    assert_eq!(stolen.get("/cases").await.0, 303);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_every_attempt_is_recorded() {
    let app = TestApp::spawn("dash_lockout", Background::NONE).await;
    seed(&app).await;
    let mut browser = WebClient::new(&app.dashboards_url);
    for _ in 0..5 {
        assert_eq!(browser.sign_in("officer-a", "wrong").await, 401);
    }
    // Locked: even the right password is refused, with the same message.
    assert_eq!(browser.sign_in("officer-a", PASSWORD).await, 401);
    let basic = app
        .http
        .get(format!("{}/api/v1/me", app.dashboards_url))
        .basic_auth("officer-a", Some(PASSWORD))
        .send()
        .await
        .expect("reachable");
    assert_eq!(basic.status(), 401, "the lockout covers scripts too");
    // An unknown account is refused the same way.
    assert_eq!(browser.sign_in("nobody", PASSWORD).await, 401);
    let outcomes: Vec<(String, String)> =
        sqlx::query_as("SELECT username, outcome FROM sign_in_events ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .expect("events");
    let expected: Vec<(String, String)> = [
        ("officer-a", "wrong_password"),
        ("officer-a", "wrong_password"),
        ("officer-a", "wrong_password"),
        ("officer-a", "wrong_password"),
        ("officer-a", "wrong_password_locked"),
        ("officer-a", "locked"),
        ("officer-a", "locked"),
        ("nobody", "unknown_account"),
    ]
    .iter()
    .map(|(u, o)| (u.to_string(), o.to_string()))
    .collect();
    assert_eq!(outcomes, expected);
    // When the lock expires the account signs in again.
    sqlx::query("UPDATE app_users SET locked_until = now() - interval '1 second' WHERE username = 'officer-a'")
        .execute(&app.pool).await.expect("expire the lock");
    assert_eq!(browser.sign_in("officer-a", PASSWORD).await, 303);
}

#[tokio::test]
async fn state_changes_need_the_csrf_token_and_the_same_site() {
    let app = TestApp::spawn("dash_csrf", Background::NONE).await;
    seed(&app).await;
    let mut browser = WebClient::new(&app.dashboards_url);
    assert_eq!(browser.sign_in("officer-a", PASSWORD).await, 303);
    let token = browser
        .csrf
        .clone()
        .expect("a signed-in page carries the token");
    let origin = app.dashboards_url.clone();
    let form = |token: &str| vec![("csrf_token".to_owned(), token.to_owned())];

    // Without a token, with a wrong one, with the token of another session, from another site.
    assert_eq!(
        browser.post_raw("/signout", &[], Some(&origin)).await.0,
        403
    );
    assert_eq!(
        browser
            .post_raw("/signout", &form("forged"), Some(&origin))
            .await
            .0,
        403
    );
    let mut other = WebClient::new(&app.dashboards_url);
    assert_eq!(other.sign_in("officer-b", PASSWORD).await, 303);
    let others_token = other.csrf.clone().expect("token");
    assert_eq!(
        browser
            .post_raw("/signout", &form(&others_token), Some(&origin))
            .await
            .0,
        403
    );
    assert_eq!(
        browser
            .post_raw("/signout", &form(&token), Some("https://evil.example"))
            .await
            .0,
        403
    );
    // Still signed in after all of that.
    assert_eq!(browser.get("/cases").await.0, 200);

    // Login CSRF: a sign-in form posted without the pre-session cookie's token is refused.
    let mut fresh = WebClient::new(&app.dashboards_url);
    let login = vec![
        ("username".to_owned(), "officer-a".to_owned()),
        ("password".to_owned(), PASSWORD.to_owned()),
    ];
    assert_eq!(
        fresh.post_raw("/signin", &login, Some(&origin)).await.0,
        403
    );

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    // The header works as well as the form field (for scripts using the session).
    let response = http
        .post(format!("{}/signout", app.dashboards_url))
        .header(
            "cookie",
            format!("careaudit_session={}", browser.cookies["careaudit_session"]),
        )
        .header("x-csrf-token", &token)
        .send()
        .await
        .expect("reachable");
    assert_eq!(response.status(), 303);

    // Scripts with HTTP Basic and no cookie need no token, but a browser-style cross-site
    // request with Basic credentials is still refused.
    let script = http
        .post(format!("{}/signout", app.dashboards_url))
        .basic_auth("officer-a", Some(PASSWORD))
        .send()
        .await
        .expect("reachable");
    assert_eq!(script.status(), 303);
    let cross_site = http
        .post(format!("{}/signout", app.dashboards_url))
        .basic_auth("officer-a", Some(PASSWORD))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("reachable");
    assert_eq!(cross_site.status(), 403);
}
