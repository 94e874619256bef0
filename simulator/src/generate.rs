//! The simulation run: build the region, plan the incidents, write the directories and
//! demographics, then stream the period day by day (start the day's episodes one day ahead, so
//! that views an episode causes before it starts, such as an ambulance crew's, are not late),
//! expanding each view into audit events for its node's feed and a truth record.

use crate::care::{Care, CareEvent, Label, Schedule, View};
use crate::config::{IncidentKind, SimConfig};
use crate::events::{self, instant};
use crate::feeds::{self, fhir_care, Feeds};
use crate::incidents::{self, Incident, Plan};
use crate::region::Region;
use crate::truth::{self, TruthIncident, TruthRecord, TruthSummary, TruthView};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("writing the feeds: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing a CSV extract: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("writing JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// What a run produced (also written to `manifest.json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub care_systems: usize,
    pub organisations: usize,
    pub staff: usize,
    pub patients: usize,
    pub views: u64,
    pub events: u64,
    pub fhir_events: u64,
    pub atna_events: u64,
    pub hl7_messages: u64,
    pub fhir_resources: u64,
    pub late_care_messages: u64,
    pub labels: BTreeMap<String, u64>,
    pub unexplained: BTreeMap<String, u64>,
    pub incidents: BTreeMap<String, u64>,
}

#[derive(Default)]
struct IncidentTrack {
    views: Vec<u64>,
    patients: std::collections::BTreeSet<u32>,
    events: Vec<String>,
    first: Option<i64>,
    last: Option<i64>,
}

/// Simulates `config` into `dir`; the same configuration always writes the same bytes.
pub fn generate(config: &SimConfig, dir: &Path) -> Result<Summary, SimError> {
    let mut region = Region::build(config);
    let plan = incidents::plan(&mut region, config);
    let region = region;
    let mut feeds = Feeds::create(dir, config.compress)?;
    let mut summary = Summary {
        care_systems: region.systems.len(),
        organisations: region.orgs.len(),
        staff: region.staff.len(),
        patients: region.patients.len(),
        ..Summary::default()
    };
    feeds.truth(&TruthRecord::Header {
        format: truth::FORMAT.to_owned(),
        seed: config.seed,
        size: config.size.as_str().to_owned(),
        start: config.start.to_string(),
        days: config.days,
        event_id_pattern: "sim-<seed>-<view>-<n>".to_owned(),
        explanation_window_days_before: truth::WINDOW_BEFORE_DAYS,
        explanation_window_days_after: truth::WINDOW_AFTER_DAYS,
    })?;
    write_directories(&region, config, &plan, &mut feeds, &mut summary)?;

    let mut care = Care::new(&region, config);
    let mut schedule = Schedule::new(&care.clock, config.days);
    care.open_caseloads(&mut schedule);
    incidents::schedule(&plan, &mut care, &mut schedule);
    let mut tracks: Vec<IncidentTrack> = plan
        .incidents
        .iter()
        .map(|_| IncidentTrack::default())
        .collect();
    let mut next_view: u64 = 0;
    care.start_day(0, &mut schedule);
    for day in 0..config.days as i32 {
        if day + 1 < config.days as i32 {
            care.start_day(day + 1, &mut schedule);
        }
        let today = schedule.take(i64::from(day));
        for scheduled in &today.care {
            write_care(
                &region,
                config,
                &mut feeds,
                scheduled.late,
                &scheduled.event,
                &mut summary,
            )?;
        }
        for view in today
            .views
            .into_iter()
            .filter_map(|view| crate::care::through_the_exchange(&region, view))
        {
            let view = &view;
            let events = write_view(&region, config, &mut feeds, next_view, view, &mut summary)?;
            if let Label::Incident { incident } = view.label {
                let track = &mut tracks[incident as usize];
                track.views.push(next_view);
                track.patients.insert(view.patient);
                track.events.extend(events);
                track.first = Some(track.first.map_or(view.at, |first| first.min(view.at)));
                track.last = Some(track.last.map_or(view.at, |last| last.max(view.at)));
            }
            next_view += 1;
        }
    }
    for (incident, track) in plan.incidents.iter().zip(tracks) {
        if track.views.is_empty() {
            continue;
        }
        *summary
            .incidents
            .entry(incident.kind.as_str().to_owned())
            .or_default() += 1;
        feeds.truth(&TruthRecord::Incident(truth_incident(
            &region, incident, track,
        )))?;
    }
    feeds.truth(&TruthRecord::Summary(TruthSummary {
        views: summary.views,
        events: summary.events,
        labels: summary.labels.clone(),
        unexplained: summary.unexplained.clone(),
        incidents: summary.incidents.clone(),
    }))?;
    feeds.finish()?;
    let manifest =
        serde_json::json!({ "config": config, "summary": summary, "send_order": send_order() });
    serde_json::to_writer_pretty(
        BufWriter::new(File::create(dir.join(feeds::MANIFEST))?),
        &manifest,
    )?;
    Ok(summary)
}

/// The files in the order a sender must send them.
pub fn send_order() -> Vec<String> {
    let mut order = vec![
        format!("{}/Organization.ndjson", feeds::FHIR_DIR),
        feeds::STAFF.to_owned(),
        feeds::REGISTRATIONS.to_owned(),
        feeds::VIP.to_owned(),
    ];
    order.extend(
        feeds::CARE_TYPES
            .iter()
            .skip(1)
            .map(|kind| format!("{}/{kind}.ndjson", feeds::FHIR_DIR)),
    );
    order.extend([
        feeds::ADT.to_owned(),
        feeds::AUDIT_EVENTS.to_owned(),
        feeds::ATNA.to_owned(),
    ]);
    order.extend(
        feeds::CARE_TYPES
            .iter()
            .map(|kind| format!("{}/{}/{kind}.ndjson", feeds::LATE_DIR, feeds::FHIR_DIR)),
    );
    order.push(format!("{}/{}", feeds::LATE_DIR, feeds::ADT));
    order
}

fn write_directories(
    region: &Region,
    config: &SimConfig,
    plan: &Plan,
    feeds: &mut Feeds,
    summary: &mut Summary,
) -> Result<(), SimError> {
    let dir = feeds.dir().to_owned();
    for org in 0..region.orgs.len() as u32 {
        feeds.fhir(false, &fhir_care::organization(region, org))?;
    }
    feeds::csv::staff(
        BufWriter::new(File::create(dir.join(feeds::STAFF))?),
        region,
        config.start,
    )?;
    feeds::csv::registrations(
        BufWriter::new(File::create(dir.join(feeds::REGISTRATIONS))?),
        region,
        config.start,
    )?;
    feeds::csv::vip(BufWriter::new(File::create(dir.join(feeds::VIP))?), region)?;
    let former: BTreeMap<u32, (u32, i32)> = plan
        .old_addresses
        .iter()
        .map(|(patient, household, until)| (*patient, (*household, *until)))
        .collect();
    for patient in 0..region.patients.len() as u32 {
        feeds.fhir(
            false,
            &fhir_care::patient(region, config.start, patient, former.get(&patient).copied()),
        )?;
        if region.patients[patient as usize].objection {
            feeds.fhir(false, &fhir_care::consent(region, patient))?;
            summary.fhir_resources += 1;
        }
    }
    for (index, relation) in plan.relations.iter().enumerate() {
        feeds.fhir(
            false,
            &fhir_care::related_person(region, config.start, index, relation),
        )?;
    }
    summary.fhir_resources +=
        (region.orgs.len() + region.patients.len() + plan.relations.len()) as u64;
    Ok(())
}

fn write_care(
    region: &Region,
    config: &SimConfig,
    feeds: &mut Feeds,
    late: bool,
    event: &CareEvent,
    summary: &mut Summary,
) -> Result<(), SimError> {
    if late {
        summary.late_care_messages += 1;
    }
    let resource = match event {
        CareEvent::Visit(visit) => {
            summary.hl7_messages += 1;
            return Ok(feeds.hl7(late, &feeds::hl7::adt(region, visit))?);
        }
        CareEvent::Appointment(appointment) => fhir_care::appointment(region, appointment),
        CareEvent::Referral(referral) => fhir_care::service_request(region, referral),
        CareEvent::Episode(episode) => fhir_care::episode_of_care(region, episode),
        CareEvent::CareTeam(team) => fhir_care::care_team(region, team),
        CareEvent::Encounter(encounter) => fhir_care::encounter(region, encounter),
        CareEvent::Death { patient } => fhir_care::patient(region, config.start, *patient, None),
    };
    summary.fhir_resources += 1;
    Ok(feeds.fhir(late, &resource)?)
}

fn write_view(
    region: &Region,
    config: &SimConfig,
    feeds: &mut Feeds,
    number: u64,
    view: &View,
    summary: &mut Summary,
) -> Result<Vec<String>, SimError> {
    let staff = &region.staff[view.staff as usize];
    let atna = region.systems[region.orgs[staff.org as usize].system as usize].atna;
    let mut ids = Vec::new();
    for spec in events::expand(region, config, number, view) {
        if atna {
            let message = feeds::atna::message(&spec, staff.role.job);
            ids.push(feeds::atna::derived_event_id(&message));
            feeds.atna_message(&message)?;
            summary.atna_events += 1;
        } else {
            feeds.audit_event(&spec)?;
            ids.push(spec.event_id);
            summary.fhir_events += 1;
        }
    }
    summary.views += 1;
    summary.events += ids.len() as u64;
    let (label, context, kind, binding, source, late, incident) = match &view.label {
        Label::Explained {
            context,
            kind,
            binding,
            source,
            late,
        } => (
            "explained",
            *context,
            *kind,
            *binding,
            source.clone(),
            *late,
            None,
        ),
        Label::Unexplained { context } => {
            *summary
                .unexplained
                .entry((*context).to_owned())
                .or_default() += 1;
            ("unexplained", *context, "", "", String::new(), false, None)
        }
        Label::Incident { incident } => (
            "incident",
            "incident",
            "",
            "",
            String::new(),
            false,
            Some(*incident),
        ),
    };
    *summary.labels.entry(label.to_owned()).or_default() += 1;
    feeds.truth(&TruthRecord::View(TruthView {
        view: number,
        at: instant(view.at),
        user_id: region.user_id(view.staff),
        org_code: region.orgs[staff.org as usize].code.clone(),
        patient: region.nhs_number(view.patient),
        label: label.to_owned(),
        context: context.to_owned(),
        kind: kind.to_owned(),
        binding: binding.to_owned(),
        source,
        late,
        incident,
        alert: view
            .alert
            .as_ref()
            .map(|alert| alert.kind.to_owned())
            .unwrap_or_default(),
        events: ids.clone(),
    }))?;
    Ok(ids)
}

fn truth_incident(region: &Region, incident: &Incident, track: IncidentTrack) -> TruthIncident {
    let kind: IncidentKind = incident.kind;
    TruthIncident {
        incident: incident.id,
        kind: kind.as_str().to_owned(),
        user_id: region.user_id(incident.staff),
        org_code: region.org_of_staff(incident.staff).code.clone(),
        patients: track
            .patients
            .iter()
            .map(|patient| region.nhs_number(*patient))
            .collect(),
        evidence: incident.evidence.clone(),
        views: track.views,
        events: track.events,
        start: track.first.map(instant).unwrap_or_default(),
        end: track.last.map(instant).unwrap_or_default(),
    }
}
