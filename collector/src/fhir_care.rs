//! FHIR R4 care-context resources to [`CareFact`]s: who the patients, staff and organisations
//! are, and which care relationships make an access legitimate. Pure code, no IO: the FHIR
//! endpoints call [`care_facts`] per resource (single `POST`, NDJSON line) or
//! [`bundle_care_facts`] per Bundle, and store what comes back.
//!
//! Per resource type (the submodules say more):
//! - `Patient` → [`PatientRecord`](domain::PatientRecord), a `Registration` relationship per
//!   `generalPractitioner`, a `PatientMerge` per `link` of type `replaced-by`/`replaces`;
//! - `Practitioner`, `PractitionerRole` → [`StaffRecord`](domain::StaffRecord); `Organization`
//!   → [`OrganisationRecord`](domain::OrganisationRecord);
//! - `Encounter`, `EpisodeOfCare`, `CareTeam`, `Appointment`, `ServiceRequest`,
//!   `RelatedPerson` → relationships of the matching kind;
//! - `Consent` → the patient's `sharing_objection`;
//! - `Location`, `HealthcareService` → no fact: they are learned by the resolver, so that
//!   appointments and roles can name their teams.
//!
//! Every other resource type is refused (`unsupported_resource_type`); so is any resource with
//! a problem, with every problem found as an [`Issue`] and the first one's reason code.
//!
//! Facts are statements of what a resource says, not whole rows: a field the resource does not
//! speak about is empty (or `false`). A `PractitionerRole` states a user's organisation, roles
//! and team but not their name; a `Consent` states a patient's `sharing_objection` and nothing
//! else; a `Patient` says nothing about consent, so its `sharing_objection` is `false`. The
//! domain has no "not stated" for these fields, so the store must apply these facts as updates
//! of the fields each resource type states, not as replacements of the row.
//!
//! A relationship's id is stable per source resource and role
//! (`fhir:Encounter/<id>:participant:<n>`), so a resent or updated resource replaces its
//! relationships. A resource without an id is named by its first identifier
//! (`fhir:Encounter?identifier=<system>|<value>:...`), else by a SHA-256 of its bytes (only a
//! byte-identical resend replaces it then).

mod care_team;
mod consent;
mod context;
mod encounter;
mod keys;
mod patient;
mod reference;
mod related_person;
mod resolver;
mod scheduling;
mod staff;
mod time;
mod wire;

pub use resolver::{CareKey, ReferenceResolver};

use crate::fhir_audit_event::{parse_json_object as parse_object, single, MappingError};
use crate::operation_outcome::{Issue, IssueCode};
use context::{Binding, Candidate, Context, Problems};
use domain::CareFact;
use resolver::{Contained, WireIdentity};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::{Digest, Sha256};
use wire::Identifier;

/// Maps one FHIR resource (JSON) to the care facts it states. The resolver learns the
/// resource first (so it can be referred to later) and resolves the resource's references.
pub fn care_facts(
    resource: &[u8],
    resolver: &mut ReferenceResolver,
) -> Result<Vec<CareFact>, MappingError> {
    let value = parse_object(resource)?;
    let resource_type = match value.get("resourceType").and_then(Value::as_str) {
        Some(resource_type) => resource_type.to_owned(),
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
    };
    if !SUPPORTED.contains(&resource_type.as_str()) {
        return Err(single(
            "unsupported_resource_type",
            Issue::error(
                IssueCode::NotSupported,
                "resourceType",
                format!("{resource_type} states no care-context fact careaudit reads"),
            ),
        ));
    }
    resolver.register(resource, None);

    let source = source_name(&resource_type, &value, resource);
    let contained = contained_of(&value, &source);
    let mut cx = Context {
        resolver,
        contained,
        resource_type: resource_type.clone(),
        source,
        problems: Problems::default(),
    };
    let facts = match resource_type.as_str() {
        "Patient" => patient::map(parse_as(value, &resource_type)?, &mut cx),
        "Practitioner" => staff::map_practitioner(parse_as(value, &resource_type)?, &mut cx),
        "PractitionerRole" => staff::map_role(parse_as(value, &resource_type)?, &mut cx),
        "Organization" => staff::map_organization(parse_as(value, &resource_type)?, &mut cx),
        "Encounter" => encounter::map_encounter(parse_as(value, &resource_type)?, &mut cx),
        "EpisodeOfCare" => encounter::map_episode(parse_as(value, &resource_type)?, &mut cx),
        "CareTeam" => care_team::map(parse_as(value, &resource_type)?, &mut cx),
        "Appointment" => scheduling::map_appointment(parse_as(value, &resource_type)?, &mut cx),
        "ServiceRequest" => scheduling::map_referral(parse_as(value, &resource_type)?, &mut cx),
        "RelatedPerson" => related_person::map(parse_as(value, &resource_type)?, &mut cx),
        "Consent" => consent::map(parse_as(value, &resource_type)?, &mut cx),
        // Learned by the resolver above; they state no fact of their own.
        _ => Vec::new(),
    };
    cx.problems.into_result(facts)
}

/// [`bundle_care_facts_with`] with a resolver of its own: the Bundle is self-contained.
#[allow(clippy::type_complexity)]
pub fn bundle_care_facts(
    bundle: &[u8],
) -> Result<Vec<(usize, Result<Vec<CareFact>, MappingError>)>, MappingError> {
    bundle_care_facts_with(bundle, &mut ReferenceResolver::new())
}

/// Maps every entry of a Bundle (any type) in two passes: first every entry's resource is
/// registered with its `fullUrl`, so that references between entries (`urn:uuid:`) resolve
/// whatever their order; then each is mapped. Answers per entry index; only a body that is not
/// a Bundle is refused as a whole. The resolver keeps what it learned (pass a long-lived one
/// to resolve references to resources sent earlier; `urn:uuid:` names are learned too).
#[allow(clippy::type_complexity)]
pub fn bundle_care_facts_with(
    bundle: &[u8],
    resolver: &mut ReferenceResolver,
) -> Result<Vec<(usize, Result<Vec<CareFact>, MappingError>)>, MappingError> {
    let wire: WireBundle<'_> = serde_json::from_slice(bundle).map_err(|error| {
        single(
            "invalid_json",
            Issue::error(
                IssueCode::Structure,
                "",
                format!("body is not a FHIR Bundle in JSON: {error}"),
            ),
        )
    })?;
    if wire.resource_type.as_deref() != Some("Bundle") {
        return Err(single(
            "wrong_resource_type",
            Issue::error(
                IssueCode::NotSupported,
                "resourceType",
                format!(
                    "expected a Bundle, got {}",
                    wire.resource_type.as_deref().unwrap_or("no resourceType")
                ),
            ),
        ));
    }
    for entry in &wire.entry {
        if let Some(resource) = entry.resource {
            resolver.register(resource.get().as_bytes(), entry.full_url.as_deref());
        }
    }
    Ok(wire
        .entry
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let result = match entry.resource {
                Some(resource) => care_facts(resource.get().as_bytes(), resolver),
                None => Err(single(
                    "missing_resource",
                    Issue::error(
                        IssueCode::Required,
                        &format!("Bundle.entry[{index}].resource"),
                        "entry has no resource",
                    ),
                )),
            };
            (index, result)
        })
        .collect())
}

const SUPPORTED: &[&str] = &[
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Location",
    "HealthcareService",
    "Encounter",
    "EpisodeOfCare",
    "CareTeam",
    "Appointment",
    "ServiceRequest",
    "RelatedPerson",
    "Consent",
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireBundle<'a> {
    resource_type: Option<String>,
    #[serde(default, borrow)]
    entry: Vec<WireEntry<'a>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEntry<'a> {
    full_url: Option<String>,
    #[serde(borrow)]
    resource: Option<&'a RawValue>,
}

fn parse_as<T: DeserializeOwned>(value: Value, resource_type: &str) -> Result<T, MappingError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        single(
            "invalid_structure",
            Issue::error(
                IssueCode::Structure,
                &format!("{resource_type}.{path}"),
                format!("{path}: {}", error.inner()),
            ),
        )
    })
}

/// `Type/id`; without an id, `Type?identifier=<system>|<value>` of the first identifier; else
/// `Type#sha256:<digest prefix>` of the bytes.
fn source_name(resource_type: &str, value: &Value, bytes: &[u8]) -> String {
    if let Some(id) = value
        .get("id")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|id| !id.is_empty())
    {
        return format!("{resource_type}/{id}");
    }
    let first_identifier = value
        .get("identifier")
        .and_then(|identifiers| match identifiers {
            Value::Array(items) => items.iter().find_map(|item| {
                serde_json::from_value::<Identifier>(item.clone())
                    .ok()?
                    .pair()
            }),
            _ => None,
        });
    if let Some((system, value)) = first_identifier {
        return format!("{resource_type}?identifier={system}|{value}");
    }
    let digest = Sha256::digest(bytes);
    format!("{resource_type}#sha256:{}", hex::encode(&digest[..8]))
}

/// The resources contained in this one, by local id, keyed as `<source>#<id>` when they have
/// no identifier of their own.
fn contained_of(value: &Value, source: &str) -> Contained {
    let mut contained = Contained {
        container: source.to_owned(),
        ..Contained::default()
    };
    let Some(Value::Array(items)) = value.get("contained") else {
        return contained;
    };
    for item in items {
        let Ok(identity) = serde_json::from_value::<WireIdentity>(item.clone()) else {
            continue;
        };
        let Some(id) = identity
            .id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
        else {
            continue;
        };
        let own = format!("{source}#{id}");
        if let Some(known) = resolver::known_of(&identity, Some(&own)) {
            contained.by_id.insert(id.to_owned(), known);
        }
    }
    contained
}

#[cfg(test)]
mod relationship_tests;
#[cfg(test)]
mod tests;
