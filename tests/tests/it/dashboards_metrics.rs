//! The dashboards' metrics when they run alone (`careaudit dashboards`, no collector in the
//! process): served on the dashboards' own `/metrics`; in-process beside a collector, the
//! collector's `/metrics` has them and the dashboards answer 404.

use secrecy::ExposeSecret;
use tests::{careaudit_binary, free_port, Background, TestApp};

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
