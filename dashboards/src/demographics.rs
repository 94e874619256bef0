//! The demographic-match evidence of a case: does the patient share the user's surname, home
//! address or postcode (unit, or sector)? Shown on the case page beside what the rules
//! concluded, so a privacy officer sees the facts, not only the verdict. Comparison ignores
//! case, spacing and punctuation, as the directories write the same address differently.

use serde::Serialize;

/// The facts compared for one patient.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct DemographicMatch {
    pub patient_id: String,
    pub patient_family_name: String,
    pub patient_address: String,
    pub patient_postcode: String,
    pub user_family_name: String,
    pub user_address: String,
    pub user_postcode: String,
    pub same_surname: bool,
    pub same_address: bool,
    pub same_postcode: bool,
    /// The same postcode sector (e.g. `SW1A 1`): neighbours.
    pub same_postcode_sector: bool,
    /// The patient is the user (the staff record names this patient).
    pub is_self: bool,
}

fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// The sector of a UK postcode: the outward code and the first digit of the inward code.
fn postcode_sector(postcode: &str) -> Option<String> {
    let compact = normalise(postcode);
    if compact.len() < 5 {
        return None;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    Some(format!("{outward} {}", &inward[..1]))
}

pub struct Person<'a> {
    pub id: &'a str,
    pub family_name: &'a str,
    pub address: &'a str,
    pub postcode: &'a str,
}

/// Compares a patient with the user (`user_patient_id`: the patient record of the user, if
/// the staff directory names one).
pub fn compare(patient: &Person<'_>, user: &Person<'_>, user_patient_id: &str) -> DemographicMatch {
    let same = |a: &str, b: &str| !normalise(a).is_empty() && normalise(a) == normalise(b);
    let sector_patient = postcode_sector(patient.postcode);
    DemographicMatch {
        patient_id: patient.id.to_owned(),
        patient_family_name: patient.family_name.to_owned(),
        patient_address: patient.address.to_owned(),
        patient_postcode: patient.postcode.to_owned(),
        user_family_name: user.family_name.to_owned(),
        user_address: user.address.to_owned(),
        user_postcode: user.postcode.to_owned(),
        same_surname: same(patient.family_name, user.family_name),
        same_address: same(patient.address, user.address),
        same_postcode: same(patient.postcode, user.postcode),
        same_postcode_sector: sector_patient.is_some()
            && sector_patient == postcode_sector(user.postcode),
        is_self: !user_patient_id.is_empty() && user_patient_id == patient.id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person<'a>(family_name: &'a str, address: &'a str, postcode: &'a str) -> Person<'a> {
        Person {
            id: "p",
            family_name,
            address,
            postcode,
        }
    }

    #[test]
    fn matches_ignore_case_spacing_and_punctuation() {
        let cases = [
            (
                person("Smith", "1 High St.", "SW1A 1AA"),
                person("SMITH", "1 high st", "sw1a1aa"),
                (true, true, true, true),
            ),
            (
                person("Smith", "1 High St", "SW1A 1AA"),
                person("Jones", "2 Low Rd", "SW1A 1BB"),
                (false, false, false, true),
            ),
            (
                person("Smith", "", "E1 6AN"),
                person("Smith", "", "E2 6AN"),
                (true, false, false, false),
            ),
            (
                person("", "", ""),
                person("", "", ""),
                (false, false, false, false),
            ),
        ];
        for (patient, user, (surname, address, postcode, sector)) in cases {
            let found = compare(&patient, &user, "");
            assert_eq!(
                (
                    found.same_surname,
                    found.same_address,
                    found.same_postcode,
                    found.same_postcode_sector
                ),
                (surname, address, postcode, sector),
                "{} / {}",
                patient.postcode,
                user.postcode
            );
        }
        assert_eq!(postcode_sector("ec1a 1bb").as_deref(), Some("EC1A 1"));
        assert!(compare(&person("a", "b", "c"), &person("a", "b", "c"), "p").is_self);
    }
}
