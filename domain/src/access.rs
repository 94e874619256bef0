//! The normalised access event: one look at (or change to) one patient's record by one user,
//! whatever feed it arrived on. Every rule of the analyzer reads this shape.

use crate::{EventId, OrgCode, PatientId, RoleCode, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// What the user did to the record (FHIR `AuditEvent.action`, DICOM `EventActionCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    Execute,
}

impl Action {
    /// Maps the one-letter code shared by FHIR and DICOM (`C`, `R`, `U`, `D`, `E`).
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim() {
            "C" => Some(Self::Create),
            "R" => Some(Self::Read),
            "U" => Some(Self::Update),
            "D" => Some(Self::Delete),
            "E" => Some(Self::Execute),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Create => "C",
            Self::Read => "R",
            Self::Update => "U",
            Self::Delete => "D",
            Self::Execute => "E",
        }
    }
}

/// Whether the action succeeded (FHIR/DICOM outcome codes 0, 4, 8, 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    MinorFailure,
    SeriousFailure,
    MajorFailure,
}

impl Outcome {
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim() {
            "0" => Some(Self::Success),
            "4" => Some(Self::MinorFailure),
            "8" => Some(Self::SeriousFailure),
            "12" => Some(Self::MajorFailure),
            _ => None,
        }
    }

    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::MinorFailure => 4,
            Self::SeriousFailure => 8,
            Self::MajorFailure => 12,
        }
    }
}

/// The transport input arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    FhirHttp,
    SyslogTls,
    SyslogTcp,
    SyslogUdp,
    /// HL7 v2 over MLLP (care context).
    Hl7Mllp,
    /// CSV extracts posted to `/load/{kind}` (care context).
    CsvLoad,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FhirHttp => "fhir_http",
            Self::SyslogTls => "syslog_tls",
            Self::SyslogTcp => "syslog_tcp",
            Self::SyslogUdp => "syslog_udp",
            Self::Hl7Mllp => "hl7v2_mllp",
            Self::CsvLoad => "csv_load",
        }
    }
}

/// Where an event came from and how it was received: the evidence that it is what the node sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The exchange node that sent the event (its configured name or certificate identity).
    pub source_node: String,
    pub channel: Channel,
    /// The identity the sender authenticated as (client certificate subject, API token name);
    /// empty when the channel carries no authentication.
    pub authenticated_as: String,
    pub received_at: Timestamp,
}

/// One access to one patient's record by one user, normalised from any feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEvent {
    pub event_id: EventId,
    /// When the access happened, as the node recorded it.
    pub occurred_at: Timestamp,
    pub action: Action,
    pub outcome: Outcome,
    /// The event type and subtype codes (e.g. `rest` / `read`), `system|code`.
    pub event_type: String,
    pub event_subtypes: Vec<String>,
    pub patient_id: PatientId,
    /// The identifier system of `patient_id` (e.g. `https://fhir.nhs.uk/Id/nhs-number`).
    pub patient_id_system: String,
    pub user_id: UserId,
    pub user_id_system: String,
    pub user_name: String,
    /// The organisation the user acted for; `None` when the event does not say.
    pub user_org: Option<OrgCode>,
    pub user_roles: Vec<RoleCode>,
    /// Purpose-of-use codes of the requesting user and of the event, `system|code`.
    pub purpose_of_use: Vec<String>,
    /// The user invoked emergency access, broke the glass, overrode a permission or self-claimed
    /// a legitimate relationship: always reviewed.
    pub emergency_access: bool,
    /// The reason the user gave (or the alert type) for the emergency access, if any.
    pub emergency_reason: String,
    /// What was looked at beyond the patient: resource types or data categories, `system|code`.
    pub data_entities: Vec<String>,
    /// The user's network address as the node saw it.
    pub client_address: String,
    pub provenance: Provenance,
}

/// The v3-ActReason purpose-of-use codes that mean "emergency / break the glass".
pub const EMERGENCY_PURPOSES: [&str; 3] = ["ETREAT", "BTG", "ERTREAT"];

/// Purposes of use that mean emergency access only in their own code system (`system|code`):
/// the Swiss EPR's `EMER` (CH:EPR purpose of use).
pub const EMERGENCY_SYSTEM_PURPOSES: [&str; 1] = ["urn:oid:2.16.756.5.30.1.127.3.10.5|EMER"];

impl AccessEvent {
    /// Whether a purpose-of-use code (`system|code` or bare code) is an emergency purpose.
    pub fn is_emergency_purpose(code: &str) -> bool {
        let bare = code.rsplit('|').next().unwrap_or(code);
        EMERGENCY_PURPOSES.contains(&bare) || EMERGENCY_SYSTEM_PURPOSES.contains(&code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_and_outcome_codes_round_trip() {
        for code in ["C", "R", "U", "D", "E"] {
            assert_eq!(Action::from_code(code).map(Action::code), Some(code));
        }
        assert_eq!(Action::from_code("X"), None);
        for code in [0_u8, 4, 8, 12] {
            let parsed = Outcome::from_code(&code.to_string());
            assert_eq!(parsed.map(Outcome::code), Some(code));
        }
    }

    #[test]
    fn recognises_emergency_purposes_with_or_without_system() {
        let cases = [
            (
                "http://terminology.hl7.org/CodeSystem/v3-ActReason|ETREAT",
                true,
            ),
            ("BTG", true),
            ("urn:oid:2.16.756.5.30.1.127.3.10.5|EMER", true),
            (
                "http://terminology.hl7.org/CodeSystem/v3-ActCode|EMER",
                false,
            ),
            (
                "http://terminology.hl7.org/CodeSystem/v3-ActReason|TREAT",
                false,
            ),
            ("", false),
        ];
        for (code, expected) in cases {
            assert_eq!(AccessEvent::is_emergency_purpose(code), expected, "{code}");
        }
    }
}
