//! The directories: `Practitioner` and `PractitionerRole` → [`StaffRecord`], `Organization` →
//! [`OrganisationRecord`].
//!
//! - Practitioner: user id = the SDS user id (`https://fhir.nhs.uk/Id/sds-user-id`), else the
//!   first identifier's value, else `Practitioner/<id>`; the official (else usual) name; the
//!   home address, only from an address marked `home` (see [`staff_home_address`]).
//! - PractitionerRole: the same user (its `practitioner`, resolved), with the organisation
//!   (`organization`, resolved), role codes (every `code[].coding[].code`), job title (the first
//!   code's text or display, never a bare code), team (the first healthcare service's or
//!   location's name, resolved or as displayed) and start and leave dates (`period`, whole
//!   dates). Its name and address fields are empty: a role does not state them.
//! - Organization: code = the ODS code (`https://fhir.nhs.uk/Id/ods-organization-code`), else
//!   `Organization/<id>`; `org_type` = the `organization-type` code (`prov`, `dept`, ...), else
//!   the first type code: FHIR has no code for careaudit's NHS kinds (`gp_practice`,
//!   `acute_trust`), so the code is kept as the sender wrote it; `partOf` → parent code; the
//!   first address's postcode. `region` is not in FHIR and stays empty.

use super::keys;
use super::wire::{
    non_empty, person_name, staff_home_address, Address, CodeableConcept, HumanName, Identifier,
    Period, Reference,
};
use super::{CareKey, Context};
use crate::operation_outcome::{Issue, IssueCode};
use domain::{CareFact, OrganisationRecord, StaffRecord};
use serde::Deserialize;

const ORGANIZATION_TYPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/organization-type";

#[derive(Debug, Default, Deserialize)]
pub(super) struct WirePractitioner {
    #[serde(default)]
    identifier: Vec<Identifier>,
    #[serde(default)]
    name: Vec<HumanName>,
    #[serde(default)]
    address: Vec<Address>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireRole {
    #[serde(default)]
    identifier: Vec<Identifier>,
    practitioner: Option<Reference>,
    organization: Option<Reference>,
    #[serde(default)]
    code: Vec<CodeableConcept>,
    #[serde(default)]
    healthcare_service: Vec<Reference>,
    #[serde(default)]
    location: Vec<Reference>,
    period: Option<Period>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireOrganization {
    #[serde(default)]
    identifier: Vec<Identifier>,
    name: Option<String>,
    #[serde(rename = "type", default)]
    org_type: Vec<CodeableConcept>,
    part_of: Option<Reference>,
    #[serde(default)]
    address: Vec<Address>,
}

pub(super) fn map_practitioner(wire: WirePractitioner, cx: &mut Context<'_>) -> Vec<CareFact> {
    let Some(user_id) = keys::user_key(&wire.identifier, cx.own_reference()) else {
        missing_identity(cx, "Practitioner");
        return Vec::new();
    };
    let (family_name, given_names) = person_name(&wire.name);
    let home = staff_home_address(&wire.address);
    vec![CareFact::Staff(StaffRecord {
        user_id,
        family_name,
        given_names,
        home_address_line: home.map(Address::line).unwrap_or_default(),
        home_postcode: home.map(Address::postcode).unwrap_or_default(),
        ..StaffRecord::default()
    })]
}

pub(super) fn map_role(wire: WireRole, cx: &mut Context<'_>) -> Vec<CareFact> {
    let practitioner = wire
        .practitioner
        .as_ref()
        .and_then(|reference| cx.resolve(reference, "Practitioner"));
    let user_id = match practitioner.map(|resolved| resolved.key) {
        Some(CareKey::Staff { user_id, .. }) => Some(user_id),
        _ => keys::user_key(&wire.identifier, cx.own_reference()),
    };
    let Some(user_id) = user_id else {
        missing_identity(cx, "PractitionerRole");
        return Vec::new();
    };
    let org_code = match wire
        .organization
        .as_ref()
        .and_then(|reference| cx.resolve(reference, "Organization"))
        .map(|resolved| resolved.key)
    {
        Some(CareKey::Organisation { org_code, .. }) => org_code,
        _ => String::new(),
    };
    let mut role_codes: Vec<String> = wire
        .code
        .iter()
        .flat_map(|concept| concept.coding.iter())
        .filter_map(|coding| coding.code())
        .map(str::to_owned)
        .collect();
    role_codes.dedup();
    let team = team_name(cx, &wire.healthcare_service, "HealthcareService")
        .or_else(|| team_name(cx, &wire.location, "Location"))
        .unwrap_or_default();
    let start = cx.date_time(
        wire.period
            .as_ref()
            .and_then(|period| period.start.as_deref()),
        "period.start",
    );
    let end = cx.date_time(
        wire.period
            .as_ref()
            .and_then(|period| period.end.as_deref()),
        "period.end",
    );
    vec![CareFact::Staff(StaffRecord {
        user_id,
        org_code,
        role_codes,
        job_title: wire
            .code
            .first()
            .and_then(CodeableConcept::words)
            .unwrap_or_default()
            .to_owned(),
        team,
        start_date: start.and_then(|date| date.calendar_date()),
        leave_date: end.and_then(|date| date.calendar_date()),
        ..StaffRecord::default()
    })]
}

/// The name of the first team a role names: as the resolver knows it, else as displayed.
fn team_name(cx: &Context<'_>, references: &[Reference], default_type: &str) -> Option<String> {
    references.iter().find_map(|reference| {
        let resolved = cx.resolve(reference, default_type)?;
        match resolved.key {
            CareKey::Team { team, .. } if resolved.registered || reference.display().is_some() => {
                Some(team)
            }
            _ => None,
        }
    })
}

pub(super) fn map_organization(wire: WireOrganization, cx: &mut Context<'_>) -> Vec<CareFact> {
    let Some((org_code, _)) = keys::org_key(&wire.identifier, cx.own_reference()) else {
        missing_identity(cx, "Organization");
        return Vec::new();
    };
    let codings = || {
        wire.org_type
            .iter()
            .flat_map(|concept| concept.coding.iter())
    };
    let org_type = codings()
        .find(|coding| coding.system.as_deref() == Some(ORGANIZATION_TYPE_SYSTEM))
        .and_then(|coding| coding.code())
        .or_else(|| codings().find_map(|coding| coding.code()))
        .or_else(|| wire.org_type.iter().find_map(CodeableConcept::words))
        .unwrap_or_default()
        .to_owned();
    let parent_code = match wire
        .part_of
        .as_ref()
        .and_then(|reference| cx.resolve(reference, "Organization"))
        .map(|resolved| resolved.key)
    {
        Some(CareKey::Organisation { org_code, .. }) => org_code,
        _ => String::new(),
    };
    vec![CareFact::Organisation(OrganisationRecord {
        org_code,
        name: non_empty(wire.name.as_deref())
            .unwrap_or_default()
            .to_owned(),
        org_type,
        parent_code,
        region: String::new(),
        postcode: wire
            .address
            .iter()
            .map(Address::postcode)
            .find(|postcode| !postcode.is_empty())
            .unwrap_or_default(),
    })]
}

fn missing_identity(cx: &mut Context<'_>, resource_type: &str) {
    cx.problem(
        "missing_identity",
        Issue::error(
            IssueCode::Required,
            &format!("{resource_type}.identifier"),
            format!("the {resource_type} has neither an identifier nor an id"),
        ),
    );
}
