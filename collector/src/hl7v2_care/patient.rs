//! PID (with PD1 and PV1) to a [`PatientRecord`], and A40's PID + MRG pairs to merges.
//!
//! Identifiers are PID-3's repetitions, then PID-2's and PID-4's (older senders put the
//! external or NHS number there), each a CX `id^check digit^scheme^authority^type`. The
//! identifier system is the assigning authority (CX-4) as the ATNA mapper reads it: its
//! universal id (`urn:oid:` for ISO OIDs) when given, else its namespace id; empty when there
//! is no authority.
//!
//! An identifier is the NHS number when it passes the modulus 11 check (spaces and hyphens
//! removed) and either
//! - is marked as one: type code `NH`, assigning authority `NHS` or the NHS number OID
//!   (2.16.840.1.113883.2.1.4.1, as namespace or universal id); or
//! - is unmarked (no authority and no type code), in PID-2 or PID-3, and exactly ten digits:
//!   older English feeds send the bare NHS number in PID-2. A ten-digit local number
//!   passes the check by chance about one time in eleven, which is why an identifier with an
//!   authority of its own is never taken for one.
//!
//! A number marked as NHS that fails the check is kept as an ordinary identifier: keying a
//! patient by a wrong NHS number would join them to somebody else.
//!
//! `patient_id`, careaudit's key for the patient, is the NHS number when there is one, else
//! the first identifier as `system|id` (or the bare id when it has no system).
//!
//! Beyond identifiers: the name is PID-5's first repetition (HL7 puts the legal name first;
//! family name is the surname of XPN-1, given names XPN-2 and XPN-3), the birth date PID-7,
//! the death date PID-29 unless PID-30 says `N`, the address the first non-empty repetition of
//! PID-11 (street, other designation, city and state joined by commas; the postcode XAD-5),
//! the GP practice PD1-3 (XON-10, else XON-3: where English feeds put the ODS code), `vip` the
//! PV1-16 VIP indicator when it says `Y`, `YES` or `VIP...` (table 0099 is site-defined, and
//! the Cerner-style sample sends ` U`, so only a clear yes counts), `confidential` PD1-12
//! (protection indicator) `Y`. A death indicator without a date cannot be represented.

use super::{missing_pid, value};
use crate::hl7v2::{parse_hl7_date, Field, Hl7Error, Hl7Message, Segment};
use crate::NHS_NUMBER_OID;
use domain::{is_valid_nhs_number, CareFact, PatientRecord, NHS_NUMBER_SYSTEM};

/// One patient identifier as read from a CX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Identifier {
    pub system: String,
    pub value: String,
    pub is_nhs_number: bool,
}

impl Identifier {
    /// How the identifier appears as careaudit's patient key.
    fn key(&self) -> String {
        if self.is_nhs_number || self.system.is_empty() {
            return self.value.clone();
        }
        format!("{}|{}", self.system, self.value)
    }
}

/// The patient a PID describes. `pd1` and `pv1` are the segments of the same patient.
pub(super) fn patient_record(
    pid: Segment<'_>,
    pd1: Option<Segment<'_>>,
    pv1: Option<Segment<'_>>,
) -> Result<PatientRecord, Hl7Error> {
    let mut all = identifiers(pid.field(3), true);
    for (field, unmarked_nhs) in [(pid.field(2), true), (pid.field(4), false)] {
        for identifier in identifiers(field, unmarked_nhs) {
            if !all.contains(&identifier) {
                all.push(identifier);
            }
        }
    }
    let patient_id = patient_key(&all).ok_or_else(|| {
        Hl7Error::new(
            "missing_patient",
            "PID has no patient identifier (PID-3, PID-2 or PID-4)",
        )
    })?;
    let nhs_number = all
        .iter()
        .find(|identifier| identifier.is_nhs_number)
        .map(|identifier| identifier.value.clone())
        .unwrap_or_default();

    let name = pid.field(5);
    let given_names: Vec<String> = [name.component(2), name.component(3)]
        .into_iter()
        .map(value)
        .filter(|part| !part.is_empty())
        .collect();
    let death_indicator = value(pid.field(30));
    let death_date = match death_indicator.eq_ignore_ascii_case("N") {
        true => None,
        false => parse_hl7_date(&value(pid.field(29).component(1))),
    };
    let (address_line, postcode) = address(pid.field(11));
    let gp_practice = pd1.map_or_else(String::new, |pd1| {
        let practice = pd1.field(3);
        let identifier = value(practice.component(10).subcomponent(1));
        match identifier.is_empty() {
            true => value(practice.component(3)),
            false => identifier,
        }
    });
    let vip = pv1.is_some_and(|pv1| {
        let indicator = value(pv1.field(16).component(1)).to_ascii_uppercase();
        matches!(indicator.as_str(), "Y" | "YES") || indicator.starts_with("VIP")
    });
    let confidential = pd1.is_some_and(|pd1| value(pd1.field(12)).eq_ignore_ascii_case("Y"));

    Ok(PatientRecord {
        patient_id,
        nhs_number,
        identifiers: all
            .into_iter()
            .map(|identifier| (identifier.system, identifier.value))
            .collect(),
        family_name: value(name.component(1).subcomponent(1)),
        given_names: given_names.join(" "),
        birth_date: parse_hl7_date(&value(pid.field(7).component(1))),
        death_date,
        address_line,
        postcode,
        gp_practice,
        vip,
        confidential,
        sharing_objection: false,
    })
}

/// The identifiers of a CX field (every repetition with an id).
pub(super) fn identifiers(field: Field<'_>, unmarked_nhs_allowed: bool) -> Vec<Identifier> {
    let mut found: Vec<Identifier> = Vec::new();
    for cx in field.repetitions() {
        if let Some(identifier) = identifier(cx, unmarked_nhs_allowed) {
            if !found.contains(&identifier) {
                found.push(identifier);
            }
        }
    }
    found
}

fn identifier(cx: Field<'_>, unmarked_nhs_allowed: bool) -> Option<Identifier> {
    let id = value(cx.component(1));
    if id.is_empty() {
        return None;
    }
    let authority = cx.component(4);
    let namespace = value(authority.subcomponent(1));
    let universal_id = value(authority.subcomponent(2));
    let universal_id_type = value(authority.subcomponent(3));
    let type_code = value(cx.component(5));

    let marked_nhs = type_code.eq_ignore_ascii_case("NH")
        || namespace.eq_ignore_ascii_case("NHS")
        || namespace == NHS_NUMBER_OID
        || universal_id == NHS_NUMBER_OID;
    let unmarked = namespace.is_empty() && universal_id.is_empty() && type_code.is_empty();
    let nhs_number = if marked_nhs {
        let digits: String = id
            .chars()
            .filter(|character| !character.is_whitespace() && *character != '-')
            .collect();
        Some(digits).filter(|digits| is_valid_nhs_number(digits))
    } else if unmarked && unmarked_nhs_allowed && is_valid_nhs_number(&id) {
        Some(id.clone())
    } else {
        None
    };
    if let Some(nhs_number) = nhs_number {
        return Some(Identifier {
            system: NHS_NUMBER_SYSTEM.to_owned(),
            value: nhs_number,
            is_nhs_number: true,
        });
    }
    let system = if universal_id.is_empty() {
        namespace
    } else if universal_id_type.eq_ignore_ascii_case("ISO") {
        format!("urn:oid:{universal_id}")
    } else {
        universal_id
    };
    Some(Identifier {
        system,
        value: id,
        is_nhs_number: false,
    })
}

/// The NHS number, else the first identifier.
pub(super) fn patient_key(identifiers: &[Identifier]) -> Option<String> {
    identifiers
        .iter()
        .find(|identifier| identifier.is_nhs_number)
        .or_else(|| identifiers.first())
        .map(Identifier::key)
}

/// The first repetition of an XAD with any content: the address line and the postcode.
fn address(field: Field<'_>) -> (String, String) {
    for xad in field.repetitions() {
        // SAD (street address) is `street or mailing address&street name&dwelling number`.
        let street: Vec<String> = (1..=3)
            .map(|index| value(xad.component(1).subcomponent(index)))
            .filter(|part| !part.is_empty())
            .collect();
        let line: Vec<String> = std::iter::once(street.join(" "))
            .chain((2..=4).map(|index| value(xad.component(index))))
            .filter(|part| !part.is_empty())
            .collect();
        let postcode = value(xad.component(5));
        if !line.is_empty() || !postcode.is_empty() {
            return (line.join(", "), postcode);
        }
    }
    (String::new(), String::new())
}

/// A40: each MRG merges the patient it names (MRG-1, keyed like PID) into the patient of the
/// PID before it. A merge of a patient into itself (the same key) says nothing and is left
/// out.
pub(super) fn merge_facts(message: &Hl7Message) -> Result<Vec<CareFact>, Hl7Error> {
    let segments: Vec<Segment<'_>> = message.segments().collect();
    let mut facts: Vec<CareFact> = Vec::new();
    let mut merges: Vec<CareFact> = Vec::new();
    let mut surviving: Option<String> = None;
    let mut has_mrg = false;
    for (position, segment) in segments.iter().enumerate() {
        match segment.id() {
            "PID" => {
                let pd1 = segments
                    .get(position + 1)
                    .filter(|next| next.id() == "PD1")
                    .copied();
                let patient = patient_record(*segment, pd1, None)?;
                surviving = Some(patient.patient_id.clone());
                facts.push(CareFact::Patient(patient));
            }
            "MRG" => {
                has_mrg = true;
                let surviving = surviving.clone().ok_or_else(missing_pid)?;
                let merged =
                    patient_key(&identifiers(segment.field(1), true)).ok_or_else(|| {
                        Hl7Error::new(
                            "missing_merged_patient",
                            "MRG-1 (prior patient identifier list) has no identifier",
                        )
                    })?;
                if merged != surviving {
                    merges.push(CareFact::PatientMerge { surviving, merged });
                }
            }
            _ => {}
        }
    }
    if facts.is_empty() {
        return Err(missing_pid());
    }
    if !has_mrg {
        return Err(Hl7Error::new(
            "missing_merged_patient",
            "the merge has no MRG segment naming the merged patient",
        ));
    }
    facts.extend(merges);
    Ok(facts)
}

#[cfg(test)]
#[path = "patient_tests.rs"]
mod tests;
