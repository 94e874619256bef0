//! careaudit's keys for the people and organisations FHIR resources name: one rule per kind,
//! used both when a resource is mapped and when a reference to it is resolved, so that the
//! two always agree.

use super::wire::Identifier;
use domain::{is_valid_nhs_number, NHS_NUMBER_SYSTEM};

pub(super) const ODS_CODE_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
pub(super) const SDS_USER_ID_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-user-id";
const SDS_ROLE_PROFILE_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-role-profile-id";

/// A patient's key and NHS number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PatientKey {
    pub patient_id: String,
    pub nhs_number: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PatientKeyError {
    /// An NHS number that fails the modulus 11 check: binding facts to it would bind them to
    /// the wrong person or to nobody.
    InvalidNhsNumber { index: usize, value: String },
    /// No identifier and no id.
    Missing,
}

/// The NHS number when present (it must be valid), else `system|value` of the first
/// identifier with a value (the bare value when it has no system), else `Patient/<id>`.
pub(super) fn patient_key(
    identifiers: &[Identifier],
    own_reference: Option<&str>,
) -> Result<PatientKey, PatientKeyError> {
    if let Some((index, identifier)) = identifiers.iter().enumerate().find(|(_, identifier)| {
        identifier.has_system(NHS_NUMBER_SYSTEM) && identifier.pair().is_some()
    }) {
        let value = normalise_nhs_number(identifier.value.as_deref().unwrap_or_default());
        if !is_valid_nhs_number(&value) {
            return Err(PatientKeyError::InvalidNhsNumber { index, value });
        }
        return Ok(PatientKey {
            patient_id: value.clone(),
            nhs_number: value,
        });
    }
    let patient_id = identifiers
        .iter()
        .find_map(Identifier::pair)
        .map(|(system, value)| system_value(&system, &value))
        .or_else(|| own_reference.map(str::to_owned))
        .ok_or(PatientKeyError::Missing)?;
    Ok(PatientKey {
        patient_id,
        nhs_number: String::new(),
    })
}

/// The key of a patient named by one identifier (a logical or conditional reference), by the
/// same rule as [`patient_key`]; an NHS number that fails its check is kept as written, since
/// it is the sender's only statement of who the patient is.
pub(super) fn patient_key_of_identifier(system: &str, value: &str) -> String {
    if system == NHS_NUMBER_SYSTEM {
        normalise_nhs_number(value)
    } else {
        system_value(system, value)
    }
}

/// The SDS user id when present, else the first identifier's value, else `Practitioner/<id>`.
pub(super) fn user_key(identifiers: &[Identifier], own_reference: Option<&str>) -> Option<String> {
    identifiers
        .iter()
        .filter(|identifier| identifier.has_system(SDS_USER_ID_SYSTEM))
        .chain(identifiers)
        .find_map(Identifier::pair)
        .map(|(_, value)| value)
        .or_else(|| own_reference.map(str::to_owned))
}

/// The ODS code when present (and whether the key is one), else `Organization/<id>`.
pub(super) fn org_key(
    identifiers: &[Identifier],
    own_reference: Option<&str>,
) -> Option<(String, bool)> {
    identifiers
        .iter()
        .filter(|identifier| identifier.has_system(ODS_CODE_SYSTEM))
        .find_map(Identifier::pair)
        .map(|(_, value)| (value, true))
        .or_else(|| own_reference.map(|own| (own.to_owned(), false)))
}

/// A related person: the first identifier's value, else `RelatedPerson/<id>`.
pub(super) fn related_person_key(
    identifiers: &[Identifier],
    own_reference: Option<&str>,
) -> Option<String> {
    identifiers
        .iter()
        .find_map(Identifier::pair)
        .map(|(_, value)| value)
        .or_else(|| own_reference.map(str::to_owned))
}

/// The resource type an identifier system implies, for logical references without a type.
pub(super) fn type_of_system(system: &str) -> Option<&'static str> {
    match system {
        NHS_NUMBER_SYSTEM => Some("Patient"),
        SDS_USER_ID_SYSTEM => Some("Practitioner"),
        SDS_ROLE_PROFILE_SYSTEM => Some("PractitionerRole"),
        ODS_CODE_SYSTEM => Some("Organization"),
        _ => None,
    }
}

fn system_value(system: &str, value: &str) -> String {
    if system.is_empty() {
        value.to_owned()
    } else {
        format!("{system}|{value}")
    }
}

/// NHS numbers are often written in groups (`943 476 5919`).
fn normalise_nhs_number(value: &str) -> String {
    value.chars().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(pairs: &[(&str, &str)]) -> Vec<Identifier> {
        pairs
            .iter()
            .map(|(system, value)| Identifier {
                system: (!system.is_empty()).then(|| (*system).to_owned()),
                value: (!value.is_empty()).then(|| (*value).to_owned()),
            })
            .collect()
    }

    #[test]
    fn patient_keys_prefer_the_nhs_number() {
        type Case<'a> = (
            &'a [(&'a str, &'a str)],
            Option<&'a str>,
            Result<&'a str, PatientKeyError>,
        );
        let cases: [Case<'_>; 6] = [
            (
                &[
                    ("urn:oid:1.2.3", "H123"),
                    (NHS_NUMBER_SYSTEM, "943 476 5919"),
                ],
                Some("Patient/p"),
                Ok("9434765919"),
            ),
            (
                &[("urn:oid:1.2.3", ""), ("urn:oid:1.2.3", "H123")],
                Some("Patient/p"),
                Ok("urn:oid:1.2.3|H123"),
            ),
            (&[("", "AB60001")], None, Ok("AB60001")),
            (&[], Some("Patient/p"), Ok("Patient/p")),
            (&[], None, Err(PatientKeyError::Missing)),
            (
                &[(NHS_NUMBER_SYSTEM, "9434765918")],
                Some("Patient/p"),
                Err(PatientKeyError::InvalidNhsNumber {
                    index: 0,
                    value: "9434765918".to_owned(),
                }),
            ),
        ];
        for (identifiers, own, expected) in cases {
            let key = patient_key(&ids(identifiers), own);
            assert_eq!(
                key.as_ref().map(|key| key.patient_id.as_str()),
                expected.as_ref().map(|id| *id),
                "{identifiers:?}"
            );
        }
    }

    #[test]
    fn user_org_and_related_person_keys() {
        let practitioner = ids(&[
            ("http://hl7.org/fhir/sid/us-npi", "9999"),
            (SDS_USER_ID_SYSTEM, "555021935107"),
        ]);
        assert_eq!(
            user_key(&practitioner, Some("Practitioner/x")).as_deref(),
            Some("555021935107")
        );
        assert_eq!(
            user_key(&practitioner[..1], Some("Practitioner/x")).as_deref(),
            Some("9999")
        );
        assert_eq!(
            user_key(&[], Some("Practitioner/x")).as_deref(),
            Some("Practitioner/x")
        );
        assert_eq!(user_key(&[], None), None);

        let organisation = ids(&[("urn:oid:2.16.528.1", "91654"), (ODS_CODE_SYSTEM, "RRV")]);
        assert_eq!(
            org_key(&organisation, Some("Organization/f001")),
            Some(("RRV".to_owned(), true))
        );
        assert_eq!(
            org_key(&organisation[..1], Some("Organization/f001")),
            Some(("Organization/f001".to_owned(), false))
        );

        assert_eq!(
            related_person_key(
                &ids(&[("urn:oid:1.2.250.1.61", "")]),
                Some("RelatedPerson/f001")
            )
            .as_deref(),
            Some("RelatedPerson/f001")
        );
    }
}
