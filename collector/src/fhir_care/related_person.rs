//! `RelatedPerson` → a `RelatedPerson` relationship (family-member evidence): the related
//! person is the `user_id` (the first identifier's value, else `RelatedPerson/<id>`), the kind
//! of relation (`relationship`: its text, else a coding's display, else the v3 `RoleCode`, else
//! the first code) is the `team`, valid over `period`, from the epoch when it has no start (a
//! relation of kin has no start a feed knows). `fhir:RelatedPerson/<id>:patient`.
//!
//! A gap: the related person's name and address, which the analyzer would compare with the
//! accessing user's, have no place in a relationship (and the domain is not this module's to
//! change); they are not kept. When the person has an identifier a staff directory also knows
//! them by, the user id alone links them.

use super::keys;
use super::wire::{CodeableConcept, Identifier, Period, Reference};
use super::{Binding, Candidate, Context};
use crate::operation_outcome::{Issue, IssueCode};
use domain::{CareFact, RelationshipKind, Timestamp};
use serde::Deserialize;

/// Family relations (`WIFE`, `NMTH`, `SON`), preferred over the contact roles of v2 table
/// 0131 (`N` next of kin, `C` emergency contact) when a relation carries both.
const ROLE_CODE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireRelatedPerson {
    #[serde(default)]
    identifier: Vec<Identifier>,
    patient: Option<Reference>,
    #[serde(default)]
    relationship: Vec<CodeableConcept>,
    period: Option<Period>,
}

pub(super) fn map(wire: WireRelatedPerson, cx: &mut Context<'_>) -> Vec<CareFact> {
    let patient_id = cx.patient(wire.patient.as_ref(), "patient");
    let Some(user_id) = keys::related_person_key(&wire.identifier, cx.own_reference()) else {
        cx.problem(
            "missing_identity",
            Issue::error(
                IssueCode::Required,
                "RelatedPerson.identifier",
                "the RelatedPerson has neither an identifier nor an id",
            ),
        );
        return Vec::new();
    };
    let (start, end) = cx.period(wire.period.as_ref(), "period");
    let candidate = Candidate {
        role: "patient".to_owned(),
        kind: RelationshipKind::RelatedPerson,
        binding: Binding {
            user_id,
            team: wire
                .relationship
                .iter()
                .find_map(|relationship| relationship.label(ROLE_CODE_SYSTEM))
                .unwrap_or_default()
                .to_owned(),
            org_code: String::new(),
        },
        start: Some(start.unwrap_or(Timestamp::from_millis(0))),
        end,
        cancelled: false,
    };
    cx.relationships(patient_id, vec![candidate], "period.start")
}
