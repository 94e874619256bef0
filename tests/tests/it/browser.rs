//! The browser tests: careaudit with fresh databases and seeded cases, driven through Debian's
//! headless chromium by `tests/web/browser.test.mjs` (playwright-core, node's test runner).
//! Screenshots and downloads are kept in `target/test-artifacts/`.

use crate::dashboards_support::{seed, PASSWORD, PATIENT_A};
use tests::{Background, TestApp};

#[tokio::test]
async fn the_dashboards_work_in_a_real_browser() {
    let web = concat!(env!("CARGO_MANIFEST_DIR"), "/web");
    assert!(
        std::path::Path::new(web)
            .join("node_modules/playwright-core")
            .exists(),
        "playwright-core is not installed: run `npm ci` in tests/web (scripts/test does)"
    );
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "chromium is not installed (apt-get install chromium; scripts/test does)"
    );
    let app = TestApp::spawn("browser", Background::NONE).await;
    let seeded = seed(&app).await;
    let artifacts = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/test-artifacts");
    let output = tokio::process::Command::new("node")
        .args(["--test", "--test-concurrency=1", "browser.test.mjs"])
        .current_dir(web)
        .env("CAREAUDIT_URL", &app.dashboards_url)
        .env("CAREAUDIT_PASSWORD", PASSWORD)
        .env("CAREAUDIT_CASE", &seeded.case_a)
        .env("CAREAUDIT_PATIENT", PATIENT_A)
        .env("CAREAUDIT_ARTIFACTS", artifacts)
        .kill_on_drop(true)
        .output()
        .await
        .expect("node runs the browser tests");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}\nscreenshots and downloads: {artifacts}");
    assert!(
        output.status.success(),
        "the browser tests failed:\n{report}"
    );
}
