//! Care over time and the record views it causes. Each simulated day starts episodes (GP
//! consultations, emergency attendances, admissions with transfers and discharges, referrals
//! and clinics, mental-health and community caseloads, NHS 111 calls, ambulance call-outs,
//! deaths); an episode schedules, at once, all its care-context facts and all the views of the
//! people involved, on the days they happen. Days are drained in order, so memory holds only
//! the episodes still running.
//!
//! Every legitimate view is labelled with why it happened and, when the care data explains it,
//! with the fact that does and the level it binds at (the user, their team or their
//! organisation). A view counts as explainable when that fact is in the feeds and the view falls
//! within 7 days before its start and 30 days after its end (the window EVALUATION.md states).
//! The rest are unexplained for the reasons real audits find: NHS 111 and out-of-hours
//! clinicians, ambulance crews without an electronic record, community pharmacists without a
//! referral, cover by another practice, specialist advice by phone.

mod caseloads;
mod hospital;
mod primary;
mod staffing;

use crate::config::{Millis, SimConfig, DAY};
use crate::region::Region;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

pub use staffing::{Clock, Need};

/// An HL7 v2 ADT visit event (A04 register, A01 admit, A02 transfer, A03 discharge).
#[derive(Debug, Clone)]
pub struct Visit {
    pub trigger: &'static str,
    pub org: u32,
    pub visit: String,
    pub patient: u32,
    /// PV1-2: `E` emergency, `I` inpatient.
    pub class: char,
    pub ward: u32,
    pub prior_ward: Option<u32>,
    pub attending: u32,
    pub admitting: Option<u32>,
    pub admitted: Millis,
    pub discharged: Option<Millis>,
    pub at: Millis,
}

/// A FHIR Appointment with one practitioner at a team's location.
#[derive(Debug, Clone)]
pub struct Appointment {
    pub id: String,
    pub patient: u32,
    pub practitioner: u32,
    pub team: u32,
    pub start: Millis,
    pub minutes: u32,
    pub status: &'static str,
}

/// A FHIR ServiceRequest read as a referral.
#[derive(Debug, Clone)]
pub struct Referral {
    pub id: String,
    pub patient: u32,
    pub requester: u32,
    pub performer_org: u32,
    pub performer_team: Option<u32>,
    pub authored: Millis,
    pub end: Option<Millis>,
}

/// A FHIR EpisodeOfCare with a care manager and a team.
#[derive(Debug, Clone)]
pub struct Episode {
    pub id: String,
    pub patient: u32,
    pub org: u32,
    pub manager: u32,
    pub team: u32,
    pub start: Millis,
    pub end: Option<Millis>,
}

/// A FHIR CareTeam: named members of a team caring for the patient.
#[derive(Debug, Clone)]
pub struct CareTeamFact {
    pub id: String,
    pub patient: u32,
    pub team: u32,
    pub members: Vec<u32>,
    pub start: Millis,
    pub end: Option<Millis>,
}

/// A FHIR Encounter (an ambulance service's patient care record).
#[derive(Debug, Clone)]
pub struct EncounterFact {
    pub id: String,
    pub patient: u32,
    pub org: u32,
    pub participants: Vec<u32>,
    pub start: Millis,
    pub end: Millis,
}

#[derive(Debug, Clone)]
pub enum CareEvent {
    Visit(Visit),
    Appointment(Appointment),
    Referral(Referral),
    Episode(Episode),
    CareTeam(CareTeamFact),
    Encounter(EncounterFact),
    /// The patient died: a Patient update with `deceasedDateTime`.
    Death {
        patient: u32,
    },
}

/// A care fact as sent: when, and whether its feed delivers it late (after the views it
/// explains).
#[derive(Debug, Clone)]
pub struct Scheduled {
    pub at: Millis,
    pub late: bool,
    pub event: CareEvent,
}

/// Why a view happened and what, if anything, explains it.
#[derive(Debug, Clone, PartialEq)]
pub enum Label {
    Explained {
        /// What the viewer was doing (`ward_round`, `gp_consultation`, `handover`, ...).
        context: &'static str,
        /// The relationship kind of the explaining fact, as careaudit names kinds.
        kind: &'static str,
        /// `user`, `team` or `organisation`.
        binding: &'static str,
        /// The explaining fact: `hl7:<org>:<visit>`, `fhir:<Type>/<id>` or
        /// `csv:registration:<nhs>:<practice>`.
        source: String,
        /// The fact arrives after the view (late care context).
        late: bool,
    },
    Unexplained {
        context: &'static str,
    },
    Incident {
        incident: u32,
    },
}

/// An SCR-style alert raised with the view.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// `emergency-access`, `self-claimed-relationship` or `permission-override`.
    pub kind: &'static str,
    pub reason: String,
}

/// One user opening one patient's record.
#[derive(Debug, Clone)]
pub struct View {
    pub at: Millis,
    pub staff: u32,
    pub patient: u32,
    pub label: Label,
    /// The record was found by a demographic search (`Some(true)`), from a worklist
    /// (`Some(false)`), or as the expansion decides (`None`).
    pub search: Option<bool>,
    pub alert: Option<Alert>,
}

/// What one day brings: care facts and views, each sorted by time.
#[derive(Debug, Default)]
pub struct Day {
    pub care: Vec<Scheduled>,
    pub views: Vec<View>,
}

/// Care and views scheduled for future days, drained day by day.
#[derive(Debug, Default)]
pub struct Schedule {
    days: BTreeMap<i64, Day>,
    clock_start: Millis,
    end: Millis,
    /// The first day not yet taken: anything scheduled for an earlier day goes to this one
    /// (it is sent as soon as possible; its own time stays what it was).
    next: i64,
}

impl Schedule {
    pub fn new(clock: &Clock, days: u32) -> Self {
        Self {
            days: BTreeMap::new(),
            clock_start: clock.start,
            end: clock.start + i64::from(days) * DAY,
            next: 0,
        }
    }

    fn day_of(&self, at: Millis) -> i64 {
        (at - self.clock_start).div_euclid(DAY).max(self.next)
    }

    /// Schedules a care fact; facts before the period are sent on its first day (they are the
    /// history the region starts with), facts after it are dropped.
    pub fn care(&mut self, at: Millis, late: bool, event: CareEvent) {
        if at >= self.end {
            return;
        }
        let day = self.day_of(at);
        self.days
            .entry(day)
            .or_default()
            .care
            .push(Scheduled { at, late, event });
    }

    /// Schedules a view; views outside the period are dropped.
    pub fn view(&mut self, view: View) {
        if view.at < self.clock_start || view.at >= self.end {
            return;
        }
        let day = self.day_of(view.at);
        self.days.entry(day).or_default().views.push(view);
    }

    /// Takes everything scheduled for `day`, sorted by time.
    pub fn take(&mut self, day: i64) -> Day {
        self.next = self.next.max(day + 1);
        let mut taken = self.days.remove(&day).unwrap_or_default();
        taken.care.sort_by_key(|scheduled| scheduled.at);
        taken
            .views
            .sort_by_key(|view| (view.at, view.staff, view.patient));
        taken
    }
}

/// The care generator: starts each day's episodes into the schedule.
pub struct Care<'a> {
    pub region: &'a Region,
    pub config: &'a SimConfig,
    pub clock: Clock,
    /// Patients who die during the period, by day.
    pub deaths: BTreeMap<i32, Vec<u32>>,
    /// The calendar year the period starts in (ages are counted against it).
    pub year: i32,
    counter: u64,
}

impl<'a> Care<'a> {
    pub fn new(region: &'a Region, config: &'a SimConfig) -> Self {
        let mut deaths: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
        for (index, patient) in region.patients.iter().enumerate() {
            if let Some(day) = patient.died.filter(|day| *day >= 0) {
                deaths.entry(day).or_default().push(index as u32);
            }
        }
        Self {
            region,
            config,
            clock: Clock::new(config),
            deaths,
            year: chrono::Datelike::year(&config.start),
            counter: 0,
        }
    }

    /// A fresh id for a care resource: `<prefix>-<seed>-<n>`.
    pub fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}-{}-{}", self.config.seed, self.counter)
    }

    /// Whether an episode's care context arrives late.
    pub fn late(&self, rng: &mut ChaCha8Rng) -> bool {
        use rand::Rng;
        rng.gen_bool(self.config.late_care_share.clamp(0.0, 1.0))
    }

    /// The caseloads open at the start of the period (scheduled once, before day 0).
    pub fn open_caseloads(&mut self, schedule: &mut Schedule) {
        caseloads::open(self, schedule);
    }

    /// Admits `patient` to a ward of `trust` at `at`, with everything the stay brings.
    pub fn admit(
        &mut self,
        rng: &mut ChaCha8Rng,
        patient: u32,
        trust: u32,
        at: Millis,
        schedule: &mut Schedule,
    ) {
        let late = self.late(rng);
        hospital::admission(self, rng, patient, trust, at, None, late, schedule);
    }

    /// Starts the episodes of `day`.
    pub fn start_day(&mut self, day: i32, schedule: &mut Schedule) {
        primary::day(self, day, schedule);
        hospital::day(self, day, schedule);
        caseloads::day(self, day, schedule);
    }
}

/// A time inside `staff`'s own shifts within `[from, to)`, while employed.
pub fn staffing_time(
    care: &Care<'_>,
    rng: &mut ChaCha8Rng,
    staff: u32,
    from: Millis,
    to: Millis,
) -> Option<Millis> {
    staffing::duty_time(care.region, &care.clock, rng, staff, from, to)
}

/// What of a view reaches the shared record's audit: a patient who objected to sharing has
/// no shared record, so their carers look in their own systems (nothing is logged here) except
/// in an emergency, where the doctor overrides the objection (an SCR-style permission
/// override). Incident views always happen: snoopers do not respect objections.
pub fn through_the_exchange(region: &Region, mut view: View) -> Option<View> {
    if !region.patients[view.patient as usize].objection
        || matches!(view.label, Label::Incident { .. })
    {
        return Some(view);
    }
    // Half the objectors seen in an emergency can say so and are treated from what they tell;
    // for the others (unconscious, confused) the doctor overrides the objection.
    let unable_to_consent = (view.at / 1000 + i64::from(view.patient)) % 2 == 0;
    match &view.label {
        Label::Explained {
            context: "ed_assessment",
            ..
        } if unable_to_consent => {
            view.alert = Some(Alert {
                kind: "permission-override",
                reason: "emergency care; the patient objects to sharing".to_owned(),
            });
            Some(view)
        }
        _ => None,
    }
}

/// A label for a view explained by a fact.
pub fn explained(
    context: &'static str,
    kind: &'static str,
    binding: &'static str,
    source: String,
    late: bool,
) -> Label {
    Label::Explained {
        context,
        kind,
        binding,
        source,
        late,
    }
}

/// A view at `at` by `staff` of `patient`.
pub fn view(at: Millis, staff: u32, patient: u32, label: Label) -> View {
    View {
        at,
        staff,
        patient,
        label,
        search: None,
        alert: None,
    }
}
