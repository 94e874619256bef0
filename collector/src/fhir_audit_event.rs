//! FHIR R4 `AuditEvent` (as profiled by IHE BALP and the NHS conventions careaudit documents) to
//! the normalised [`AccessEvent`]. The wire types below keep only the elements careaudit reads;
//! everything else is ignored here and kept verbatim in the stored raw payload.
//!
//! Mapping:
//! - user: the agent with `requestor = true` (BALP `agent[user]`); its `who.identifier` (the SDS
//!   user id for NHS staff), else its `who.reference`, else `altId`;
//! - organisation: the agent typed `v3-RoleClass#PROV` (BALP `agent[userorg]`) or identified by
//!   an ODS code; failing that, an ODS-coded identifier on the user agent's `who`;
//! - patient: the entity with role `object-role#1` or a `Patient/` reference, or identified by an
//!   NHS number (`https://fhir.nhs.uk/Id/nhs-number`), preferring the NHS number;
//! - emergency access: a purpose of use `ETREAT`/`BTG`/`ERTREAT`, or an SCR-style alert coded in
//!   `purposeOfEvent`/`subtype` with system [`SCR_ALERT_SYSTEM`].

use crate::operation_outcome::{Issue, IssueCode};
use domain::{
    AccessEvent, Action, EventId, OrgCode, Outcome, PatientId, Provenance, RoleCode, Timestamp,
    UserId,
};
use serde::Deserialize;

pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
pub const ODS_CODE_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
/// careaudit's code system for NHS Summary Care Record style alerts carried as AuditEvents:
/// `emergency-access`, `self-claimed-relationship`, `permission-override`.
pub const SCR_ALERT_SYSTEM: &str = "urn:careaudit:scr-alert-type";
const OBJECT_ROLE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/object-role";
const ROLE_CLASS_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAuditEvent {
    resource_type: Option<String>,
    id: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<Coding>,
    #[serde(default)]
    subtype: Vec<Coding>,
    action: Option<String>,
    recorded: Option<String>,
    outcome: Option<String>,
    #[serde(default)]
    purpose_of_event: Vec<CodeableConcept>,
    #[serde(default)]
    agent: Vec<Agent>,
    #[serde(default)]
    entity: Vec<Entity>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Agent {
    #[serde(rename = "type")]
    agent_type: Option<CodeableConcept>,
    #[serde(default)]
    role: Vec<CodeableConcept>,
    who: Option<Reference>,
    alt_id: Option<String>,
    name: Option<String>,
    requestor: Option<bool>,
    #[serde(default)]
    purpose_of_use: Vec<CodeableConcept>,
    network: Option<Network>,
}

#[derive(Debug, Default, Deserialize)]
struct Network {
    address: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entity {
    what: Option<Reference>,
    #[serde(rename = "type")]
    entity_type: Option<Coding>,
    role: Option<Coding>,
    #[serde(default)]
    security_label: Vec<Coding>,
}

#[derive(Debug, Default, Deserialize)]
struct Reference {
    reference: Option<String>,
    identifier: Option<Identifier>,
    display: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Identifier {
    system: Option<String>,
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CodeableConcept {
    #[serde(default)]
    coding: Vec<Coding>,
    text: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Coding {
    system: Option<String>,
    code: Option<String>,
}

impl Coding {
    fn is(&self, system: &str, code: &str) -> bool {
        self.system.as_deref() == Some(system) && self.code.as_deref() == Some(code)
    }

    /// `system|code`, or the bare code when the system is absent.
    fn token(&self) -> Option<String> {
        let code = self.code.as_deref()?.trim();
        if code.is_empty() {
            return None;
        }
        Some(match self.system.as_deref() {
            Some(system) if !system.is_empty() => format!("{system}|{code}"),
            _ => code.to_owned(),
        })
    }
}

/// Why an AuditEvent could not be mapped: every problem found, each as a FHIR issue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit event rejected: {} problem(s)", issues.len())]
pub struct MappingError {
    pub issues: Vec<Issue>,
    /// A short machine-readable reason for the quarantine table and metrics.
    pub reason_code: &'static str,
}

/// Maps one AuditEvent resource (as JSON bytes) to an access event. `fallback_id` is used as the
/// event id when the resource carries none (the caller derives it from the payload so that a
/// retry of the same bytes gets the same id).
pub fn map_audit_event(
    body: &[u8],
    provenance: Provenance,
    fallback_id: impl FnOnce() -> String,
) -> Result<AccessEvent, MappingError> {
    let wire: WireAuditEvent = parse_wire(body)?;
    let mut issues = Vec::new();
    let mut first_reason: Option<&'static str> = None;
    let mut problem = |reason: &'static str, issue: Issue| {
        first_reason.get_or_insert(reason);
        issues.push(issue);
    };

    match wire.resource_type.as_deref() {
        Some("AuditEvent") => {}
        Some(other) => {
            return Err(single(
                "wrong_resource_type",
                Issue::error(
                    IssueCode::NotSupported,
                    "resourceType",
                    format!("expected resourceType AuditEvent, got {other}"),
                ),
            ))
        }
        None => {
            return Err(single(
                "wrong_resource_type",
                Issue::error(
                    IssueCode::Required,
                    "resourceType",
                    "resourceType is missing",
                ),
            ))
        }
    }

    let occurred_at = match wire.recorded.as_deref() {
        None => {
            problem(
                "missing_recorded",
                Issue::error(
                    IssueCode::Required,
                    "AuditEvent.recorded",
                    "recorded is missing",
                ),
            );
            None
        }
        Some(raw) => {
            let parsed = Timestamp::parse_rfc3339(raw);
            if parsed.is_none() {
                problem(
                    "invalid_recorded",
                    Issue::error(
                        IssueCode::Value,
                        "AuditEvent.recorded",
                        "recorded is not a FHIR instant with a time zone",
                    ),
                );
            }
            parsed
        }
    };

    let action = match wire.action.as_deref() {
        Some(code) => {
            let parsed = Action::from_code(code);
            if parsed.is_none() {
                problem(
                    "invalid_action",
                    Issue::error(
                        IssueCode::Value,
                        "AuditEvent.action",
                        format!("action {code:?} is not one of C, R, U, D, E"),
                    ),
                );
            }
            parsed
        }
        None => Some(action_from_subtypes(&wire.subtype).unwrap_or(Action::Read)),
    };

    let outcome = match wire.outcome.as_deref() {
        None => Some(Outcome::Success),
        Some(code) => {
            let parsed = Outcome::from_code(code);
            if parsed.is_none() {
                problem(
                    "invalid_outcome",
                    Issue::error(
                        IssueCode::Value,
                        "AuditEvent.outcome",
                        format!("outcome {code:?} is not one of 0, 4, 8, 12"),
                    ),
                );
            }
            parsed
        }
    };

    let patient = find_patient(&wire.entity);
    if patient.is_none() {
        problem(
            "missing_patient",
            Issue::error(
                IssueCode::Required,
                "AuditEvent.entity",
                "no entity identifies a patient (entity[patient]: role object-role#1, a Patient reference or an NHS number)",
            ),
        );
    }

    let user_agent = wire
        .agent
        .iter()
        .find(|agent| agent.requestor == Some(true));
    let user = user_agent.and_then(agent_identity);
    if user.is_none() {
        problem(
            "missing_user",
            Issue::error(
                IssueCode::Required,
                "AuditEvent.agent",
                "no requestor agent identifies a user (agent[user]: requestor=true with who.identifier, who.reference, altId or a name)",
            ),
        );
    }

    let event_id_raw = wire
        .id
        .clone()
        .filter(|id| !id.trim().is_empty())
        .unwrap_or_else(fallback_id);
    let event_id = match EventId::parse(&event_id_raw) {
        Ok(id) => Some(id),
        Err(error) => {
            problem(
                "invalid_id",
                Issue::error(IssueCode::Value, "AuditEvent.id", error.to_string()),
            );
            None
        }
    };

    let (
        Some(occurred_at),
        Some(action),
        Some(outcome),
        Some((patient_id, patient_id_system)),
        Some((user_id, user_id_system)),
        Some(event_id),
        Some(user_agent),
    ) = (
        occurred_at,
        action,
        outcome,
        patient,
        user,
        event_id,
        user_agent,
    )
    else {
        return Err(MappingError {
            issues,
            reason_code: first_reason.unwrap_or("invalid"),
        });
    };

    let mut purpose_of_use: Vec<String> = user_agent
        .purpose_of_use
        .iter()
        .chain(wire.purpose_of_event.iter())
        .flat_map(|concept| concept.coding.iter())
        .filter_map(Coding::token)
        .collect();
    purpose_of_use.dedup();

    let scr_alert = wire
        .purpose_of_event
        .iter()
        .flat_map(|concept| {
            concept
                .coding
                .iter()
                .map(move |coding| (coding, concept.text.as_deref()))
        })
        .chain(wire.subtype.iter().map(|coding| (coding, None)))
        .find(|(coding, _)| coding.system.as_deref() == Some(SCR_ALERT_SYSTEM));
    let emergency_purpose = purpose_of_use
        .iter()
        .any(|code| AccessEvent::is_emergency_purpose(code));
    let emergency_reason = match scr_alert {
        Some((coding, text)) => {
            let alert = coding.code.as_deref().unwrap_or_default();
            match text {
                Some(reason) if !reason.trim().is_empty() => format!("{alert}: {}", reason.trim()),
                _ => alert.to_owned(),
            }
        }
        None if emergency_purpose => user_agent
            .purpose_of_use
            .iter()
            .filter_map(|concept| concept.text.clone())
            .next()
            .unwrap_or_else(|| "emergency purpose of use".to_owned()),
        None => String::new(),
    };

    Ok(AccessEvent {
        event_id,
        occurred_at,
        action,
        outcome,
        event_type: wire
            .event_type
            .as_ref()
            .and_then(Coding::token)
            .unwrap_or_default(),
        event_subtypes: wire.subtype.iter().filter_map(Coding::token).collect(),
        patient_id,
        patient_id_system,
        user_id,
        user_id_system,
        user_name: user_agent
            .who
            .as_ref()
            .and_then(|who| who.display.clone())
            .or_else(|| user_agent.name.clone())
            .unwrap_or_default(),
        user_org: find_user_org(&wire.agent, user_agent),
        user_roles: user_agent
            .role
            .iter()
            .flat_map(|concept| concept.coding.iter())
            .filter_map(|coding| coding.code.as_deref())
            .filter_map(|code| RoleCode::parse(code).ok())
            .collect(),
        purpose_of_use,
        emergency_access: emergency_purpose || scr_alert.is_some(),
        emergency_reason,
        data_entities: data_entities(&wire.entity),
        client_address: user_agent
            .network
            .as_ref()
            .and_then(|network| network.address.clone())
            .unwrap_or_default(),
        provenance,
    })
}

/// A refusal with one problem.
pub(crate) fn single(reason_code: &'static str, issue: Issue) -> MappingError {
    MappingError {
        issues: vec![issue],
        reason_code,
    }
}

/// The body as a JSON object, or the refusal that says why it is not one (shared by every FHIR
/// mapping of the collector).
pub(crate) fn parse_json_object(body: &[u8]) -> Result<serde_json::Value, MappingError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|error| {
        single(
            "invalid_json",
            Issue::error(
                IssueCode::Structure,
                "",
                format!("body is not valid JSON: {error}"),
            ),
        )
    })?;
    if !value.is_object() {
        return Err(single(
            "invalid_json",
            Issue::error(IssueCode::Structure, "", "body is not a JSON object"),
        ));
    }
    Ok(value)
}

fn parse_wire(body: &[u8]) -> Result<WireAuditEvent, MappingError> {
    let value = parse_json_object(body)?;
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        single(
            "invalid_structure",
            Issue::error(
                IssueCode::Structure,
                &format!("AuditEvent.{path}"),
                format!("{path}: {}", error.inner()),
            ),
        )
    })
}

fn action_from_subtypes(subtypes: &[Coding]) -> Option<Action> {
    subtypes
        .iter()
        .find_map(|coding| match coding.code.as_deref()? {
            "read" | "vread" | "history-instance" => Some(Action::Read),
            "search" | "search-type" | "search-system" | "history-type" | "operation" => {
                Some(Action::Execute)
            }
            "create" => Some(Action::Create),
            "update" | "patch" => Some(Action::Update),
            "delete" => Some(Action::Delete),
            _ => None,
        })
}

/// The identity of an agent and its system: identifier first, then reference, then altId,
/// then the name the sender displays.
fn agent_identity(agent: &Agent) -> Option<(UserId, String)> {
    let who = agent.who.as_ref();
    if let Some(identifier) = who.and_then(|who| who.identifier.as_ref()) {
        if let Some(id) = identifier
            .value
            .as_deref()
            .and_then(|value| UserId::parse(value).ok())
        {
            return Some((id, identifier.system.clone().unwrap_or_default()));
        }
    }
    if let Some(id) = who
        .and_then(|who| who.reference.as_deref())
        .and_then(|reference| UserId::parse(reference).ok())
    {
        return Some((id, "reference".to_owned()));
    }
    if let Some(id) = agent
        .alt_id
        .as_deref()
        .and_then(|alt| UserId::parse(alt).ok())
    {
        return Some((id, "altId".to_owned()));
    }
    // Some senders (and several BALP and Swiss EPR examples) name the user without an
    // identifier. A weak identity is better than losing the audit record: it is kept with the
    // system "name" so that rules and officers can see it was not a directory identifier.
    who.and_then(|who| who.display.as_deref())
        .or(agent.name.as_deref())
        .and_then(|name| UserId::parse(name).ok())
        .map(|id| (id, "name".to_owned()))
}

fn is_patient_entity(entity: &Entity) -> bool {
    let role_is_patient = entity
        .role
        .as_ref()
        .is_some_and(|role| role.is(OBJECT_ROLE_SYSTEM, "1"));
    let what = entity.what.as_ref();
    let refers_to_patient = what
        .and_then(|what| what.reference.as_deref())
        .is_some_and(|reference| reference.starts_with("Patient/"));
    let nhs_number = what
        .and_then(|what| what.identifier.as_ref())
        .is_some_and(|identifier| identifier.system.as_deref() == Some(NHS_NUMBER_SYSTEM));
    role_is_patient || refers_to_patient || nhs_number
}

/// The patient, preferring an NHS number, then any identifier, then the reference's id.
fn find_patient(entities: &[Entity]) -> Option<(PatientId, String)> {
    let candidates: Vec<&Reference> = entities
        .iter()
        .filter(|entity| is_patient_entity(entity))
        .filter_map(|entity| entity.what.as_ref())
        .collect();
    let identifiers = candidates
        .iter()
        .filter_map(|what| what.identifier.as_ref());
    let by_nhs_number = identifiers
        .clone()
        .filter(|identifier| identifier.system.as_deref() == Some(NHS_NUMBER_SYSTEM))
        .chain(identifiers)
        .find_map(|identifier| {
            let (value, authority) = domain::split_hl7_cx(identifier.value.as_deref()?);
            let id = PatientId::parse(value).ok()?;
            let system = identifier
                .system
                .clone()
                .filter(|system| !system.is_empty())
                .or(authority)
                .unwrap_or_default();
            Some((id, system))
        });
    by_nhs_number.or_else(|| {
        candidates.iter().find_map(|what| {
            let reference = what.reference.as_deref()?;
            // `Patient/123/_history/2` names version 2 of patient 123.
            let id = reference.strip_prefix("Patient/").unwrap_or(reference);
            let id = id.split("/_history/").next().unwrap_or(id);
            Some((PatientId::parse(id).ok()?, "reference".to_owned()))
        })
    })
}

fn find_user_org(agents: &[Agent], user_agent: &Agent) -> Option<OrgCode> {
    let org_code_of = |who: &Reference| -> Option<OrgCode> {
        if let Some(value) = who
            .identifier
            .as_ref()
            .and_then(|identifier| identifier.value.as_deref())
        {
            return OrgCode::parse(value).ok();
        }
        let reference = who.reference.as_deref()?;
        OrgCode::parse(reference.strip_prefix("Organization/")?).ok()
    };
    let is_org_agent = |agent: &Agent| {
        let typed_provider = agent.agent_type.as_ref().is_some_and(|concept| {
            concept
                .coding
                .iter()
                .any(|coding| coding.is(ROLE_CLASS_SYSTEM, "PROV"))
        });
        let ods = agent
            .who
            .as_ref()
            .and_then(|who| who.identifier.as_ref())
            .is_some_and(|identifier| identifier.system.as_deref() == Some(ODS_CODE_SYSTEM));
        (typed_provider || ods) && agent.requestor != Some(true)
    };
    agents
        .iter()
        .filter(|agent| is_org_agent(agent))
        .find_map(|agent| org_code_of(agent.who.as_ref()?))
        .or_else(|| {
            let identifier = user_agent.who.as_ref()?.identifier.as_ref()?;
            if identifier.system.as_deref() == Some(ODS_CODE_SYSTEM) {
                OrgCode::parse(identifier.value.as_deref()?).ok()
            } else {
                None
            }
        })
}

/// The non-patient entities (what was looked at) and every security label seen.
fn data_entities(entities: &[Entity]) -> Vec<String> {
    let mut out = Vec::new();
    for entity in entities.iter().filter(|entity| !is_patient_entity(entity)) {
        if let Some(resource_type) = entity
            .what
            .as_ref()
            .and_then(|what| what.reference.as_deref())
            .and_then(|reference| reference.split('/').next())
            .filter(|resource_type| !resource_type.is_empty())
        {
            out.push(format!("resource|{resource_type}"));
        } else if let Some(token) = entity.entity_type.as_ref().and_then(Coding::token) {
            out.push(token);
        }
    }
    for label in entities
        .iter()
        .flat_map(|entity| entity.security_label.iter())
    {
        if let Some(token) = label.token() {
            out.push(format!("security|{token}"));
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
#[path = "fhir_audit_event_tests.rs"]
mod tests;
