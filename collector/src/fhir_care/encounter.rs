//! `Encounter` and `EpisodeOfCare` → relationships.
//!
//! Encounter (the patient is `subject`; a Group subject names no patient and is refused):
//! - `serviceProvider` → an `Encounter` relationship to that organisation
//!   (`fhir:Encounter/<id>:serviceProvider`);
//! - each `participant[n].individual` that is a Practitioner or PractitionerRole → a `Clinician`
//!   relationship to that user (`...:participant:<n>`), with the organisation of their role,
//!   else the service provider, the organisation they acted for; a RelatedPerson taking part
//!   (an escort, an interpreter) is not a carer and is skipped;
//! - valid over the participant's `period`, each end it leaves out taken from the encounter's
//!   `period`; an encounter that binds anyone without a start is refused (`missing_period`);
//! - status `cancelled` or `entered-in-error` → cancelled.
//!
//! `location` is not read: a ward is not a team careaudit knows staff by (a gap: ward-level
//! evidence would need the staff directory to name wards).
//!
//! EpisodeOfCare (the patient is `patient`): `managingOrganization`, `careManager` and each
//! `team[n]` (a CareTeam, by its name) → `EpisodeOfCare` relationships over `period`; status
//! `cancelled` or `entered-in-error` → cancelled.

use super::wire::{Period, Reference};
use super::{Binding, Candidate, CareKey, Context};
use domain::{CareFact, RelationshipKind};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireEncounter {
    status: Option<String>,
    subject: Option<Reference>,
    #[serde(default)]
    participant: Vec<Participant>,
    period: Option<Period>,
    service_provider: Option<Reference>,
}

#[derive(Debug, Default, Deserialize)]
struct Participant {
    individual: Option<Reference>,
    period: Option<Period>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireEpisode {
    status: Option<String>,
    patient: Option<Reference>,
    period: Option<Period>,
    managing_organization: Option<Reference>,
    care_manager: Option<Reference>,
    #[serde(default)]
    team: Vec<Reference>,
}

pub(super) fn map_encounter(wire: WireEncounter, cx: &mut Context<'_>) -> Vec<CareFact> {
    let patient_id = cx.patient(wire.subject.as_ref(), "subject");
    let (start, end) = cx.period(wire.period.as_ref(), "period");
    let cancelled = matches!(
        wire.status.as_deref(),
        Some("cancelled" | "entered-in-error")
    );
    let mut candidates = Vec::new();

    let provider = wire
        .service_provider
        .as_ref()
        .and_then(|reference| cx.resolve(reference, "Organization"))
        .map(|resolved| resolved.key);
    let provider_org = match &provider {
        Some(CareKey::Organisation { org_code, .. }) => org_code.clone(),
        _ => String::new(),
    };
    if let Some(binding) = provider.and_then(Binding::of) {
        candidates.push(Candidate {
            role: "serviceProvider".to_owned(),
            kind: RelationshipKind::Encounter,
            binding,
            start,
            end,
            cancelled,
        });
    }

    for (index, participant) in wire.participant.iter().enumerate() {
        let Some(resolved) = participant
            .individual
            .as_ref()
            .and_then(|reference| cx.resolve(reference, "Practitioner"))
        else {
            continue;
        };
        let CareKey::Staff { user_id, org_code } = resolved.key else {
            continue;
        };
        let element = format!("participant[{index}].period");
        let (own_start, own_end) = cx.period(participant.period.as_ref(), &element);
        // A member's own dates narrow the resource's; what they leave out, the resource's give.
        let (start, end) = (own_start.or(start), own_end.or(end));
        candidates.push(Candidate {
            role: format!("participant:{index}"),
            kind: RelationshipKind::Clinician,
            binding: Binding {
                user_id,
                team: String::new(),
                org_code: if org_code.is_empty() {
                    provider_org.clone()
                } else {
                    org_code
                },
            },
            start,
            end,
            cancelled,
        });
    }
    cx.relationships(patient_id, candidates, "period.start")
}

pub(super) fn map_episode(wire: WireEpisode, cx: &mut Context<'_>) -> Vec<CareFact> {
    let patient_id = cx.patient(wire.patient.as_ref(), "patient");
    let (start, end) = cx.period(wire.period.as_ref(), "period");
    let cancelled = matches!(
        wire.status.as_deref(),
        Some("cancelled" | "entered-in-error")
    );
    let named = [
        (
            "managingOrganization".to_owned(),
            wire.managing_organization.as_ref(),
            "Organization",
        ),
        (
            "careManager".to_owned(),
            wire.care_manager.as_ref(),
            "Practitioner",
        ),
    ];
    let teams = wire
        .team
        .iter()
        .enumerate()
        .map(|(index, team)| (format!("team:{index}"), Some(team), "CareTeam"));
    let mut candidates = Vec::new();
    for (role, reference, default_type) in named.into_iter().chain(teams) {
        let Some(binding) = reference
            .and_then(|reference| cx.resolve(reference, default_type))
            .and_then(|resolved| Binding::of(resolved.key))
        else {
            continue;
        };
        candidates.push(Candidate {
            role,
            kind: RelationshipKind::EpisodeOfCare,
            binding,
            start,
            end,
            cancelled,
        });
    }
    cx.relationships(patient_id, candidates, "period.start")
}
