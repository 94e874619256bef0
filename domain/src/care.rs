//! The care context: facts that make an access legitimate (care relationships) and the
//! directories that say who people are (patients, staff, organisations). Every feed (HL7 v2,
//! FHIR resources, CSV extracts) produces [`CareFact`]s; the collector stores them and the
//! analyzer explains accesses with them.

use crate::Timestamp;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The kind of a care relationship, i.e. why a user, team or organisation may look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipKind {
    /// GP registration: the practice (and its staff) care for the patient.
    Registration,
    /// An encounter or admission (inpatient, outpatient, emergency, ...).
    Encounter,
    /// An episode of care.
    EpisodeOfCare,
    /// A referral (ServiceRequest) to a service, team or clinician.
    Referral,
    /// A booked appointment.
    Appointment,
    /// Membership of the patient's care team.
    CareTeam,
    /// A named clinician in a role on an encounter (attending, referring, consulting, admitting).
    Clinician,
    /// Next of kin, emergency contact or other related person (family-member evidence).
    RelatedPerson,
}

impl RelationshipKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::Encounter => "encounter",
            Self::EpisodeOfCare => "episode_of_care",
            Self::Referral => "referral",
            Self::Appointment => "appointment",
            Self::CareTeam => "care_team",
            Self::Clinician => "clinician",
            Self::RelatedPerson => "related_person",
        }
    }
}

/// A patient as a directory or care feed describes them. `identifiers` are every
/// `(system, value)` the patient is known by (the NHS number among them when known).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientRecord {
    /// careaudit's key for the patient: the NHS number when known, else the first identifier.
    pub patient_id: String,
    pub nhs_number: String,
    pub identifiers: Vec<(String, String)>,
    pub family_name: String,
    pub given_names: String,
    pub birth_date: Option<NaiveDate>,
    pub death_date: Option<NaiveDate>,
    pub address_line: String,
    pub postcode: String,
    /// ODS code of the registered GP practice, if the feed says.
    pub gp_practice: String,
    pub vip: bool,
    pub confidential: bool,
    pub sharing_objection: bool,
}

/// A member of staff (HR extract, FHIR Practitioner/PractitionerRole).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRecord {
    pub user_id: String,
    pub family_name: String,
    pub given_names: String,
    pub org_code: String,
    pub role_codes: Vec<String>,
    pub job_title: String,
    pub team: String,
    pub home_address_line: String,
    pub home_postcode: String,
    pub start_date: Option<NaiveDate>,
    pub leave_date: Option<NaiveDate>,
    /// The member of staff's own patient id, when they are also a patient (self-access evidence).
    pub patient_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationRecord {
    pub org_code: String,
    pub name: String,
    /// e.g. `gp_practice`, `acute_trust`, `mental_health_trust`, `ambulance`, `social_care`.
    pub org_type: String,
    /// The integrated care system or parent organisation.
    pub parent_code: String,
    pub region: String,
    pub postcode: String,
}

/// A care relationship: `patient_id` bound to a user, a team and/or an organisation (empty
/// strings where it does not bind at that level) over `[valid_from, valid_to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationshipRecord {
    /// Stable per source fact (e.g. `hl7:<facility>:<visit>:attending`), so an update or a
    /// cancellation of the same fact replaces it.
    pub relationship_id: String,
    pub patient_id: String,
    pub kind: RelationshipKind,
    pub user_id: String,
    pub team: String,
    pub org_code: String,
    pub valid_from: Timestamp,
    pub valid_to: Option<Timestamp>,
    /// The fact was cancelled (A11 cancel admit, A13 cancel discharge reopens, a cancelled
    /// appointment, ...): it no longer explains anything.
    pub cancelled: bool,
}

/// One fact of the care context, as a feed states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CareFact {
    Patient(PatientRecord),
    Staff(StaffRecord),
    Organisation(OrganisationRecord),
    Relationship(RelationshipRecord),
    /// HL7 A40: `merged` is the same person as `surviving`; the merged identifier's history
    /// (accesses, relationships) belongs to the surviving patient from now on.
    PatientMerge {
        surviving: String,
        merged: String,
    },
    /// One flag on a patient, set or cleared (a VIP list, a Consent objection), without
    /// touching anything else known about them.
    PatientFlag {
        patient_id: String,
        flag: PatientFlagKind,
        value: bool,
        reason: String,
    },
}

/// The flags a patient can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatientFlagKind {
    /// A high-profile patient: every access is reviewed.
    Vip,
    /// A confidential record (e.g. a protected address).
    Confidential,
    /// The patient objected to their record being shared.
    SharingObjection,
}

impl PatientFlagKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vip => "vip",
            Self::Confidential => "confidential",
            Self::SharingObjection => "sharing_objection",
        }
    }
}

/// Where a fact came from: the feed and the message (or line) that stated it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareProvenance {
    /// e.g. `hl7v2_mllp`, `fhir_http`, `csv_staff`.
    pub source_channel: String,
    /// The message control id, resource id or file and line that stated the fact.
    pub source_message_id: String,
}

/// The NHS number's identifier system.
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";

/// Whether `value` is a valid NHS number (ten digits, modulus 11 check digit).
pub fn is_valid_nhs_number(value: &str) -> bool {
    let digits: Vec<u32> = value.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 10 || value.chars().count() != 10 {
        return false;
    }
    let sum: u32 = digits[..9]
        .iter()
        .zip((2..=10).rev())
        .map(|(digit, weight)| digit * weight)
        .sum();
    match 11 - sum % 11 {
        11 => digits[9] == 0,
        10 => false,
        check => digits[9] == check,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhs_numbers_are_checked() {
        let cases = [
            ("9000000009", true),
            ("9434765919", true),
            ("9434765918", false),
            ("943476591", false),
            ("94347659190", false),
            ("943476591x", false),
        ];
        for (value, valid) in cases {
            assert_eq!(is_valid_nhs_number(value), valid, "{value}");
        }
    }
}
