//! `CareTeam` → `CareTeam` relationships, one per `participant[n]` whose `member` is a
//! Practitioner or PractitionerRole (bound as the user, with the organisation they act for:
//! `onBehalfOf`, else their role's) or an Organization (bound as the organisation), each named
//! by the team's `name` (else `CareTeam/<id>`) as the team. Patients, related persons and nested
//! teams taking part are not carers and are skipped. Valid over the member's `period`, each end
//! it leaves out taken from the team's; a team that binds anyone without a start is refused
//! (`missing_period`). Status `entered-in-error` → cancelled (an `inactive` team ends with its
//! period, it was not wrong).

use super::wire::{non_empty, Period, Reference};
use super::{Binding, Candidate, CareKey, Context};
use domain::{CareFact, RelationshipKind};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireCareTeam {
    status: Option<String>,
    subject: Option<Reference>,
    period: Option<Period>,
    #[serde(default)]
    participant: Vec<Member>,
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Member {
    member: Option<Reference>,
    on_behalf_of: Option<Reference>,
    period: Option<Period>,
}

pub(super) fn map(wire: WireCareTeam, cx: &mut Context<'_>) -> Vec<CareFact> {
    let patient_id = cx.patient(wire.subject.as_ref(), "subject");
    let (start, end) = cx.period(wire.period.as_ref(), "period");
    let cancelled = wire.status.as_deref() == Some("entered-in-error");
    let team = non_empty(wire.name.as_deref())
        .map(str::to_owned)
        .unwrap_or_else(|| cx.source.clone());

    let mut candidates = Vec::new();
    for (index, participant) in wire.participant.iter().enumerate() {
        let Some(resolved) = participant
            .member
            .as_ref()
            .and_then(|reference| cx.resolve(reference, "Practitioner"))
        else {
            continue;
        };
        let on_behalf_of = participant
            .on_behalf_of
            .as_ref()
            .and_then(|reference| cx.resolve(reference, "Organization"))
            .and_then(|resolved| match resolved.key {
                CareKey::Organisation { org_code, .. } => Some(org_code),
                _ => None,
            });
        let binding = match resolved.key {
            CareKey::Staff { user_id, org_code } => Binding {
                user_id,
                team: team.clone(),
                org_code: on_behalf_of.unwrap_or(org_code),
            },
            CareKey::Organisation { org_code, .. } => Binding {
                user_id: String::new(),
                team: team.clone(),
                org_code,
            },
            _ => continue,
        };
        let element = format!("participant[{index}].period");
        let (own_start, own_end) = cx.period(participant.period.as_ref(), &element);
        // A member's own dates narrow the resource's; what they leave out, the resource's give.
        let (start, end) = (own_start.or(start), own_end.or(end));
        candidates.push(Candidate {
            role: format!("participant:{index}"),
            kind: RelationshipKind::CareTeam,
            binding,
            start,
            end,
            cancelled,
        });
    }
    cx.relationships(patient_id, candidates, "period.start")
}
