//! A view becomes audit events the way a shared-record viewer logs them: sometimes a
//! demographic search first (an IHE BALP PatientQuery naming the patient found), then the read
//! of the patient's record (PatientRead, carrying an SCR-style alert when one was raised), then
//! reads of the parts of the record the user opened (medications, problems, letters, ...), a
//! few seconds apart. Event `n` of view `v` has the id `sim-<seed>-<v>-<n>`.

use crate::care::{Alert, View};
use crate::config::{Millis, SimConfig};
use crate::ids;
use crate::region::Region;
use crate::rng;
use rand::Rng;

/// The record parts a viewer opens, as FHIR resource types (BALP `entity[data]`).
pub const DATA_TYPES: [&str; 8] = [
    "MedicationStatement",
    "Condition",
    "AllergyIntolerance",
    "Observation",
    "DocumentReference",
    "Encounter",
    "Immunization",
    "Procedure",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A demographic search that found the patient.
    Search,
    /// The read of the patient's record.
    Read,
    /// The read of one part of the record.
    Data(&'static str),
}

/// One audit event, with what every feed needs to express it.
#[derive(Debug, Clone)]
pub struct AuditSpec<'a> {
    pub event_id: String,
    pub at: Millis,
    pub kind: EventKind,
    pub user_id: String,
    pub user_name: String,
    pub role_code: &'static str,
    pub org_code: &'a str,
    pub nhs_number: String,
    pub node: &'a str,
    pub alert: Option<&'a Alert>,
}

/// The events of view number `number`.
pub fn expand<'a>(
    region: &'a Region,
    config: &SimConfig,
    number: u64,
    view: &'a View,
) -> Vec<AuditSpec<'a>> {
    let mut rng = rng::stream(config.seed, "events", number);
    let staff = &region.staff[view.staff as usize];
    let org = &region.orgs[staff.org as usize];
    let node = &region.systems[org.system as usize].node;
    let (family, given) = region.staff_name(view.staff);
    let search = view
        .search
        .unwrap_or_else(|| rng.gen_bool(config.search_share.clamp(0.0, 1.0)));
    let mut kinds = Vec::new();
    if search {
        kinds.push(EventKind::Search);
    }
    kinds.push(EventKind::Read);
    for _ in 0..rng::poisson(&mut rng, config.mean_data_reads) {
        kinds.push(EventKind::Data(
            DATA_TYPES[rng.gen_range(0..DATA_TYPES.len())],
        ));
    }
    let mut at = view.at
        - if search {
            rng.gen_range(5_000..40_000)
        } else {
            0
        };
    kinds
        .into_iter()
        .enumerate()
        .map(|(n, kind)| {
            if n > 0 {
                at = at.max(view.at) + rng.gen_range(2_000..45_000);
            }
            AuditSpec {
                event_id: ids::event_id(config.seed, number, n as u32),
                at: if kind == EventKind::Read { view.at } else { at },
                kind,
                user_id: region.user_id(view.staff),
                user_name: format!("{given} {family}"),
                role_code: staff.role.code,
                org_code: &org.code,
                nhs_number: region.nhs_number(view.patient),
                node,
                alert: view.alert.as_ref().filter(|_| kind == EventKind::Read),
            }
        })
        .collect()
}

/// RFC 3339 with milliseconds in UTC, as FHIR instants and RFC 5424 timestamps want.
pub fn instant(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}
