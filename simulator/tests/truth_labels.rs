//! The truth file is honest about explanations: every view labelled explained names a care
//! fact that is in the feeds (in the late files exactly when the label says it arrives late),
//! staff who are patients are the patient the staff directory says, and the region's sizes are
//! what the presets promise.

use simulator::feeds;
use simulator::truth::read_truth;
use std::collections::HashSet;

fn demo(seed: u64) -> (tempfile::TempDir, simulator::Summary) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    let config = simulator::SimConfig::preset(simulator::Size::Demo, seed, start);
    let summary = simulator::generate(&config, dir.path()).expect("simulation");
    (dir, summary)
}

/// The ids (`Type/id`) of the FHIR resources and the visit numbers of the ADT messages in a
/// directory (on time or late).
fn facts(dir: &std::path::Path) -> (HashSet<String>, HashSet<String>) {
    let mut resources = HashSet::new();
    for resource_type in feeds::CARE_TYPES {
        let path = dir
            .join(feeds::FHIR_DIR)
            .join(format!("{resource_type}.ndjson"));
        for line in std::fs::read_to_string(path).expect("fhir file").lines() {
            let value: serde_json::Value = serde_json::from_str(line).expect("json");
            resources.insert(format!(
                "{resource_type}/{}",
                value["id"].as_str().expect("id")
            ));
        }
    }
    let mut visits = HashSet::new();
    let adt = std::fs::read_to_string(dir.join(feeds::ADT)).expect("adt");
    for segment in adt.split(['\r', '\u{b}', '\u{1c}']) {
        if let Some(pv1) = segment.strip_prefix("PV1|") {
            let fields: Vec<&str> = pv1.split('|').collect();
            let org = fields[2].rsplit('^').next().expect("facility");
            visits.insert(format!("{org}:{}", fields[18]));
        }
    }
    (resources, visits)
}

#[test]
fn every_explained_view_names_a_fact_in_the_feeds() {
    let (dir, summary) = demo(4);
    let truth = read_truth(std::io::BufReader::new(
        std::fs::File::open(dir.path().join(feeds::TRUTH)).expect("truth"),
    ))
    .expect("truth");
    let on_time = facts(dir.path());
    let late = facts(&dir.path().join(feeds::LATE_DIR));
    let registrations: HashSet<String> =
        std::fs::read_to_string(dir.path().join(feeds::REGISTRATIONS))
            .expect("registrations")
            .lines()
            .skip(1)
            .map(|line| {
                let columns: Vec<&str> = line.split(',').collect();
                format!("{}:{}", columns[0], columns[1])
            })
            .collect();
    let mut checked = 0;
    for view in truth.views.iter().filter(|view| view.label == "explained") {
        let (resources, visits) = if view.late { &late } else { &on_time };
        let found = if let Some(resource) = view.source.strip_prefix("fhir:") {
            resources.contains(resource)
        } else if let Some(visit) = view.source.strip_prefix("hl7:") {
            visits.contains(visit)
        } else if let Some(registration) = view.source.strip_prefix("csv:registration:") {
            registrations.contains(registration)
        } else {
            false
        };
        assert!(
            found,
            "view {} is explained by {} (late: {}), which is not in the feeds",
            view.view, view.source, view.late
        );
        assert!(
            ["user", "team", "organisation"].contains(&view.binding.as_str()),
            "{view:?}"
        );
        checked += 1;
    }
    assert_eq!(checked as u64, summary.labels["explained"]);
    let unexplained = summary.labels.get("unexplained").copied().unwrap_or(0);
    let legitimate = summary.labels["explained"] + unexplained;
    let share = unexplained as f64 / legitimate as f64;
    assert!(
        (0.005..0.05).contains(&share),
        "unexplained share of legitimate views {share}"
    );
}

#[test]
fn staff_who_are_patients_are_the_patient_the_directory_names() {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    let config = simulator::SimConfig::preset(simulator::Size::Demo, 2, start);
    let region = simulator::Region::build(&config);
    let mut patients = 0;
    for (index, member) in region.staff.iter().enumerate() {
        if let Some(patient) = member.patient {
            patients += 1;
            assert_eq!(
                region.staff_name(index as u32),
                region.patient_name(patient)
            );
            assert_eq!(
                member.household,
                Some(region.patients[patient as usize].household)
            );
            assert_eq!(region.patients[patient as usize].staff, Some(index as u32));
            assert_eq!(
                region.staff_address(index as u32),
                region.address(member.household.expect("home"))
            );
        }
    }
    let share = f64::from(patients) / region.staff.len() as f64;
    assert!((0.5..0.7).contains(&share), "{share} of staff are patients");
}

#[test]
fn the_presets_have_the_promised_sizes() {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    let london = simulator::Region::build(&simulator::SimConfig::preset(
        simulator::Size::London,
        1,
        start,
    ));
    assert!(
        london.staff.len() >= 100_000,
        "london has {} staff",
        london.staff.len()
    );
    let standard = simulator::SimConfig::preset(simulator::Size::Standard, 1, start);
    let region = simulator::Region::build(&standard);
    for kind in simulator::IncidentKind::ALL {
        assert!(
            standard.incident_count(kind, region.staff.len()) >= 15,
            "{kind:?}"
        );
    }
}
