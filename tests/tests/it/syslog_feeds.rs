//! The IHE ATNA syslog feed with real clients: util-linux `logger` over TCP (octet counting and
//! newline framing) and UDP, and `openssl s_client` over TLS with a trusted client certificate,
//! without one, and with one from an untrusted CA.

use std::process::Stdio;
use tests::{Background, TestApp, TestPki, TRUSTED_NODE};
use tokio::io::AsyncWriteExt;

/// A DICOM PS3.15 A.5 audit message of a patient record read, on one line.
fn atna_read(user_id: &str, nhs_number: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><AuditMessage>"#,
            r#"<EventIdentification EventActionCode="R" EventDateTime="2026-11-20T10:15:00.123Z" EventOutcomeIndicator="0">"#,
            r#"<EventID csd-code="110110" codeSystemName="DCM" originalText="Patient Record"/>"#,
            r#"<PurposeOfUse csd-code="TREAT" codeSystemName="v3-ActReason" originalText="treatment"/></EventIdentification>"#,
            r#"<ActiveParticipant UserID="{user}" UserName="Dr Syslog Test" UserIsRequestor="true" NetworkAccessPointID="10.0.0.5" NetworkAccessPointTypeCode="2">"#,
            r#"<RoleIDCode csd-code="R8000" codeSystemName="NHS RBAC" originalText="Clinical Practitioner"/></ActiveParticipant>"#,
            r#"<AuditSourceIdentification AuditSourceID="node-a"/>"#,
            r#"<ParticipantObjectIdentification ParticipantObjectID="{patient}^^^&amp;2.16.840.1.113883.2.1.4.1&amp;ISO" ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1">"#,
            r#"<ParticipantObjectIDTypeCode csd-code="2" codeSystemName="RFC-3881" originalText="Patient Number"/></ParticipantObjectIdentification>"#,
            r#"</AuditMessage>"#
        ),
        user = user_id,
        patient = nhs_number
    )
}

/// An RFC 5424 message with octet-counting framing (RFC 6587 / RFC 5425).
fn octet_counted(message: &str) -> Vec<u8> {
    let syslog = format!("<85>1 2026-11-20T10:15:00.200Z node-a.exchange.example careaudit-test 42 IHE+DICOM - {message}");
    format!("{} {syslog}", syslog.len()).into_bytes()
}

#[derive(Debug, PartialEq, Eq, clickhouse::Row, serde::Deserialize)]
struct StoredAccess {
    user_id: String,
    action: String,
    channel: String,
    source_node: String,
    authenticated_as: String,
}

async fn stored(app: &TestApp, nhs_number: &str) -> Vec<StoredAccess> {
    app.wait_until_shipped().await;
    app.clickhouse
        .query("SELECT user_id, action, channel, source_node, authenticated_as FROM access_events FINAL WHERE patient_id = ? ORDER BY user_id")
        .bind(nhs_number)
        .fetch_all()
        .await
        .expect("query")
}

async fn logger(arguments: &[&str], message: &str) {
    let status = tokio::process::Command::new("logger")
        .args(arguments)
        .arg("--")
        .arg(message)
        .status()
        .await
        .expect("logger runs");
    assert!(status.success(), "logger {arguments:?} failed");
}

#[tokio::test]
async fn logger_over_tcp_in_both_framings_and_over_udp() {
    let app = TestApp::spawn("syslog_logger", Background::NONE).await;
    let port = app.syslog_tcp.port().to_string();
    let common = [
        "--server",
        "127.0.0.1",
        "--port",
        port.as_str(),
        "--rfc5424",
        "--msgid",
        "IHE+DICOM",
        "-t",
        "careaudit-test",
    ];
    logger(
        &[&["--tcp", "--octet-count"][..], &common[..]].concat(),
        &atna_read("555000000011", "9990001305"),
    )
    .await;
    logger(
        &[&["--tcp"][..], &common[..]].concat(),
        &atna_read("555000000012", "9990001305"),
    )
    .await;
    let udp_port = app.syslog_udp.port().to_string();
    logger(
        &[
            "--udp",
            "--server",
            "127.0.0.1",
            "--port",
            &udp_port,
            "--rfc5424",
            "--msgid",
            "IHE+DICOM",
        ],
        &atna_read("555000000013", "9990001305"),
    )
    .await;
    // Something that is not an audit message goes to quarantine with its reason.
    logger(
        &[&["--tcp", "--octet-count"][..], &common[..]].concat(),
        "hello, not an audit message",
    )
    .await;

    let rows = tests::wait_for(
        "three stored accesses",
        std::time::Duration::from_secs(20),
        || async {
            let rows = stored(&app, "9990001305").await;
            (rows.len() == 3).then_some(rows)
        },
    )
    .await;
    let channels: Vec<(&str, &str)> = rows
        .iter()
        .map(|row| (row.user_id.as_str(), row.channel.as_str()))
        .collect();
    assert_eq!(
        channels,
        [
            ("555000000011", "syslog_tcp"),
            ("555000000012", "syslog_tcp"),
            ("555000000013", "syslog_udp")
        ]
    );
    assert!(rows.iter().all(|row| row.action == "R"
        && row.source_node == "syslog:127.0.0.1"
        && row.authenticated_as.is_empty()));
    let quarantined: Vec<(String, String)> = app
        .clickhouse
        .query("SELECT channel, reason_code FROM quarantine")
        .fetch_all()
        .await
        .expect("quarantine");
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    assert_eq!(quarantined[0].0, "syslog_tcp");
}

/// Sends bytes through `openssl s_client`, with or without a client certificate.
async fn s_client(app: &TestApp, pki: &TestPki, certificate: Option<&str>, bytes: &[u8]) {
    let address = app.syslog_tls.expect("tls listener").to_string();
    let mut command = tokio::process::Command::new("openssl");
    command
        .args([
            "s_client",
            "-connect",
            &address,
            "-quiet",
            "-no_ign_eof",
            "-CAfile",
        ])
        .arg(pki.file("ca.pem"));
    if let Some(name) = certificate {
        command
            .arg("-cert")
            .arg(pki.file(&format!("{name}.pem")))
            .arg("-key")
            .arg(pki.file(&format!("{name}.key")));
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let _ = stdin.write_all(bytes).await;
    drop(stdin);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait()).await;
}

#[tokio::test]
async fn tls_needs_a_client_certificate_from_the_trusted_ca() {
    let pki = TestPki::create();
    let app = TestApp::spawn_with_tls("syslog_tls", Background::NONE, &pki).await;
    let mut frames = octet_counted(&atna_read("555000000021", "9990001313"));
    frames.extend(octet_counted(&atna_read("555000000022", "9990001313")));
    s_client(&app, &pki, Some("client"), &frames).await;
    s_client(
        &app,
        &pki,
        None,
        &octet_counted(&atna_read("555000000023", "9990001313")),
    )
    .await;
    s_client(
        &app,
        &pki,
        Some("rogue"),
        &octet_counted(&atna_read("555000000024", "9990001313")),
    )
    .await;

    let rows = tests::wait_for(
        "the trusted node's two accesses",
        std::time::Duration::from_secs(20),
        || async {
            let rows = stored(&app, "9990001313").await;
            (rows.len() >= 2).then_some(rows)
        },
    )
    .await;
    // A moment more for anything that (wrongly) got through without a trusted certificate.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let rows_after = stored(&app, "9990001313").await;
    assert_eq!(rows, rows_after);
    let users: Vec<&str> = rows.iter().map(|row| row.user_id.as_str()).collect();
    assert_eq!(
        users,
        ["555000000021", "555000000022"],
        "only the trusted client's events are stored"
    );
    for row in &rows {
        assert_eq!(
            (
                row.channel.as_str(),
                row.source_node.as_str(),
                row.authenticated_as.as_str()
            ),
            ("syslog_tls", TRUSTED_NODE, TRUSTED_NODE)
        );
    }
}
