//! Bundles and bulk NDJSON over real HTTP clients (curl and reqwest), with the third-party
//! samples: batch entries succeed or fail one by one, a transaction all or nothing, NDJSON
//! lines are reported by number and the good ones kept.

use serde_json::Value;
use tests::{testdata, Background, TestApp};

async fn count(app: &TestApp, table: &str) -> u64 {
    app.wait_until_shipped().await;
    app.clickhouse
        .query(&format!(
            "SELECT count() FROM (SELECT 1 FROM {table} FINAL)"
        ))
        .fetch_one()
        .await
        .expect("count")
}

#[tokio::test]
async fn a_batch_bundle_answers_per_entry_and_keeps_the_good_ones() {
    let app = TestApp::spawn("fhir_batch", Background::NONE).await;
    let path = testdata("fhir/derived/Bundle-batch-ihe-balp-1.1.4-auditevents.json");
    // A real HTTP client: curl.
    let output = tokio::process::Command::new("curl")
        .args([
            "-sS",
            "-H",
            "Content-Type: application/fhir+json",
            "--data-binary",
        ])
        .arg(format!("@{}", path.display()))
        .arg(format!("{}/fhir", app.collector_url))
        .output()
        .await
        .expect("curl runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).expect("json answer");
    assert_eq!(answer["type"], "batch-response");
    let statuses: Vec<&str> = answer["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["response"]["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(statuses.len(), 46);
    let created = statuses
        .iter()
        .filter(|status| **status == "201 Created")
        .count();
    let refused = statuses
        .iter()
        .filter(|status| **status == "400 Bad Request")
        .count();
    // The same split as the mapping conformance table: 25 mapped, 21 without patient or user.
    assert_eq!((created, refused), (25, 21));
    let first_refusal = answer["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["response"]["status"] == "400 Bad Request")
        .expect("a refusal");
    let expression = first_refusal["response"]["outcome"]["issue"][0]["expression"][0]
        .as_str()
        .expect("expression");
    assert!(expression.starts_with("Bundle.entry["), "{expression}");
    // All 25 are stored, the 21 refused are quarantined.
    assert_eq!(count(&app, "access_events").await, 25);
    let quarantined: u64 = app
        .clickhouse
        .query("SELECT count() FROM quarantine")
        .fetch_one()
        .await
        .expect("count");
    assert_eq!(quarantined, 21);
}

#[tokio::test]
async fn a_transaction_is_all_or_nothing() {
    let app = TestApp::spawn("fhir_transaction", Background::NONE).await;
    let raw = std::fs::read(testdata(
        "fhir/derived/Bundle-transaction-r4-spec-auditevents.json",
    ))
    .expect("read");
    let response = app
        .http
        .post(format!("{}/fhir", app.collector_url))
        .header("content-type", "application/fhir+json")
        .body(raw)
        .send()
        .await
        .expect("reachable");
    assert_eq!(response.status(), 400);
    let outcome: Value = response.json().await.expect("json");
    let expressions: Vec<&str> = outcome["issue"]
        .as_array()
        .expect("issues")
        .iter()
        .filter_map(|i| i["expression"][0].as_str())
        .collect();
    assert!(
        expressions.iter().all(|e| e.starts_with("Bundle.entry[")),
        "{expressions:?}"
    );
    let mut refused_entries: Vec<&str> = expressions
        .iter()
        .filter_map(|e| e.split(".resource").next())
        .collect();
    refused_entries.dedup();
    assert_eq!(
        refused_entries.len(),
        5,
        "five of the nine spec examples identify no patient or user: {expressions:?}"
    );
    assert_eq!(
        count(&app, "access_events").await,
        0,
        "nothing of a refused transaction is stored"
    );
    let reasons: Vec<String> = app
        .clickhouse
        .query("SELECT reason_code FROM quarantine")
        .fetch_all()
        .await
        .expect("rows");
    assert_eq!(reasons, ["transaction_rejected"]);

    // The same transaction with only good entries is stored whole.
    let mut bundle: Value = serde_json::from_slice(
        &std::fs::read(testdata(
            "fhir/derived/Bundle-transaction-r4-spec-auditevents.json",
        ))
        .expect("read"),
    )
    .expect("json");
    let entries = bundle["entry"].as_array_mut().expect("entries");
    entries.retain(|entry| {
        entry["resource"]["entity"]
            .as_array()
            .is_some_and(|entities| {
                entities.iter().any(|e| {
                    e["what"]["reference"]
                        .as_str()
                        .is_some_and(|r| r.starts_with("Patient/"))
                        || e["what"]["identifier"]["value"]
                            .as_str()
                            .is_some_and(|v| v.contains('^'))
                })
            })
    });
    let kept = entries.len();
    let response = app
        .http
        .post(format!("{}/fhir", app.collector_url))
        .json(&bundle)
        .send()
        .await
        .expect("reachable");
    let status = response.status();
    let answer: Value = response.json().await.expect("json");
    let answer_entries = answer["entry"].as_array().map(Vec::len);
    assert_eq!(
        (status.as_u16(), answer["type"].as_str(), answer_entries),
        (200, Some("transaction-response"), Some(kept)),
        "{answer}"
    );
}

#[tokio::test]
async fn bulk_ndjson_reports_bad_lines_and_stores_the_rest() {
    let app = TestApp::spawn("fhir_ndjson", Background::NONE).await;
    let mut body = std::fs::read(testdata(
        "fhir/derived/auditevents-r4spec-balp-gematik.ndjson",
    ))
    .expect("read");
    // The file ends with a newline, so after a blank line 59 the broken line is line 60.
    body.extend_from_slice(b"\n{not json\n\n");
    let response = app
        .http
        .post(format!("{}/fhir/AuditEvent", app.collector_url))
        .header("content-type", "application/fhir+ndjson")
        .body(body)
        .send()
        .await
        .expect("reachable");
    assert_eq!(response.status(), 200);
    let outcome: Value = response.json().await.expect("json");
    let issues = outcome["issue"].as_array().expect("issues");
    // 58 samples: 9 spec (4 mapped), 46 BALP (25), 3 gematik (0); plus one broken line.
    assert_eq!(
        issues[0]["diagnostics"],
        "stored 29 audit events; rejected 30 lines"
    );
    let last = issues.last().expect("issue");
    assert!(
        last["diagnostics"]
            .as_str()
            .unwrap_or_default()
            .starts_with("line 60: body is not valid JSON"),
        "{last}"
    );
    app.wait_until_shipped().await;
    let stored: u64 = app
        .clickhouse
        .query("SELECT count() FROM access_events")
        .fetch_one()
        .await
        .expect("count");
    assert_eq!(stored, 29);
}
