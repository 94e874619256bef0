//! Injected inappropriate accesses, each labelled with its kind, its user, its patients and
//! (once written) exactly the views and events it comprises. Each kind leaves the evidence a
//! real incident leaves, and no more (the published snooping cases and the rule catalogue say
//! what that is):
//!
//! | kind | the user | evidence in the feeds |
//! |---|---|---|
//! | family_member | views a member of their own household | same address; same surname, or a RelatedPerson naming the user by NHS number |
//! | ex_partner | views a former partner who moved out | the patient's old address is the user's home; an ended RelatedPerson (spouse) |
//! | neighbour | views someone in their postcode unit | same postcode unit |
//! | coworker | views a colleague of their organisation | the patient is in the staff directory of the same organisation |
//! | vip_curiosity | views a VIP during their admission | the VIP list; no relationship for the user (often same organisation) |
//! | self_access | views their own record | the staff directory's patient id is the patient |
//! | deceased_celebrity | views a VIP who died months ago | deceasedDateTime; the VIP list |
//! | leaver | uses their account after leaving | the staff directory's leave date |
//! | mass_browsing | views 40–120 unrelated patients in a day | volume against their own baseline and peers |
//! | after_hours_serial | a day worker views patients over several nights | the hours against their learned pattern |
//! | emergency_misuse | breaks the glass for a patient not in their care | the SCR-style alert; no relationship |
//!
//! Incident users are picked among long-standing staff and never reused, so each incident is
//! one user's behaviour; their legitimate views go on as usual around it.

mod kinds;
mod planning;

use crate::care::{Alert, Care, Label, Schedule, View};
use crate::config::{IncidentKind, Millis};
use serde::Serialize;

pub use planning::{plan, Plan, Relation};

/// One injected incident.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub id: u32,
    pub kind: IncidentKind,
    pub staff: u32,
    pub patients: Vec<u32>,
    /// What a reviewer would find (for the truth file and EVALUATION.md).
    pub evidence: String,
}

/// An incident's view to schedule.
pub(crate) fn incident_view(
    incident: u32,
    staff: u32,
    patient: u32,
    at: Millis,
    search: bool,
    alert: Option<Alert>,
) -> View {
    View {
        at,
        staff,
        patient,
        label: Label::Incident { incident },
        search: Some(search),
        alert,
    }
}

/// Schedules every planned incident's views (and the VIP admissions they follow).
pub fn schedule(plan: &Plan, care: &mut Care<'_>, schedule: &mut Schedule) {
    kinds::schedule_all(plan, care, schedule);
}
