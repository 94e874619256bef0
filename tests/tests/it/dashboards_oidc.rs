//! OpenID Connect sign-in against a real OpenID provider on loopback (the OpenID-certified
//! `oidc-provider` npm package, run with node): authorization code with PKCE, state and nonce;
//! an account linked to the person's subject signs in, an unlinked one is refused, and neither
//! a replayed callback nor a callback in another browser signs anybody in.

use crate::dashboards_support::seed;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tests::{free_port, wait_for, Background, TestApp};

const CLIENT_ID: &str = "careaudit-dashboards";
const CLIENT_SECRET: &str = "test-client-secret";

/// The provider as a child process, stopped when dropped.
struct Provider {
    _child: tokio::process::Child,
    issuer: String,
}

async fn start_provider(port: u16, redirect_uri: &str) -> Provider {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/web/oidc-provider.mjs");
    let modules = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/web/node_modules/oidc-provider"
    );
    assert!(
        std::path::Path::new(modules).exists(),
        "oidc-provider is not installed: run `npm ci` in tests/web (scripts/test does)"
    );
    let child = tokio::process::Command::new("node")
        .args([
            script,
            &port.to_string(),
            CLIENT_ID,
            CLIENT_SECRET,
            redirect_uri,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs the OpenID provider");
    let issuer = format!("http://127.0.0.1:{port}");
    let discovery = format!("{issuer}/.well-known/openid-configuration");
    wait_for(
        "the OpenID provider to answer",
        Duration::from_secs(20),
        || async {
            reqwest::get(&discovery)
                .await
                .ok()
                .filter(|r| r.status().is_success())
                .map(|_| ())
        },
    )
    .await;
    Provider {
        _child: child,
        issuer,
    }
}

/// The absolute URL a page's first form posts to.
fn form_action(provider: &str, html: &str) -> String {
    let start = html
        .find("action=\"")
        .unwrap_or_else(|| panic!("a form in {html}"))
        + "action=\"".len();
    let end = html[start..].find('"').expect("end of action");
    let action = &html[start..start + end];
    if action.starts_with("http") {
        action.to_owned()
    } else {
        format!("{provider}{action}")
    }
}

/// A browser: cookies for both sites, redirects followed, callback URLs remembered.
fn browser(callbacks: Arc<Mutex<Vec<String>>>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.url().path().ends_with("/callback") {
                if let Ok(mut seen) = callbacks.lock() {
                    seen.push(attempt.url().to_string());
                }
            }
            attempt.follow()
        }))
        .build()
        .expect("client")
}

/// Signs in at the provider as `login`; returns the final response (back at careaudit).
async fn sign_in(
    client: &reqwest::Client,
    dashboards: &str,
    provider: &str,
    login: &str,
) -> reqwest::Response {
    let login_page = client
        .get(format!("{dashboards}/signin/oidc/test?next=/cases"))
        .send()
        .await
        .expect("start");
    assert!(
        login_page.url().as_str().starts_with(provider),
        "sent to the provider: {}",
        login_page.url()
    );
    let html = login_page.text().await.expect("login page");
    let consent = client
        .post(form_action(provider, &html))
        .form(&[("prompt", "login"), ("login", login), ("password", "any")])
        .send()
        .await
        .expect("login");
    let html = consent.text().await.expect("consent page");
    client
        .post(form_action(provider, &html))
        .form(&[("prompt", "consent")])
        .send()
        .await
        .expect("consent")
}

#[tokio::test]
async fn sign_in_through_a_real_openid_provider() {
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = TestApp::spawn_with_oidc(
        "dash_oidc",
        Background::NONE,
        vec![dashboards::OidcProviderSettings {
            name: "test".to_owned(),
            display_name: "Test identity provider".to_owned(),
            issuer_url: issuer.clone(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: Some(secrecy::SecretString::from(CLIENT_SECRET.to_owned())),
            scopes: Vec::new(),
        }],
    )
    .await;
    seed(&app).await;
    let provider = start_provider(
        port,
        &format!("{}/signin/oidc/test/callback", app.dashboards_url),
    )
    .await;
    dashboards::link_identity(&app.pool, "officer-a", &provider.issuer, "alice")
        .await
        .expect("link");

    // The sign-in page offers the provider.
    let page = app
        .http
        .get(format!("{}/signin", app.dashboards_url))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Test identity provider"));

    // The redirect carries PKCE (S256), a state and a nonce.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let start = plain
        .get(format!("{}/signin/oidc/test", app.dashboards_url))
        .send()
        .await
        .expect("start");
    assert_eq!(start.status(), 303);
    let location = start.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    for parameter in [
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "nonce=",
        "response_type=code",
    ] {
        assert!(location.contains(parameter), "{location} lacks {parameter}");
    }

    // A linked person signs in and lands on the page they asked for.
    let callbacks = Arc::new(Mutex::new(Vec::new()));
    let alice = browser(callbacks.clone());
    let landed = sign_in(&alice, &app.dashboards_url, &provider.issuer, "alice").await;
    assert_eq!(landed.status(), 200);
    assert_eq!(landed.url().path(), "/cases");
    assert!(landed
        .text()
        .await
        .expect("page")
        .contains("Account officer-a"));
    let method: String = sqlx::query_scalar("SELECT auth_method FROM app_sessions")
        .fetch_one(&app.pool)
        .await
        .expect("session");
    assert_eq!(method, "oidc");

    // The same callback again (replay), and in another browser: nobody is signed in.
    let callback = callbacks
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("a callback");
    let replay = alice.get(&callback).send().await.expect("replay");
    assert_eq!(replay.status(), 400);
    let thief = browser(Arc::new(Mutex::new(Vec::new())));
    assert_eq!(
        thief.get(&callback).send().await.expect("stolen").status(),
        400
    );

    // A person the provider knows but careaudit has not linked is refused.
    let mallory = browser(Arc::new(Mutex::new(Vec::new())));
    let refused = sign_in(&mallory, &app.dashboards_url, &provider.issuer, "mallory").await;
    assert_eq!(refused.status(), 403);
    let outcomes: Vec<(String, String)> = sqlx::query_as(
        "SELECT username, outcome FROM sign_in_events WHERE method = 'oidc' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .expect("events");
    assert_eq!(
        outcomes,
        [
            ("officer-a".to_owned(), "success".to_owned()),
            ("test:mallory".to_owned(), "no_linked_account".to_owned())
        ]
    );
}
