//! Traces as evidence: the patient trace explains each access, its CSV and PDF evidence packs
//! carry an integrity proof that agrees with `careaudit verify` (and that notices a row slipped
//! into the store around the collector), the subject access report shows roles instead of
//! names by default, and patient portals get the same data through IHE ITI-81.

use crate::dashboards_support::{seed, PASSWORD, PATIENT_A, USER_B};
use std::io::Write;
use tests::{Background, TestApp};

async fn get(app: &TestApp, user: &str, path: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.dashboards_url))
        .basic_auth(user, Some(PASSWORD))
        .send()
        .await
        .expect("dashboards reachable")
}

fn pdf_text(bytes: &[u8]) -> String {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(bytes).expect("write pdf");
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", &file.path().display().to_string(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    assert!(
        output.status.success(),
        "the PDF parses: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("text")
}

#[tokio::test]
async fn evidence_packs_prove_integrity_and_subject_access_hides_names() {
    let app = TestApp::spawn("dash_evidence", Background::NONE).await;
    seed(&app).await;
    // The routine view is explained by the patient's registration at the viewer's practice,
    // which arrives after the view (as registration extracts do): the analyzer's re-explanation
    // of late care context picks it up (the emergency access stays unexplained).
    let response = app
        .http
        .post(format!("{}/load/registrations", app.collector_url))
        .header("content-type", "text/csv")
        .body(format!(
            "nhs_number,practice_code,registered_from\n{PATIENT_A},RDM02,2020-01-01\n"
        ))
        .send()
        .await
        .expect("collector reachable");
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "{status} {body}");
    app.wait_until_shipped().await;
    // Stored times are whole seconds, and the late-context check never reaches ClickHouse's
    // current second: past the next boundary, the registration is inside its window.
    tokio::time::sleep(std::time::Duration::from_millis(1_300)).await;
    let later = domain::Timestamp::from_millis(domain::Timestamp::now().as_millis() + 10_000);
    analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("re-analyze");

    let trace: serde_json::Value = get(
        &app,
        "investigator",
        &format!("/api/v1/patients/{PATIENT_A}/trace?integrity=true"),
    )
    .await
    .json()
    .await
    .expect("json");
    let accesses = trace["accesses"].as_array().expect("accesses");
    assert_eq!(accesses.len(), 2);
    let routine = accesses
        .iter()
        .find(|a| a["event_id"] == "dash-routine")
        .expect("routine view");
    assert_eq!(routine["explanation"]["kind"], "registration");
    assert_eq!(trace["integrity"]["intact"], 2);

    // The chain head the pack quotes is the one `careaudit verify` reports.
    let report = collector::verify(&app.clickhouse).await.expect("verify");
    assert!(report.is_intact(), "{:?}", report.problems);
    let (collector_id, batch_seq, head) = report.chain_heads.last().cloned().expect("a chain head");

    let csv = get(
        &app,
        "investigator",
        &format!("/api/v1/patients/{PATIENT_A}/trace?format=csv"),
    )
    .await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .contains("careaudit-patient-trace-9990001286.csv"));
    let csv = csv.text().await.expect("csv");
    assert!(csv.contains("# INTEGRITY: all 2 accesses"), "{csv}");
    assert!(csv.contains(&format!(
        "{collector_id} at batch {batch_seq} (sha256 {head})"
    )));
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(csv.as_bytes());
    let header = reader.headers().expect("header").clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = reader.records().map(|row| row.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(&row[column("integrity")], "intact");
        assert_eq!(&row[column("collector_id")], collector_id.as_str());
    }
    let emergency = rows
        .iter()
        .find(|row| &row[column("event_id")] == "dash-a")
        .expect("emergency row");
    assert_eq!(&emergency[column("explanation")], "unexplained");
    assert_eq!(
        &emergency[column("emergency_reason")],
        "cardiac arrest <script>alert(1)</script>"
    );

    let pdf = get(
        &app,
        "investigator",
        &format!("/api/v1/patients/{PATIENT_A}/trace?format=pdf&from=2020-01-01"),
    )
    .await;
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let text = pdf_text(&pdf.bytes().await.expect("pdf"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("INTEGRITY: all 2 accesses in this pack are listed in the ingest hash chain"),
        "{flat}"
    );
    assert!(flat.contains(&head[..32]), "the chain head is quoted");
    assert!(flat.contains("dash-routine") && flat.contains("RDM02"));

    // A row slipped into the store around the collector is not in the chain: the pack says so.
    app.clickhouse
        .query("INSERT INTO access_events (event_id, patient_id, occurred_at, received_at, user_id, user_org, payload_sha256) VALUES ('forged-1', ?, now(), now(), 'someone', 'RDM01', 'x')")
        .bind(PATIENT_A)
        .execute()
        .await
        .expect("forge");
    let csv = get(
        &app,
        "investigator",
        &format!("/api/v1/patients/{PATIENT_A}/trace?format=csv"),
    )
    .await
    .text()
    .await
    .expect("csv");
    assert!(
        csv.contains("# INTEGRITY WARNING: only 2 of 3 accesses"),
        "{csv}"
    );
    assert!(csv.lines().any(|line| line.starts_with("20")
        && line.contains("forged-1")
        && line.ends_with("not listed in the ingest chain")));

    // The subject access report: roles, not names (the default), organisation names.
    let sar: serde_json::Value = get(
        &app,
        "investigator",
        &format!("/api/v1/patients/{PATIENT_A}/subject-access"),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(sar["staff_shown_as"], "roles");
    let entries = sar["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 3);
    assert!(entries
        .iter()
        .all(|entry| entry["staff"] != "Test Clinician"));
    assert!(entries
        .iter()
        .any(|entry| entry["staff"] == "Clinical practitioner"
            && entry["organisation"] == "Organisation RDM02"
            && entry["purpose"] == "Care and treatment"));
    let sar_pdf = pdf_text(
        &get(
            &app,
            "investigator",
            &format!("/api/v1/patients/{PATIENT_A}/subject-access?format=pdf"),
        )
        .await
        .bytes()
        .await
        .expect("pdf"),
    );
    assert!(sar_pdf.contains("Who has accessed the record of patient 9990001286"));

    // IHE ITI-81 for the portal: a searchset Bundle of AuditEvents, names withheld likewise.
    let bundle: serde_json::Value = get(
        &app,
        "portal",
        &format!("/fhir/AuditEvent?patient=Patient/{PATIENT_A}&date=ge2020-01-01&_count=2"),
    )
    .await
    .json()
    .await
    .expect("bundle");
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "searchset");
    assert_eq!(bundle["total"], 3);
    assert_eq!(bundle["entry"].as_array().map(Vec::len), Some(2));
    assert!(bundle["link"]
        .as_array()
        .expect("links")
        .iter()
        .any(|link| link["relation"] == "next"));
    let event = &bundle["entry"][0]["resource"];
    assert_eq!(event["resourceType"], "AuditEvent");
    assert_eq!(event["entity"][0]["what"]["identifier"]["value"], PATIENT_A);
    assert!(!bundle.to_string().contains("Test Clinician") && !bundle.to_string().contains(USER_B));
    let none: serde_json::Value = get(
        &app,
        "portal",
        &format!("/fhir/AuditEvent?patient={PATIENT_A}&date=le2020-01-01"),
    )
    .await
    .json()
    .await
    .expect("bundle");
    assert_eq!(none["total"], 0);
    let refused = get(
        &app,
        "portal",
        &format!("/fhir/AuditEvent?patient={PATIENT_A}&agent=x"),
    )
    .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.headers()["content-type"], "application/fhir+json");
    let outcome: serde_json::Value = refused.json().await.expect("outcome");
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    let searches: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_data_views WHERE view = 'fhir_audit_event_search' AND viewer = 'portal'")
        .fetch_one(&app.pool).await.expect("self-audit");
    assert_eq!(
        searches, 2,
        "answered searches are recorded, refused ones are not"
    );
}
