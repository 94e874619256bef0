//! Conformance of the FHIR AuditEvent mapping over the third-party samples in
//! `../shared/testdata/fhir` (FHIR R4 spec, IHE BALP 1.1.4, gematik, Swiss EPR, HL7 validator
//! cases): each one is either mapped with the expected patient, user, organisation and action,
//! or refused for the stated reason. Every sample file must be listed: a new file fails the test
//! until someone decides what it should map to.

use collector::map_audit_event;
use domain::{Channel, Provenance, Timestamp};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/fhir");
    assert!(
        path.is_dir(),
        "third-party test data not found at {} (CI keeps shared/ beside the repository)",
        path.display()
    );
    path
}

fn provenance() -> Provenance {
    Provenance {
        source_node: "conformance".to_owned(),
        channel: Channel::FhirHttp,
        authenticated_as: String::new(),
        received_at: Timestamp::from_millis(0),
    }
}

/// What one AuditEvent maps to: `patient|user|org|action|emergency`, or `refused:<reason>`.
fn outcome(resource: &Value) -> String {
    let bytes = serde_json::to_vec(resource).expect("serialise");
    match map_audit_event(&bytes, provenance(), || "derived".to_owned()) {
        Ok(event) => format!(
            "{}|{}|{}|{}|{}",
            event.patient_id,
            event.user_id,
            event
                .user_org
                .map(|org| org.to_string())
                .unwrap_or_default(),
            event.action.code(),
            if event.emergency_access {
                "emergency"
            } else {
                "-"
            }
        ),
        Err(error) => format!("refused:{}", error.reason_code),
    }
}

/// Every AuditEvent in the samples, keyed `file` or `file#entry`.
fn samples() -> BTreeMap<String, Value> {
    let root = testdata();
    let mut found = BTreeMap::new();
    let folders = [
        "r4-spec/auditevent",
        "ihe-balp-1.1.4/auditevent",
        "gematik-erp",
        "ch-atc-swiss-epr/json-converted",
        "fhir-test-cases",
    ];
    for folder in folders {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(folder))
            .expect("folder")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        files.sort();
        for file in files
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "json"))
        {
            let name = format!(
                "{folder}/{}",
                file.file_name().expect("name").to_string_lossy()
            );
            let value: Value = serde_json::from_slice(&std::fs::read(&file).expect("read"))
                .expect("sample is JSON");
            match value["resourceType"].as_str() {
                Some("Bundle") => {
                    for (index, entry) in
                        value["entry"].as_array().into_iter().flatten().enumerate()
                    {
                        if entry["resource"]["resourceType"] == "AuditEvent" {
                            found.insert(format!("{name}#{index}"), entry["resource"].clone());
                        }
                    }
                }
                Some("AuditEvent") => {
                    found.insert(name, value);
                }
                _ => {}
            }
        }
    }
    found
}

// Refusals, with the reason each is right:
// - missing_patient: login/logout/error/search events of the FHIR spec, BALP "NoPatient" and SAML
//   "poke" examples, the HL7 validator slicing cases and the gematik e-prescription log (which
//   names the insured person only in free text) do not identify a patient: they are not
//   accesses to a patient's record.
// - missing_user: BALP "NoUser" examples (system or job access with only devices as agents) and
//   the Swiss HPD group notification have no requesting person; careaudit audits people's views.
const EXPECTED: &[(&str, &str)] = &[
    (
        "ch-atc-swiss-epr/json-converted/atc-doc-create-rep-pat.json",
        "761337610469261945|761322222222222222||C|-",
    ),
    (
        "ch-atc-swiss-epr/json-converted/atc-doc-read-ass-hpc.json",
        "761337610469261945|Regula Fischer||R|emergency",
    ),
    (
        "ch-atc-swiss-epr/json-converted/atc-doc-search.json",
        "761337610469261945|Dr. med. Sabine Musterfrau||E|emergency",
    ),
    (
        "ch-atc-swiss-epr/json-converted/atc-hpd-group-entry-notify.json",
        "refused:missing_user",
    ),
    (
        "ch-atc-swiss-epr/json-converted/atc-log-read.json",
        "761337610469261945|Jakob Wieder-Gesund||C|-",
    ),
    (
        "ch-atc-swiss-epr/json-converted/atc-pol-create-acc-right.json",
        "761337610469261945|Jakob Wieder-Gesund||C|-",
    ),
    (
        "ch-atc-swiss-epr/json-converted/atc-pol-create-rep.json",
        "761337610469261945|Jakob Wieder-Gesund||C|-",
    ),
    (
        "ch-atc-swiss-epr/json-converted/ch-atc-iti-81-response-sample.json#0",
        "761337610469261945|761322222222222222||C|-",
    ),
    (
        "ch-atc-swiss-epr/json-converted/ch-atc-iti-81-response-sample.json#1",
        "761337610469261945|Jakob Wieder-Gesund||C|-",
    ),
    (
        "ch-atc-swiss-epr/json-converted/ch-atc-iti-81-response-sample.json#2",
        "761337610469261945|Jakob Wieder-Gesund||C|-",
    ),
    (
        "fhir-test-cases/auditEvent-ex-SecondSliceProfile.json",
        "refused:missing_patient",
    ),
    (
        "fhir-test-cases/slice23-AuditEvent-ex-FirstSliceProfile.json",
        "refused:missing_patient",
    ),
    (
        "fhir-test-cases/slice23-AuditEvent-ex-SecondSliceProfile.json",
        "refused:missing_patient",
    ),
    (
        "gematik-erp/Bundle-erp-versicherte-07-response-getAuditEvent.json#0",
        "refused:missing_patient",
    ),
    (
        "gematik-erp/Bundle-erp-versicherte-07-response-getAuditEvent.json#1",
        "refused:missing_patient",
    ),
    (
        "gematik-erp/Bundle-erp-versicherte-07-response-getAuditEvent.json#2",
        "refused:missing_patient",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditAuthZconsent-deny.json",
        "ex-patient|Practitioner/ex-practitioner|ex-organization|E|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditAuthZconsent.json",
        "ex-patient|Practitioner/ex-practitioner|ex-organization|E|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicCreate1.json",
        "ex-patient|Betty Jones||C|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicCreate2.json",
        "ex-patient|Charley Miller||C|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicCreateClient.json",
        "ex-patient|John Smith||C|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicCreateNoPatient.json",
        "refused:missing_patient",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicCreateNoUser.json",
        "refused:missing_user",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicCreateNoUserJob.json",
        "refused:missing_user",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicCreateNoUserReport.json",
        "refused:missing_user",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicCreateServer.json",
        "ex-patient|John Smith||C|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicDelete2.json",
        "ex-patient|Charley Miller||D|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicDeleteClient.json",
        "ex-patient|John Smith||D|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicDeleteInformant.json",
        "ex-patient|Betty Jones||D|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicDeleteNoPatient.json",
        "refused:missing_patient",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicDeleteNoUser.json",
        "refused:missing_user",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicDeleteNoUserJob.json",
        "refused:missing_user",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicDeleteNoUserReport.json",
        "refused:missing_user",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicDeleteServer.json",
        "ex-patient|John Smith||D|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicPatch.json",
        "ex-patient|John Smith||U|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicQueryGetClient.json",
        "ex-patient|John Smith||E|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicQueryGetNoPatient.json",
        "refused:missing_patient",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicQueryGetServer.json",
        "ex-patient|John Smith||E|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicQueryPost.json",
        "ex-patient|John Smith||E|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicReadClient.json",
        "ex-patient|John Smith||R|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicReadNoPatient.json",
        "refused:missing_patient",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicReadNoUser.json",
        "refused:missing_user",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicReadOClient.json",
        "ex-patient|JohnSmith||R|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicReadOServer.json",
        "ex-patient|35fb1058-7f36-415b-b862-677a37c95f35||R|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicReadOServerMin.json",
        "refused:missing_user",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicReadServer.json",
        "ex-patient|John Smith||R|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicUpdate1.json",
        "ex-patient|Betty Jones||U|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicUpdate2.json",
        "ex-patient|Charley Miller||U|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicUpdateNoPatient.json",
        "refused:missing_patient",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicUpdateNoUser.json",
        "refused:missing_user",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicUpdateNoUserJob.json",
        "refused:missing_user",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditBasicUpdateNoUserReport.json",
        "refused:missing_user",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditPoke-SAML-Comp.json",
        "refused:missing_patient",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditPoke-SAML-Min.json",
        "refused:missing_patient",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditPoke-SAML-Min2.json",
        "refused:missing_patient",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditPoke-SAML-QDI-Comp.json",
        "refused:missing_patient",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditPoke-SAML-QDI-Min.json",
        "refused:missing_patient",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditPrivacyDisclosure-measurereport.json",
        "ex-patient|Patient/ex-patient||R|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditPrivacyDisclosure-recipient-minCodes.json",
        "ex-patient|Patient/ex-patient||C|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditPrivacyDisclosure-recipient.json",
        "ex-patient|Patient/ex-patient||C|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditPrivacyDisclosure-source.json",
        "ex-patient|Patient/ex-patient||R|-",
    ),
    (
        "ihe-balp-1.1.4/auditevent/AuditEvent-ex-auditPrivacyDisclosure-source2.json",
        "ex-patient|Patient/ex-patient||R|-",
    ),
    (
        "r4-spec/auditevent/AuditEvent-example-disclosure.json",
        "What.id|SomeIdiot@nowhere||R|-",
    ),
    (
        "r4-spec/auditevent/AuditEvent-example-error.json",
        "refused:missing_patient",
    ),
    (
        "r4-spec/auditevent/AuditEvent-example-login.json",
        "refused:missing_patient",
    ),
    (
        "r4-spec/auditevent/AuditEvent-example-logout.json",
        "refused:missing_patient",
    ),
    (
        "r4-spec/auditevent/AuditEvent-example-media.json",
        "e3cdfc81a0d24bd|95||R|-",
    ),
    (
        "r4-spec/auditevent/AuditEvent-example-pixQuery.json",
        "e3cdfc81a0d24bd|95||E|-",
    ),
    (
        "r4-spec/auditevent/AuditEvent-example-rest.json",
        "example|95||R|-",
    ),
    (
        "r4-spec/auditevent/AuditEvent-example-search.json",
        "refused:missing_patient",
    ),
    (
        "r4-spec/auditevent/AuditEvent-example.json",
        "refused:missing_patient",
    ),
];

#[test]
fn every_sample_maps_as_expected() {
    let actual: BTreeMap<String, String> = samples()
        .iter()
        .map(|(name, resource)| (name.clone(), outcome(resource)))
        .collect();
    let expected: BTreeMap<String, String> = EXPECTED
        .iter()
        .map(|(name, outcome)| ((*name).to_owned(), (*outcome).to_owned()))
        .collect();
    let listing: String = actual
        .iter()
        .map(|(name, outcome)| format!("    (\"{name}\", \"{outcome}\"),\n"))
        .collect();
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "sample files and the table differ; actual outcomes:\n{listing}"
    );
    for (name, outcome) in &expected {
        assert_eq!(&actual[name], outcome, "{name}");
    }
}
