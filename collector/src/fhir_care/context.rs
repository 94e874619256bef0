//! What the mapping of one resource works with: the [`Context`] (resolver, contained
//! resources, the name relationships are known by, problems found), and the relationship
//! [`Candidate`]s and [`Binding`]s the relationship resources build.

use super::resolver::{CareKey, Contained, ReferenceResolver, Resolved};
use super::time::FhirDateTime;
use super::wire::{Period, Reference};
use crate::fhir_audit_event::MappingError;
use crate::operation_outcome::{Issue, IssueCode};
use domain::{CareFact, RelationshipKind, RelationshipRecord, Timestamp};

/// What one resource's mapping works with: the resolver, the resource's contained resources,
/// the name its relationships are known by, and the problems found so far.
pub(super) struct Context<'a> {
    pub(super) resolver: &'a ReferenceResolver,
    pub(super) contained: Contained,
    pub(super) resource_type: String,
    /// `Encounter/<id>` (or the identifier or digest form), the stem of relationship ids.
    pub(super) source: String,
    pub(super) problems: Problems,
}

impl Context<'_> {
    pub(super) fn problem(&mut self, reason_code: &'static str, issue: Issue) {
        self.problems.add(reason_code, issue);
    }

    pub(super) fn resolve(&self, reference: &Reference, default_type: &str) -> Option<Resolved> {
        self.resolver
            .resolve(reference, &self.contained, default_type)
    }

    /// The patient a `subject`/`patient` element names; a problem when it names none.
    pub(super) fn patient(
        &mut self,
        reference: Option<&Reference>,
        element: &str,
    ) -> Option<String> {
        let resolved = reference.and_then(|reference| self.resolve(reference, "Patient"));
        match resolved.map(|resolved| resolved.key) {
            Some(CareKey::Patient { patient_id }) => Some(patient_id),
            Some(other) => {
                let expression = format!("{}.{element}", self.resource_type);
                self.problem(
                    "missing_patient",
                    Issue::error(
                        IssueCode::Value,
                        &expression,
                        format!("{element} does not refer to a Patient ({other:?})"),
                    ),
                );
                None
            }
            None => {
                let expression = format!("{}.{element}", self.resource_type);
                self.problem(
                    "missing_patient",
                    Issue::error(
                        IssueCode::Required,
                        &expression,
                        format!("{element} does not identify a patient"),
                    ),
                );
                None
            }
        }
    }

    /// A date or dateTime element; a problem when it is present but malformed.
    pub(super) fn date_time(&mut self, raw: Option<&str>, element: &str) -> Option<FhirDateTime> {
        let raw = raw?;
        let parsed = FhirDateTime::parse(raw);
        if parsed.is_none() {
            let expression = format!("{}.{element}", self.resource_type);
            self.problem(
                "invalid_date",
                Issue::error(
                    IssueCode::Value,
                    &expression,
                    format!("{element} {raw:?} is not a FHIR date or dateTime"),
                ),
            );
        }
        parsed
    }

    /// `[start, end)` of a period, each `None` when absent (or malformed, with a problem).
    pub(super) fn period(
        &mut self,
        period: Option<&Period>,
        element: &str,
    ) -> (Option<Timestamp>, Option<Timestamp>) {
        let Some(period) = period else {
            return (None, None);
        };
        let start = self.date_time(period.start.as_deref(), &format!("{element}.start"));
        let end = self.date_time(period.end.as_deref(), &format!("{element}.end"));
        (
            start.map(FhirDateTime::start),
            end.map(FhirDateTime::end_exclusive),
        )
    }

    /// The problem of a relationship resource whose window has no start: a relationship that
    /// cannot be placed in time would explain accesses at any time.
    pub(super) fn missing_start(&mut self, element: &str) {
        let expression = format!("{}.{element}", self.resource_type);
        self.problem(
            "missing_period",
            Issue::error(
                IssueCode::Required,
                &expression,
                format!("{element} is missing: the relationship has no start"),
            ),
        );
    }

    pub(super) fn relationship_id(&self, role: &str) -> String {
        format!("fhir:{}:{role}", self.source)
    }

    /// The resource's own reference (`Type/id`), for keys of resources without identifiers.
    pub(super) fn own_reference(&self) -> Option<&str> {
        self.source
            .contains('/')
            .then_some(self.source.as_str())
            .filter(|source| !source.contains('?') && !source.contains('#'))
    }
}

/// A relationship a resource states, before its window is known to have a start.
pub(super) struct Candidate {
    /// The role within the resource, the tail of the relationship id (`participant:0`).
    pub(super) role: String,
    pub(super) kind: RelationshipKind,
    pub(super) binding: Binding,
    pub(super) start: Option<Timestamp>,
    pub(super) end: Option<Timestamp>,
    pub(super) cancelled: bool,
}

impl Context<'_> {
    /// The relationships of one resource for its patient. A candidate without a start makes
    /// the resource a problem (`missing_period`, reported at `start_element`); a resource with
    /// no candidates states no relationship and is not one.
    pub(super) fn relationships(
        &mut self,
        patient_id: Option<String>,
        candidates: Vec<Candidate>,
        start_element: &str,
    ) -> Vec<CareFact> {
        let Some(patient_id) = patient_id else {
            return Vec::new();
        };
        if candidates.iter().any(|candidate| candidate.start.is_none()) {
            self.missing_start(start_element);
            return Vec::new();
        }
        candidates
            .into_iter()
            .filter_map(|candidate| {
                let start = candidate.start?;
                Some(candidate.binding.into_relationship(
                    self.relationship_id(&candidate.role),
                    &patient_id,
                    candidate.kind,
                    (start, candidate.end),
                    candidate.cancelled,
                ))
            })
            .collect()
    }
}

/// One relationship, bound at the levels the key names.
pub(super) struct Binding {
    pub(super) user_id: String,
    pub(super) team: String,
    pub(super) org_code: String,
}

impl Binding {
    /// The levels a carer's key binds: a user (with the organisation of their role), a team
    /// (with its organisation) or an organisation. Patients, related persons and other
    /// resources are not carers: `None`.
    pub(super) fn of(key: CareKey) -> Option<Self> {
        match key {
            CareKey::Staff { user_id, org_code } => Some(Self {
                user_id,
                team: String::new(),
                org_code,
            }),
            CareKey::Team { team, org_code } => Some(Self {
                user_id: String::new(),
                team,
                org_code,
            }),
            CareKey::Organisation { org_code, .. } => Some(Self {
                user_id: String::new(),
                team: String::new(),
                org_code,
            }),
            CareKey::Patient { .. } | CareKey::RelatedPerson { .. } | CareKey::Other { .. } => None,
        }
    }

    pub(super) fn into_relationship(
        self,
        relationship_id: String,
        patient_id: &str,
        kind: RelationshipKind,
        window: (Timestamp, Option<Timestamp>),
        cancelled: bool,
    ) -> CareFact {
        CareFact::Relationship(RelationshipRecord {
            relationship_id,
            patient_id: patient_id.to_owned(),
            kind,
            user_id: self.user_id,
            team: self.team,
            org_code: self.org_code,
            valid_from: window.0,
            valid_to: window.1,
            cancelled,
        })
    }
}

#[derive(Debug, Default)]
pub(super) struct Problems {
    issues: Vec<Issue>,
    first_reason: Option<&'static str>,
}

impl Problems {
    pub(super) fn add(&mut self, reason_code: &'static str, issue: Issue) {
        self.first_reason.get_or_insert(reason_code);
        self.issues.push(issue);
    }

    pub(super) fn into_result<T>(self, value: T) -> Result<T, MappingError> {
        match self.first_reason {
            None => Ok(value),
            Some(reason_code) => Err(MappingError {
                issues: self.issues,
                reason_code,
            }),
        }
    }
}
