//! `Patient` → [`PatientRecord`], GP registrations and merges.
//!
//! - key: the NHS number (`https://fhir.nhs.uk/Id/nhs-number`, which must pass its check digit),
//!   else `system|value` of the first identifier, else `Patient/<id>`; neither → refused
//!   (`missing_identity`);
//! - name: the official name, else the usual one; address: the home address (line, postcode);
//!   `birthDate` when it is a whole date; `deceasedDateTime` as the death date
//!   (`deceasedBoolean: true` has nowhere to go: the domain has only a date);
//! - `generalPractitioner`: a `Registration` relationship to each (an organisation, or a
//!   practitioner or role) from the epoch, open-ended, since FHIR dates no registration; the
//!   first that is an Organization with an ODS code is also the record's `gp_practice`;
//! - confidential: a `meta.security` label `R` (restricted) or `V` (very restricted) of
//!   `v3-Confidentiality`; VIP: any code of the `patient-importance` extension
//!   (`v3-PatientImportance`: VIP, board member, staff, staff family member, dignitary, ...) or the
//!   `CEL` (celebrity) security label;
//! - `link` of type `replaced-by` (this patient is merged into the other) or `replaces` (the
//!   other is merged into this one) → `PatientMerge`; `refer` and `seealso` say nothing about
//!   identity and are ignored;
//! - `managingOrganization` is the record's custodian, not a carer, and is not read.

use super::keys::{self, PatientKeyError};
use super::wire::{
    patient_address, person_name, Address, CodeableConcept, Coding, HumanName, Identifier,
    Reference,
};
use super::{Binding, CareKey, Context};
use crate::operation_outcome::{Issue, IssueCode};
use domain::{CareFact, PatientRecord, RelationshipKind, Timestamp};
use serde::Deserialize;

const CONFIDENTIALITY_SYSTEMS: &[&str] = &[
    "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
    "http://hl7.org/fhir/v3/Confidentiality",
];
const ACT_CODE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const IMPORTANCE_EXTENSION: &str = "http://hl7.org/fhir/StructureDefinition/patient-importance";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WirePatient {
    meta: Option<Meta>,
    #[serde(default)]
    extension: Vec<Extension>,
    #[serde(default)]
    identifier: Vec<Identifier>,
    #[serde(default)]
    name: Vec<HumanName>,
    birth_date: Option<String>,
    deceased_date_time: Option<String>,
    #[serde(default)]
    address: Vec<Address>,
    #[serde(default)]
    general_practitioner: Vec<Reference>,
    #[serde(default)]
    link: Vec<Link>,
}

#[derive(Debug, Default, Deserialize)]
struct Meta {
    #[serde(default)]
    security: Vec<Coding>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extension {
    url: Option<String>,
    value_codeable_concept: Option<CodeableConcept>,
}

#[derive(Debug, Default, Deserialize)]
struct Link {
    other: Option<Reference>,
    #[serde(rename = "type")]
    link_type: Option<String>,
}

pub(super) fn map(wire: WirePatient, cx: &mut Context<'_>) -> Vec<CareFact> {
    let key = match keys::patient_key(&wire.identifier, cx.own_reference()) {
        Ok(key) => key,
        Err(PatientKeyError::InvalidNhsNumber { index, value }) => {
            cx.problem(
                "invalid_nhs_number",
                Issue::error(
                    IssueCode::Value,
                    &format!("Patient.identifier[{index}].value"),
                    format!("NHS number {value:?} fails its check digit"),
                ),
            );
            return Vec::new();
        }
        Err(PatientKeyError::Missing) => {
            cx.problem(
                "missing_identity",
                Issue::error(
                    IssueCode::Required,
                    "Patient.identifier",
                    "the patient has neither an identifier nor an id",
                ),
            );
            return Vec::new();
        }
    };
    let patient_id = key.patient_id.clone();

    let birth_date = cx
        .date_time(wire.birth_date.as_deref(), "birthDate")
        .and_then(|date| date.calendar_date());
    let death_date = cx
        .date_time(wire.deceased_date_time.as_deref(), "deceasedDateTime")
        .and_then(|date| date.calendar_date());
    let (family_name, given_names) = person_name(&wire.name);
    let address = patient_address(&wire.address);

    let mut relationships = Vec::new();
    let mut gp_practice = String::new();
    for (index, reference) in wire.general_practitioner.iter().enumerate() {
        let Some(resolved) = cx.resolve(reference, "Organization") else {
            continue;
        };
        if let CareKey::Organisation {
            org_code,
            ods: true,
        } = &resolved.key
        {
            if gp_practice.is_empty() {
                gp_practice.clone_from(org_code);
            }
        }
        if let Some(binding) = Binding::of(resolved.key) {
            relationships.push(binding.into_relationship(
                cx.relationship_id(&format!("generalPractitioner:{index}")),
                &patient_id,
                RelationshipKind::Registration,
                (Timestamp::from_millis(0), None),
                false,
            ));
        }
    }

    let mut merges = Vec::new();
    for link in &wire.link {
        let Some(other) = link
            .other
            .as_ref()
            .and_then(|other| cx.resolve(other, "Patient"))
        else {
            continue;
        };
        let CareKey::Patient {
            patient_id: other_id,
        } = other.key
        else {
            continue;
        };
        match link.link_type.as_deref() {
            Some("replaced-by") => merges.push(CareFact::PatientMerge {
                surviving: other_id,
                merged: patient_id.clone(),
            }),
            Some("replaces") => merges.push(CareFact::PatientMerge {
                surviving: patient_id.clone(),
                merged: other_id,
            }),
            _ => {}
        }
    }

    let security = wire.meta.iter().flat_map(|meta| meta.security.iter());
    let confidential = security.clone().any(|label| {
        let system_ok = label
            .system
            .as_deref()
            .is_none_or(|system| CONFIDENTIALITY_SYSTEMS.contains(&system));
        system_ok && matches!(label.code(), Some("R" | "V"))
    });
    let celebrity = security
        .clone()
        .any(|label| label.is(ACT_CODE_SYSTEM, "CEL"));
    let important = wire.extension.iter().any(|extension| {
        extension.url.as_deref() == Some(IMPORTANCE_EXTENSION)
            && extension
                .value_codeable_concept
                .as_ref()
                .is_some_and(|concept| concept.coding.iter().any(|coding| coding.code().is_some()))
    });

    // Senders repeat identifiers (the spec's Patient/f201 lists its BSN twice).
    let mut identifiers: Vec<(String, String)> = Vec::new();
    for pair in wire.identifier.iter().filter_map(Identifier::pair) {
        if !identifiers.contains(&pair) {
            identifiers.push(pair);
        }
    }
    let record = PatientRecord {
        patient_id,
        nhs_number: key.nhs_number,
        identifiers,
        family_name,
        given_names,
        birth_date,
        death_date,
        address_line: address.map(Address::line).unwrap_or_default(),
        postcode: address.map(Address::postcode).unwrap_or_default(),
        gp_practice,
        vip: important || celebrity,
        confidential,
        sharing_objection: false,
    };
    let mut facts = vec![CareFact::Patient(record)];
    facts.extend(relationships);
    facts.extend(merges);
    facts
}
