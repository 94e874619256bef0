//! Resolving FHIR references to careaudit's keys (patient id, user id, organisation code, team).
//!
//! The resolver learns from every resource it sees: its type and id, the `fullUrl` it had in a
//! Bundle, and its identifiers, each pointing at the key the resource maps to. It then answers
//! the reference forms senders use:
//! - relative (`Patient/123`, `Patient/123/_history/2`);
//! - absolute URLs ending in `Type/id` (by the whole URL when a Bundle declared it as a
//!   `fullUrl`, else by `Type/id`, whichever server it names);
//! - `urn:uuid:` (and `urn:oid:`) `fullUrl`s inside a Bundle;
//! - conditional references (`Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999999999`,
//!   as Synthea's bulk export writes them) and logical references (`Reference.identifier`);
//! - `#id`, a resource contained in the referring one.
//!
//! A reference nobody registered is never dropped: it falls back to a key built from the
//! reference alone, by the same rules a mapped resource follows where it can. A logical or
//! conditional reference by identifier gives the key the identifier would give (the NHS
//! number; `system|value` for other patient identifiers; the value for staff, related persons
//! and organisations); a literal reference gives `Type/id`; a `urn:uuid:` gives itself; a
//! contained resource that is missing gives `Container/id#contained-id`. A team (Location,
//! HealthcareService, CareTeam) falls back to the reference's display name when it has one,
//! because team keys are names. The fallback of an organisation without an ODS code can not
//! match the `Organization/<id>` key its resource would give; that is why Bundles are mapped in
//! two passes and bulk NDJSON should register Practitioner, Organization and Location files
//! before mapping the others.

use super::keys::{self, PatientKeyError};
use super::reference::{is_type_name, Literal};
use super::wire::{Identifier, Reference};
use serde::Deserialize;
use std::collections::HashMap;

/// What careaudit knows the target of a reference as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CareKey {
    Patient {
        patient_id: String,
    },
    /// A Practitioner, or a PractitionerRole (with the organisation the role is held at).
    Staff {
        user_id: String,
        org_code: String,
    },
    RelatedPerson {
        user_id: String,
    },
    /// `ods` says whether `org_code` is an ODS code (rather than `Organization/<id>`).
    Organisation {
        org_code: String,
        ods: bool,
    },
    /// A Location, HealthcareService or CareTeam: its name and the organisation it belongs to.
    Team {
        team: String,
        org_code: String,
    },
    /// A resource careaudit keeps no key for (Device, Group, Encounter, ...).
    Other {
        resource_type: String,
        reference: String,
    },
}

/// A reference resolved to a key, and whether the key came from a registered resource
/// (`false`: built from the reference alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Resolved {
    pub key: CareKey,
    pub registered: bool,
}

/// What a registered resource stands for. Roles and teams keep their references, resolved when
/// asked, so a PractitionerRole registered before its Practitioner still finds it.
#[derive(Debug, Clone)]
pub(super) enum Known {
    Key(CareKey),
    Role {
        own_user_id: String,
        practitioner: Option<Reference>,
        organization: Option<Reference>,
    },
    Team {
        team: String,
        organization: Option<Reference>,
    },
}

/// The resources contained in the one being mapped, by their local id.
#[derive(Debug, Default)]
pub(super) struct Contained {
    pub container: String,
    pub by_id: HashMap<String, Known>,
}

/// Learns the keys of care-context resources and resolves references to them. Holds only keys
/// and references (no names or addresses); it grows with every resource registered.
#[derive(Debug, Default)]
pub struct ReferenceResolver {
    entries: Vec<Known>,
    by_identity: HashMap<String, usize>,
    by_url: HashMap<String, usize>,
    by_identifier: HashMap<(String, String, String), usize>,
    /// `(type, value)` for `identifier=value` without a system; `None` when two resources share
    /// the value.
    by_value: HashMap<(String, String), Option<usize>>,
}

/// The parts of any resource the resolver learns from.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireIdentity {
    pub resource_type: Option<String>,
    pub id: Option<String>,
    #[serde(default)]
    pub identifier: Vec<Identifier>,
    /// The name of an Organization, Location, HealthcareService or CareTeam (a string); a
    /// person's names (an array) are not read here.
    #[serde(default, deserialize_with = "string_only")]
    pub name: Option<String>,
    pub practitioner: Option<Reference>,
    pub organization: Option<Reference>,
    pub provided_by: Option<Reference>,
    /// One reference (Location) or several (CareTeam).
    #[serde(default, deserialize_with = "one_or_many")]
    pub managing_organization: Vec<Reference>,
}

impl ReferenceResolver {
    pub fn new() -> Self {
        Self::default()
    }

    /// Learns one resource (JSON), with the `fullUrl` it has in a Bundle. Returns whether it
    /// learned anything: resources careaudit keeps no key for, and resources without a usable
    /// identity (a Patient whose NHS number fails its check), teach nothing.
    pub fn register(&mut self, resource: &[u8], full_url: Option<&str>) -> bool {
        let Ok(identity) = serde_json::from_slice::<WireIdentity>(resource) else {
            return false;
        };
        self.register_identity(&identity, full_url)
    }

    /// The key a reference (`Patient/1`, an absolute URL, a `urn:uuid:` or a conditional
    /// reference) resolves to among the resources registered so far.
    pub fn lookup(&self, reference: &str) -> Option<CareKey> {
        let literal = Literal::parse(reference);
        let index = self.find_literal(&literal)?;
        Some(self.key_of(&self.entries[index]))
    }

    pub(super) fn register_identity(
        &mut self,
        identity: &WireIdentity,
        full_url: Option<&str>,
    ) -> bool {
        let Some(resource_type) = identity.resource_type.as_deref() else {
            return false;
        };
        let id = identity
            .id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty());
        let own_reference = id.map(|id| format!("{resource_type}/{id}"));
        let Some(known) = known_of(identity, own_reference.as_deref()) else {
            return false;
        };
        let full_url = full_url.map(str::trim).filter(|url| !url.is_empty());
        let Some(identity_key) = own_reference
            .clone()
            .or_else(|| full_url.map(str::to_owned))
        else {
            return false;
        };
        let index = match self.by_identity.get(&identity_key) {
            Some(&index) => {
                self.entries[index] = known;
                index
            }
            None => {
                self.entries.push(known);
                let index = self.entries.len() - 1;
                self.by_identity.insert(identity_key, index);
                index
            }
        };
        if let Some(own_reference) = own_reference {
            self.by_url.insert(own_reference, index);
        }
        if let Some(full_url) = full_url {
            self.by_url.insert(full_url.to_owned(), index);
        }
        for (system, value) in identity.identifier.iter().filter_map(Identifier::pair) {
            self.by_identifier
                .insert((resource_type.to_owned(), system, value.clone()), index);
            self.by_value
                .entry((resource_type.to_owned(), value))
                .and_modify(|existing| {
                    if *existing != Some(index) {
                        *existing = None;
                    }
                })
                .or_insert(Some(index));
        }
        true
    }

    /// Resolves a reference element, falling back to a key built from the reference itself;
    /// `None` only when the element names nothing (a display alone). `default_type` is what
    /// the element refers to when nothing in it says (a `urn:uuid:` outside its Bundle).
    pub(super) fn resolve(
        &self,
        reference: &Reference,
        contained: &Contained,
        default_type: &str,
    ) -> Option<Resolved> {
        self.resolve_at(reference, contained, default_type, false)
    }

    /// `nested`: resolving a role's or team's own reference, where only plain keys are
    /// followed, so that a role naming itself (or another role) cannot loop.
    fn resolve_at(
        &self,
        reference: &Reference,
        contained: &Contained,
        default_type: &str,
        nested: bool,
    ) -> Option<Resolved> {
        let literal = reference
            .reference
            .as_deref()
            .map(str::trim)
            .filter(|raw| !raw.is_empty())
            .map(Literal::parse);
        let identifier = reference.identifier.as_ref().and_then(Identifier::pair);
        if literal.is_none() && identifier.is_none() {
            return None;
        }
        let resource_type = literal
            .as_ref()
            .and_then(Literal::resource_type)
            .or_else(|| declared_type(reference))
            .or_else(|| {
                identifier
                    .as_ref()
                    .and_then(|(system, _)| keys::type_of_system(system))
            })
            .unwrap_or(default_type)
            .to_owned();

        if let Some(Literal::Contained(id)) = &literal {
            if let Some(key) = contained
                .by_id
                .get(id)
                .and_then(|known| self.key_at(known, nested))
            {
                return Some(Resolved {
                    key,
                    registered: true,
                });
            }
        }
        let found = literal
            .as_ref()
            .and_then(|literal| self.find_literal(literal))
            .or_else(|| {
                let (system, value) = identifier.as_ref()?;
                self.find_identifier(&resource_type, Some(system), value)
            })
            .and_then(|index| self.key_at(&self.entries[index], nested));
        if let Some(key) = found {
            return Some(Resolved {
                key,
                registered: true,
            });
        }

        let mut ods = false;
        let fallback = match (&identifier, &literal) {
            (Some((system, value)), _) => {
                ods = system == keys::ODS_CODE_SYSTEM;
                key_of_identifier(&resource_type, system, value)
            }
            (
                None,
                Some(Literal::Conditional {
                    identifier: Some((system, value)),
                    ..
                }),
            ) => {
                let system = system.as_deref().unwrap_or_default();
                ods = system == keys::ODS_CODE_SYSTEM;
                key_of_identifier(&resource_type, system, value)
            }
            (None, Some(Literal::Contained(id))) => format!("{}#{id}", contained.container),
            (
                None,
                Some(Literal::Instance {
                    resource_type, id, ..
                }),
            ) => {
                format!("{resource_type}/{id}")
            }
            (None, Some(literal)) => literal.raw().to_owned(),
            (None, None) => return None,
        };
        Some(Resolved {
            key: typed_key(&resource_type, fallback, reference.display(), ods),
            registered: false,
        })
    }

    fn find_literal(&self, literal: &Literal) -> Option<usize> {
        match literal {
            Literal::Contained(_) => None,
            Literal::Url(url) => self.by_url.get(url).copied(),
            Literal::Instance {
                resource_type,
                id,
                url,
            } => url
                .as_ref()
                .and_then(|url| self.by_url.get(url))
                .or_else(|| self.by_url.get(&format!("{resource_type}/{id}")))
                .copied(),
            Literal::Conditional {
                resource_type,
                identifier: Some((system, value)),
                ..
            } => self.find_identifier(resource_type, system.as_deref(), value),
            Literal::Conditional { .. } => None,
        }
    }

    fn find_identifier(
        &self,
        resource_type: &str,
        system: Option<&str>,
        value: &str,
    ) -> Option<usize> {
        match system.filter(|system| !system.is_empty()) {
            Some(system) => self
                .by_identifier
                .get(&(
                    resource_type.to_owned(),
                    system.to_owned(),
                    value.to_owned(),
                ))
                .copied(),
            None => self
                .by_value
                .get(&(resource_type.to_owned(), value.to_owned()))
                .copied()
                .flatten(),
        }
    }

    fn key_at(&self, known: &Known, nested: bool) -> Option<CareKey> {
        match known {
            Known::Key(key) => Some(key.clone()),
            Known::Role { .. } | Known::Team { .. } if nested => None,
            Known::Role { .. } | Known::Team { .. } => Some(self.key_of(known)),
        }
    }

    /// The key a registered (or contained) resource stands for. A role's or team's own
    /// references are resolved one level deep, against registered resources only.
    pub(super) fn key_of(&self, known: &Known) -> CareKey {
        let shallow = |reference: &Option<Reference>, default_type: &str| {
            reference
                .as_ref()
                .and_then(|reference| {
                    self.resolve_at(reference, &Contained::default(), default_type, true)
                })
                .map(|resolved| resolved.key)
        };
        match known {
            Known::Key(key) => key.clone(),
            Known::Role {
                own_user_id,
                practitioner,
                organization,
            } => CareKey::Staff {
                user_id: match shallow(practitioner, "Practitioner") {
                    Some(CareKey::Staff { user_id, .. }) => user_id,
                    _ => own_user_id.clone(),
                },
                org_code: org_code_of(shallow(organization, "Organization")),
            },
            Known::Team { team, organization } => CareKey::Team {
                team: team.clone(),
                org_code: org_code_of(shallow(organization, "Organization")),
            },
        }
    }
}

/// What a resource stands for, by careaudit's key rules; `own_reference` is `Type/id` (or
/// `Container/id#id` for a contained resource).
pub(super) fn known_of(identity: &WireIdentity, own_reference: Option<&str>) -> Option<Known> {
    let identifiers = &identity.identifier;
    let key = match identity.resource_type.as_deref()? {
        "Patient" => match keys::patient_key(identifiers, own_reference) {
            Ok(key) => CareKey::Patient {
                patient_id: key.patient_id,
            },
            Err(PatientKeyError::InvalidNhsNumber { .. } | PatientKeyError::Missing) => {
                return None
            }
        },
        "Practitioner" => CareKey::Staff {
            user_id: keys::user_key(identifiers, own_reference)?,
            org_code: String::new(),
        },
        "RelatedPerson" => CareKey::RelatedPerson {
            user_id: keys::related_person_key(identifiers, own_reference)?,
        },
        "Organization" => {
            let (org_code, ods) = keys::org_key(identifiers, own_reference)?;
            CareKey::Organisation { org_code, ods }
        }
        "PractitionerRole" => {
            return Some(Known::Role {
                own_user_id: keys::user_key(identifiers, own_reference)?,
                practitioner: identity.practitioner.clone(),
                organization: identity.organization.clone(),
            })
        }
        "Location" | "HealthcareService" | "CareTeam" => {
            let team = identity
                .name
                .as_deref()
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .or(own_reference)?;
            return Some(Known::Team {
                team: team.to_owned(),
                organization: identity
                    .provided_by
                    .clone()
                    .or_else(|| identity.managing_organization.first().cloned()),
            });
        }
        _ => return None,
    };
    Some(Known::Key(key))
}

fn org_code_of(key: Option<CareKey>) -> String {
    match key {
        Some(CareKey::Organisation { org_code, .. }) => org_code,
        _ => String::new(),
    }
}

fn key_of_identifier(resource_type: &str, system: &str, value: &str) -> String {
    match resource_type {
        "Patient" => keys::patient_key_of_identifier(system, value),
        "Practitioner" | "PractitionerRole" | "RelatedPerson" | "Organization" | "Location"
        | "HealthcareService" | "CareTeam" => value.to_owned(),
        _ if system.is_empty() => value.to_owned(),
        _ => format!("{system}|{value}"),
    }
}

/// A fallback key as the key of its type.
fn typed_key(resource_type: &str, key: String, display: Option<&str>, ods: bool) -> CareKey {
    match resource_type {
        "Patient" => CareKey::Patient { patient_id: key },
        "Practitioner" | "PractitionerRole" => CareKey::Staff {
            user_id: key,
            org_code: String::new(),
        },
        "RelatedPerson" => CareKey::RelatedPerson { user_id: key },
        "Organization" => CareKey::Organisation { org_code: key, ods },
        "Location" | "HealthcareService" | "CareTeam" => CareKey::Team {
            team: display.map_or(key, str::to_owned),
            org_code: String::new(),
        },
        other => CareKey::Other {
            resource_type: other.to_owned(),
            reference: key,
        },
    }
}

/// `Reference.type`, as a type name or a StructureDefinition URL.
fn declared_type(reference: &Reference) -> Option<&str> {
    let declared = reference.target_type.as_deref()?.trim();
    let name = declared.rsplit('/').next().unwrap_or(declared);
    is_type_name(name).then_some(name)
}

fn string_only<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(value.as_str().map(str::to_owned))
}

fn one_or_many<'de, D>(deserializer: D) -> Result<Vec<Reference>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(Reference),
        Many(Vec<Reference>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(reference) => vec![reference],
        OneOrMany::Many(references) => references,
    })
}

#[cfg(test)]
#[path = "resolver_tests.rs"]
mod tests;
