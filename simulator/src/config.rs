//! What to simulate: the size of the region, the period, the seed, the incident rates and the
//! shares that make the feeds imperfect (late care context, the ATNA share of nodes). Three
//! named sizes cover the demo, the standard evaluation and a London month; every number can be
//! overridden.

use chrono::NaiveDate;
use serde::Serialize;

/// The named sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    /// Seconds to generate: one integrated care system, a few hundred staff, a week.
    Demo,
    /// The evaluation of EVALUATION.md: three systems, ~10k staff, four weeks, ≥ 15 incidents
    /// of every type.
    Standard,
    /// A London month: five systems, ≥ 100k staff, ≥ 2M record views, ≥ 10M audit events.
    London,
}

impl Size {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "demo" => Some(Self::Demo),
            "standard" => Some(Self::Standard),
            "london" => Some(Self::London),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Demo => "demo",
            Self::Standard => "standard",
            Self::London => "london",
        }
    }
}

/// The kinds of inappropriate access the simulator injects, as the rule catalogue names the
/// behaviours it looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    FamilyMember,
    ExPartner,
    Neighbour,
    Coworker,
    VipCuriosity,
    SelfAccess,
    DeceasedCelebrity,
    Leaver,
    MassBrowsing,
    AfterHoursSerial,
    EmergencyMisuse,
}

impl IncidentKind {
    pub const ALL: [Self; 11] = [
        Self::FamilyMember,
        Self::ExPartner,
        Self::Neighbour,
        Self::Coworker,
        Self::VipCuriosity,
        Self::SelfAccess,
        Self::DeceasedCelebrity,
        Self::Leaver,
        Self::MassBrowsing,
        Self::AfterHoursSerial,
        Self::EmergencyMisuse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FamilyMember => "family_member",
            Self::ExPartner => "ex_partner",
            Self::Neighbour => "neighbour",
            Self::Coworker => "coworker",
            Self::VipCuriosity => "vip_curiosity",
            Self::SelfAccess => "self_access",
            Self::DeceasedCelebrity => "deceased_celebrity",
            Self::Leaver => "leaver",
            Self::MassBrowsing => "mass_browsing",
            Self::AfterHoursSerial => "after_hours_serial",
            Self::EmergencyMisuse => "emergency_misuse",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// Everything the simulation depends on. The same configuration gives byte-identical output.
#[derive(Debug, Clone, Serialize)]
pub struct SimConfig {
    pub seed: u64,
    pub size: Size,
    /// The first simulated day (UTC).
    pub start: NaiveDate,
    pub days: u32,
    /// Integrated care systems, each with its own exchange node.
    pub care_systems: u32,
    pub gp_practices_per_system: u32,
    pub acute_trusts_per_system: u32,
    /// Staff of one acute trust who use the shared record (the others scale from it).
    pub acute_trust_staff: u32,
    /// Patients per integrated care system.
    pub patients_per_system: u32,
    /// Incidents of each kind per 1,000 staff per 28 days (before `incident_overrides`).
    pub incidents_per_1000_staff: f64,
    /// Per kind, an exact number of incidents instead of the rate.
    pub incident_overrides: Vec<(IncidentKind, u32)>,
    /// Share of care episodes whose care context arrives after the accesses it explains.
    pub late_care_share: f64,
    /// Every `atna_node_every`-th exchange node speaks ATNA syslog instead of FHIR.
    pub atna_node_every: u32,
    /// Mean data reads per record view (beyond the patient read itself).
    pub mean_data_reads: f64,
    /// Share of legitimate views that start with a demographic search.
    pub search_share: f64,
    /// Output, not simulation: zstd-compress the feed and truth files (`.zst` appended).
    pub compress: bool,
}

impl SimConfig {
    /// The preset of a named size, starting on `start`.
    pub fn preset(size: Size, seed: u64, start: NaiveDate) -> Self {
        let base = Self {
            seed,
            size,
            start,
            days: 28,
            care_systems: 3,
            gp_practices_per_system: 14,
            acute_trusts_per_system: 1,
            acute_trust_staff: 1_600,
            patients_per_system: 100_000,
            incidents_per_1000_staff: 2.2,
            incident_overrides: Vec::new(),
            late_care_share: 0.04,
            atna_node_every: 3,
            mean_data_reads: 3.0,
            search_share: 0.3,
            compress: false,
        };
        match size {
            Size::Demo => Self {
                days: 7,
                care_systems: 2,
                gp_practices_per_system: 3,
                acute_trust_staff: 100,
                patients_per_system: 3_000,
                atna_node_every: 2,
                incidents_per_1000_staff: 0.0,
                incident_overrides: IncidentKind::ALL.iter().map(|kind| (*kind, 1)).collect(),
                ..base
            },
            Size::Standard => base,
            Size::London => Self {
                days: 30,
                care_systems: 5,
                gp_practices_per_system: 60,
                acute_trusts_per_system: 4,
                acute_trust_staff: 4_200,
                patients_per_system: 420_000,
                incidents_per_1000_staff: 0.3,
                mean_data_reads: 4.0,
                atna_node_every: 5,
                ..base
            },
        }
    }

    /// How many incidents of `kind` to inject for a region of `staff` members.
    pub fn incident_count(&self, kind: IncidentKind, staff: usize) -> u32 {
        if let Some((_, count)) = self.incident_overrides.iter().find(|(k, _)| *k == kind) {
            return *count;
        }
        let expected =
            self.incidents_per_1000_staff * staff as f64 / 1000.0 * f64::from(self.days) / 28.0;
        expected.round() as u32
    }
}

/// Times are kept as milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

pub const MINUTE: Millis = 60_000;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

/// The start of the first simulated day.
pub fn period_start(config: &SimConfig) -> Millis {
    config
        .start
        .and_hms_opt(0, 0, 0)
        .map(|start| start.and_utc().timestamp_millis())
        .unwrap_or_default()
}
