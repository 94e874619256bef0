//! The shared vocabulary of careaudit: identifiers, the normalised access event, findings and
//! cases. Every component speaks these types; none of them knows about wire formats or storage.
//!
//! This crate does no IO and has no async code: it is pure data and the rules for building it
//! ("parse, don't validate"), so anything here can be unit-tested without a database.

mod access;
mod care;
mod case;
mod hl7;
mod ids;
pub mod integrity;
mod time;

pub use access::{AccessEvent, Action, Channel, Outcome, Provenance};
pub use care::{
    is_valid_nhs_number, CareFact, CareProvenance, OrganisationRecord, PatientFlagKind,
    PatientRecord, RelationshipKind, RelationshipRecord, StaffRecord, NHS_NUMBER_SYSTEM,
};
pub use case::{CaseState, Disposition, Finding, Severity};
pub use hl7::split_hl7_cx;
pub use ids::{EventId, IdError, OrgCode, PatientId, RoleCode, UserId};
pub use time::Timestamp;
