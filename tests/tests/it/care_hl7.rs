//! HL7 v2 over MLLP with a real client (python-hl7's `mllp_send`): good messages are answered
//! AA and stored, a broken one AE/AR with the good ones around it stored; and an A40 merge makes
//! the merged patient's earlier accesses and relationships appear under the surviving patient.

use serde_json::Value;
use std::time::Duration;
use tests::{patient_read, testdata, wait_for, Background, TestApp};

/// Sends a file of messages with `mllp_send --loose` and returns the ACK codes it printed.
async fn mllp_send(app: &TestApp, file: &std::path::Path) -> Vec<String> {
    let python = std::env::var("CAREAUDIT_PYTHON").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.services/venv/bin/python").to_owned()
    });
    let script = std::path::Path::new(&python).with_file_name("mllp_send");
    let output = tokio::process::Command::new(&script)
        .args(["--port", &app.mllp.port().to_string(), "--loose", "--file"])
        .arg(file)
        .arg("127.0.0.1")
        .output()
        .await
        .unwrap_or_else(|error| {
            panic!(
                "cannot run {} ({error}); run `scripts/services up`",
                script.display()
            )
        });
    assert!(
        output.status.success(),
        "mllp_send failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout).replace('\r', "\n");
    stdout
        .lines()
        .filter(|line| line.starts_with("MSA"))
        .map(|line| line.split('|').nth(1).unwrap_or_default().to_owned())
        .collect()
}

fn write_messages(messages: &[&str]) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("temporary file");
    std::fs::write(file.path(), messages.join("\r\n")).expect("write messages");
    file
}

const ADMIT: &str = "MSH|^~\\&|PAS|RDM01|CAREAUDIT|SCR|20261120083000||ADT^A01^ADT_A01|MSG0001|P|2.4\rEVN|A01|20261120083000\rPID|1||MRN0001^^^RDM01^MR||Testpatient^Alex||19800101|F|||1 Test Street^^London^^N1 9GU\rPV1|1|I|WARD7^BED1^^RDM01||||C0001^Okafor^Amira|C0002^Smith^Ben||CAR|||||||||V0001|||||||||||||||||||||||||20261120083000";
const BROKEN: &str = "MSH|^~\\&|PAS|RDM01|CAREAUDIT|SCR|20261120084000||ADT^A01^ADT_A01|MSG0002|P|2.4\rEVN|A01|20261120084000\rPV1|1|I|WARD7";
const DISCHARGE: &str = "MSH|^~\\&|PAS|RDM01|CAREAUDIT|SCR|20261121100000||ADT^A03^ADT_A03|MSG0003|P|2.4\rEVN|A03|20261121100000\rPID|1||MRN0001^^^RDM01^MR||Testpatient^Alex||19800101|F\rPV1|1|I|WARD7^BED1^^RDM01||||C0001^Okafor^Amira|C0002^Smith^Ben||CAR|||||||||V0001|||||||||||||||||||||||||20261120083000|20261121100000";
const MERGE: &str = "MSH|^~\\&|PAS|RDM01|CAREAUDIT|SCR|20261121110000||ADT^A40^ADT_A39|MSG0004|P|2.4\rEVN|A40|20261121110000\rPID|1||9000000009^^^NHS^NH~MRN0002^^^RDM01^MR||Testpatient^Alex||19800101|F\rMRG|MRN0001^^^RDM01^MR";

#[tokio::test]
async fn mllp_messages_are_acknowledged_and_a_merge_joins_histories() {
    let app = TestApp::spawn("care_hl7", Background::NONE).await;
    // An access recorded under the hospital number before the merge.
    let mut event = patient_read(
        "pre-merge-1",
        "555000000201",
        "RDM01",
        "MRN0001",
        "TREAT",
        None,
    );
    event["entity"][0]["what"]["identifier"]["system"] =
        serde_json::json!("https://rdm01.example/Id/mrn");
    assert_eq!(app.post_json(&event).await.0, 201);

    let file = write_messages(&[ADMIT, BROKEN, DISCHARGE]);
    let codes = mllp_send(&app, file.path()).await;
    assert_eq!(
        codes,
        ["AA", "AE", "AA"],
        "the broken message is refused, the good ones around it accepted"
    );
    let file = write_messages(&[MERGE]);
    assert_eq!(mllp_send(&app, file.path()).await, ["AA"]);
    app.wait_until_shipped().await;

    let quarantined: Vec<(String, String)> = app
        .clickhouse
        .query("SELECT channel, reason_code FROM quarantine")
        .fetch_all()
        .await
        .expect("quarantine");
    assert_eq!(
        quarantined,
        [("hl7v2_mllp".to_owned(), "missing_patient".to_owned())]
    );

    dashboards::create_account(
        &app.pool,
        "investigator",
        "Investigator",
        "pw",
        &[dashboards::AccountRole {
            role: "investigator",
            org_code: None,
        }],
    )
    .await
    .expect("account");
    let trace: Value = wait_for("the merged history", Duration::from_secs(10), || async {
        let trace: Value = app
            .http
            .get(format!(
                "{}/api/v1/patients/9000000009/trace",
                app.dashboards_url
            ))
            .basic_auth("investigator", Some("pw"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (trace["accesses"].as_array().map(Vec::len) == Some(1)).then_some(trace)
    })
    .await;
    assert_eq!(trace["accesses"][0]["event_id"], "pre-merge-1");
    assert_eq!(trace["accesses"][0]["recorded_patient_id"], "MRN0001");
    let relationships = trace["relationships"].as_array().expect("relationships");
    let users: Vec<&str> = relationships
        .iter()
        .filter_map(|r| r["user_id"].as_str())
        .filter(|u| !u.is_empty())
        .collect();
    assert!(
        users.contains(&"C0001") && users.contains(&"C0002"),
        "attending and referring doctors of the merged patient's visit: {relationships:#?}"
    );
    let discharged = relationships
        .iter()
        .filter(|r| r["kind"] == "encounter")
        .all(|r| r["valid_to"].is_u64());
    assert!(discharged, "the A03 closed the visit: {relationships:#?}");
}

#[tokio::test]
async fn sample_adt_messages_over_mllp() {
    let app = TestApp::spawn("care_hl7_samples", Background::NONE).await;
    let directory = testdata("hl7v2/microsoft-fhir-converter");
    for (file, expected) in [
        ("ADT-A01-01.hl7", "AA"),
        ("ADT-A03-01.hl7", "AA"),
        ("SIU-S12-01.hl7", "AA"),
    ] {
        let codes = mllp_send(&app, &directory.join(file)).await;
        assert_eq!(codes, [expected], "{file}");
    }
    app.wait_until_shipped().await;
    let relationships: u64 = app
        .clickhouse
        .query("SELECT count() FROM care_relationships FINAL")
        .fetch_one()
        .await
        .expect("count");
    assert!(relationships >= 3, "relationships stored: {relationships}");
}
