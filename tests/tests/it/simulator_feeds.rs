//! The simulator's feeds against careaudit's own parsers and a real FHIR library: every file of
//! a demo-size run maps with zero rejections (FHIR AuditEvent, ATNA syslog, HL7 v2, FHIR care,
//! CSV); the ATNA event ids the truth file records are the ones the collector derives; the
//! same seed writes byte-identical files and another seed different ones; every injected
//! incident is in the truth file with all its events present in the feeds; and the FHIR
//! resources validate with PyPI's `fhir.resources`.

use collector::{CsvKind, ReferenceResolver};
use domain::{Channel, Provenance, Timestamp};
use simulator::feeds;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

fn provenance() -> Provenance {
    Provenance {
        source_node: "simulator-test".to_owned(),
        channel: Channel::FhirHttp,
        authenticated_as: String::new(),
        received_at: Timestamp::from_millis(1_800_000_000_000),
    }
}

pub fn demo_config(seed: u64) -> simulator::SimConfig {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    simulator::SimConfig::preset(simulator::Size::Demo, seed, start)
}

pub fn generate(seed: u64) -> (tempfile::TempDir, simulator::Summary) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let summary = simulator::generate(&demo_config(seed), dir.path()).expect("simulation");
    (dir, summary)
}

fn lines(path: &Path) -> Vec<Vec<u8>> {
    std::fs::read(path)
        .expect("feed file")
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// The messages of an octet-counted syslog file.
pub fn syslog_messages(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let space = rest
            .iter()
            .position(|byte| *byte == b' ')
            .expect("octet count");
        let length: usize = std::str::from_utf8(&rest[..space])
            .expect("digits")
            .parse()
            .expect("a length");
        messages.push(rest[space + 1..space + 1 + length].to_vec());
        rest = &rest[space + 1 + length..];
    }
    messages
}

/// The messages of an MLLP-framed file, without the framing.
fn mllp_messages(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split(|byte| *byte == 0x1c)
        .filter_map(|frame| {
            frame
                .strip_prefix(b"\r")
                .unwrap_or(frame)
                .strip_prefix(&[0x0b])
        })
        .map(<[u8]>::to_vec)
        .collect()
}

/// Every event id in the audit feeds, checking each event maps.
fn audit_event_ids(dir: &Path) -> HashSet<String> {
    let mut ids = HashSet::new();
    for line in lines(&dir.join(feeds::AUDIT_EVENTS)) {
        let event = collector::map_audit_event(&line, provenance(), || "no-id".to_owned())
            .unwrap_or_else(|error| {
                panic!(
                    "AuditEvent rejected: {:?}\n{}",
                    error.issues,
                    String::from_utf8_lossy(&line)
                )
            });
        ids.insert(event.event_id.to_string());
    }
    let atna = std::fs::read(dir.join(feeds::ATNA)).expect("atna feed");
    for message in syslog_messages(&atna) {
        let parsed = collector::parse_syslog(&message, Timestamp::from_millis(1_800_000_000_000))
            .expect("RFC 5424 record");
        let derived = collector::derived_event_id(&message);
        assert_eq!(
            derived,
            simulator::feeds::atna::derived_event_id(&message),
            "the simulator derives ATNA ids as the collector does"
        );
        let mapped = collector::map_atna_message(&parsed.message, provenance(), || derived.clone())
            .unwrap_or_else(|error| {
                panic!(
                    "ATNA message rejected: {error}\n{}",
                    String::from_utf8_lossy(&message)
                )
            });
        assert!(mapped.additional_patients.is_empty());
        ids.insert(mapped.event.event_id.to_string());
    }
    ids
}

#[test]
fn every_feed_passes_the_collectors_parsers() {
    let (dir, summary) = generate(11);
    let dir = dir.path();
    assert!(
        summary.fhir_events > 0 && summary.atna_events > 0,
        "{summary:?}"
    );

    let ids = audit_event_ids(dir);
    assert_eq!(
        ids.len() as u64,
        summary.events,
        "every event id is distinct"
    );

    let mut hl7 = 0;
    for late in [false, true] {
        let path = if late {
            dir.join(feeds::LATE_DIR).join(feeds::ADT)
        } else {
            dir.join(feeds::ADT)
        };
        for message in mllp_messages(&std::fs::read(path).expect("adt feed")) {
            for parsed in collector::split_messages(&message) {
                let parsed = parsed.expect("an HL7 v2 message");
                let facts = collector::hl7_care_facts(&parsed).unwrap_or_else(|error| {
                    panic!(
                        "ADT rejected: {error}\n{}",
                        String::from_utf8_lossy(&message)
                    )
                });
                assert!(facts.len() >= 3, "patient, encounter and clinician facts");
                hl7 += 1;
            }
        }
    }
    assert_eq!(hl7, summary.hl7_messages);

    let mut resources = 0;
    for late in [false, true] {
        for resource_type in feeds::CARE_TYPES {
            let base = if late {
                dir.join(feeds::LATE_DIR)
            } else {
                dir.to_owned()
            };
            let mut resolver = ReferenceResolver::new();
            for line in lines(
                &base
                    .join(feeds::FHIR_DIR)
                    .join(format!("{resource_type}.ndjson")),
            ) {
                let facts =
                    collector::fhir_care_facts(&line, &mut resolver).unwrap_or_else(|error| {
                        panic!(
                            "{resource_type} rejected: {:?}\n{}",
                            error.issues,
                            String::from_utf8_lossy(&line)
                        )
                    });
                assert!(!facts.is_empty(), "{resource_type} states a fact");
                resources += 1;
            }
        }
    }
    assert_eq!(resources, summary.fhir_resources);

    for (file, kind, rows) in [
        (feeds::STAFF, CsvKind::Staff, summary.staff),
        (
            feeds::REGISTRATIONS,
            CsvKind::Registrations,
            summary.patients,
        ),
    ] {
        let load = collector::read_csv(kind, &std::fs::read(dir.join(file)).expect("csv"))
            .expect("a CSV header");
        assert!(load.errors.is_empty(), "{file}: {:?}", load.errors);
        assert_eq!(load.facts.len(), rows, "{file}");
    }
    let vip = collector::read_csv(
        CsvKind::Vip,
        &std::fs::read(dir.join(feeds::VIP)).expect("vip csv"),
    )
    .expect("a CSV header");
    assert!(
        vip.errors.is_empty() && !vip.facts.is_empty(),
        "{:?}",
        vip.errors
    );
}

#[test]
fn the_same_seed_writes_the_same_bytes() {
    let files = |dir: &Path| -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        let mut pending = vec![dir.to_owned()];
        while let Some(next) = pending.pop() {
            for entry in std::fs::read_dir(&next).expect("directory") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let name = path
                        .strip_prefix(dir)
                        .expect("inside")
                        .display()
                        .to_string();
                    files.insert(name, std::fs::read(&path).expect("file"));
                }
            }
        }
        files
    };
    let (first, _) = generate(5);
    let (second, _) = generate(5);
    let (other, _) = generate(6);
    let (first, second, other) = (
        files(first.path()),
        files(second.path()),
        files(other.path()),
    );
    assert!(first.len() > 20, "{:?}", first.keys().collect::<Vec<_>>());
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &first {
        assert!(
            bytes == &second[name],
            "{name} differs between two runs of the same seed"
        );
    }
    for name in [feeds::AUDIT_EVENTS, feeds::TRUTH, feeds::STAFF] {
        assert!(
            first[name] != other[name],
            "{name} is the same for another seed"
        );
    }
}

#[test]
fn every_incident_is_in_the_truth_file_with_its_events_in_the_feeds() {
    let (dir, summary) = generate(3);
    let truth = simulator::truth::read_truth(std::io::BufReader::new(
        std::fs::File::open(dir.path().join(feeds::TRUTH)).expect("truth"),
    ))
    .expect("truth file");
    let ids = audit_event_ids(dir.path());
    let kinds: HashSet<&str> = truth
        .incidents
        .iter()
        .map(|incident| incident.kind.as_str())
        .collect();
    for kind in simulator::IncidentKind::ALL {
        assert!(
            kinds.contains(kind.as_str()),
            "no {} incident in the truth file",
            kind.as_str()
        );
    }
    let mut incident_views = 0;
    for incident in &truth.incidents {
        assert!(
            !incident.events.is_empty() && !incident.patients.is_empty(),
            "incident {} has accesses",
            incident.incident
        );
        for event in &incident.events {
            assert!(
                ids.contains(event),
                "incident {} event {event} is not in the feeds",
                incident.incident
            );
        }
        for view in &incident.views {
            let recorded = &truth.views[*view as usize];
            assert_eq!(recorded.view, *view);
            assert_eq!(recorded.incident, Some(incident.incident));
            assert_eq!(recorded.user_id, incident.user_id);
        }
        incident_views += incident.views.len();
    }
    let labelled = truth
        .views
        .iter()
        .filter(|view| view.label == "incident")
        .count();
    assert_eq!(
        labelled, incident_views,
        "every incident view belongs to exactly one incident"
    );
    let events: usize = truth.views.iter().map(|view| view.events.len()).sum();
    assert_eq!(events as u64, summary.events);
    assert!(truth
        .views
        .iter()
        .all(|view| view.events.iter().all(|event| ids.contains(event))));
}

#[test]
fn the_fhir_resources_validate_with_fhir_resources() {
    let (dir, _) = generate(9);
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = std::process::Command::new(repository.join("scripts/services"))
        .arg("python")
        .output()
        .expect("scripts/services python");
    let python = String::from_utf8(python.stdout)
        .expect("a path")
        .trim()
        .to_owned();
    assert!(
        !python.is_empty(),
        "scripts/services python printed no interpreter"
    );
    let output = std::process::Command::new(&python)
        .arg(repository.join("scripts/validate_fhir.py"))
        .arg(dir.path())
        .output()
        .unwrap_or_else(|error| panic!("running {python}: {error}"));
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "FHIR validation failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        report.contains("AuditEvent") && report.contains("Patient"),
        "{report}"
    );
}
