//! `Consent` → the patient's `sharing_objection`, as a [`PatientRecord`] stating only the
//! patient id and that flag (the store applies it as an update of that one field).
//!
//! Which consents: privacy consents, `scope` `patient-privacy` (or, without a scope, a privacy
//! `category`: LOINC 59284-0 patient consent, 57016-8 privacy policy acknowledgement, 64292-6
//! release of information, v3 `INFA`/`INFAO`/`INFASO`/`IRDSCL`). Consents to treatment,
//! research or advance directives are refused (`not_privacy_consent`).
//!
//! What the consent says is its base rule: the root `provision.type` when the sender gave one
//! (R4 leaves it to nested rules, but the spec's own examples put it at the root), else the
//! `policyRule`: `OPTOUT`/`OPTOUTE` (the patient dissents) deny, `OPTIN`/`OPTINR` permit. A
//! consent saying neither is refused (`consent_unclear`).
//!
//! Then, by status:
//! - `active`: deny → `sharing_objection: true`, permit → `false`;
//! - `inactive` or `entered-in-error` deny: the objection is withdrawn or never was → `false`;
//! - any other (`draft`, `proposed`, `rejected`, an inactive permit): nothing in force to state
//!   → refused (`consent_not_in_force`).
//!
//! Overrides and gaps, documented rather than guessed at: the domain keeps one flag per
//! patient, so the consent stored last wins (a patient with two objections who withdraws one
//! has the flag cleared). A deny limited to one organisation, one practitioner, some records or
//! a period (`provision.actor`, `data`, `period`, nested provisions) still sets the flag, since
//! the flag cannot say what it is limited to and an access to an objecting patient deserves a
//! look; nested exceptions (a permit for emergency treatment) do not clear it.

use super::wire::{CodeableConcept, Reference};
use super::Context;
use crate::operation_outcome::{Issue, IssueCode};
use domain::CareFact;
use serde::Deserialize;

const SCOPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
const LOINC: &str = "http://loinc.org";
const ACT_CODE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const PRIVACY_CATEGORIES: &[(&str, &str)] = &[
    (LOINC, "59284-0"),
    (LOINC, "57016-8"),
    (LOINC, "64292-6"),
    (ACT_CODE_SYSTEM, "INFA"),
    (ACT_CODE_SYSTEM, "INFAO"),
    (ACT_CODE_SYSTEM, "INFASO"),
    (ACT_CODE_SYSTEM, "IRDSCL"),
];

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireConsent {
    status: Option<String>,
    scope: Option<CodeableConcept>,
    #[serde(default)]
    category: Vec<CodeableConcept>,
    patient: Option<Reference>,
    policy_rule: Option<CodeableConcept>,
    provision: Option<Provision>,
}

#[derive(Debug, Default, Deserialize)]
struct Provision {
    #[serde(rename = "type")]
    provision_type: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Deny,
    Permit,
}

pub(super) fn map(wire: WireConsent, cx: &mut Context<'_>) -> Vec<CareFact> {
    let privacy = match &wire.scope {
        Some(scope) => scope.has(SCOPE_SYSTEM, "patient-privacy"),
        None => wire.category.iter().any(|category| {
            PRIVACY_CATEGORIES
                .iter()
                .any(|(system, code)| category.has(system, code))
        }),
    };
    if !privacy {
        cx.problem(
            "not_privacy_consent",
            Issue::error(
                IssueCode::NotSupported,
                "Consent.scope",
                "not a privacy consent (scope patient-privacy): it says nothing about sharing",
            ),
        );
        return Vec::new();
    }
    let patient_id = cx.patient(wire.patient.as_ref(), "patient");

    let rule = match wire
        .provision
        .as_ref()
        .and_then(|provision| provision.provision_type.as_deref())
    {
        Some("deny") => Some(Rule::Deny),
        Some("permit") => Some(Rule::Permit),
        _ => wire.policy_rule.as_ref().and_then(|policy| {
            policy
                .coding
                .iter()
                .find_map(|coding| match coding.code()? {
                    "OPTOUT" | "OPTOUTE" => Some(Rule::Deny),
                    "OPTIN" | "OPTINR" => Some(Rule::Permit),
                    _ => None,
                })
        }),
    };
    let Some(rule) = rule else {
        cx.problem(
            "consent_unclear",
            Issue::error(
                IssueCode::Required,
                "Consent.provision.type",
                "neither provision.type nor policyRule (OPTIN/OPTOUT) says whether sharing is permitted",
            ),
        );
        return Vec::new();
    };

    let status = wire.status.as_deref().unwrap_or_default();
    let sharing_objection = match (status, rule) {
        ("active", Rule::Deny) => true,
        ("active", Rule::Permit) => false,
        ("inactive" | "entered-in-error", Rule::Deny) => false,
        _ => {
            cx.problem(
                "consent_not_in_force",
                Issue::error(
                    IssueCode::Value,
                    "Consent.status",
                    format!(
                        "a {status:?} consent that {} states nothing in force",
                        match rule {
                            Rule::Deny => "denies",
                            Rule::Permit => "permits",
                        }
                    ),
                ),
            );
            return Vec::new();
        }
    };
    let Some(patient_id) = patient_id else {
        return Vec::new();
    };
    // A flag of its own, so that it neither clears nor is cleared by demographic updates.
    vec![CareFact::PatientFlag {
        patient_id,
        flag: domain::PatientFlagKind::SharingObjection,
        value: sharing_objection,
        reason: format!("FHIR Consent ({status})"),
    }]
}
