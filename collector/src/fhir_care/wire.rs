//! The FHIR R4 datatypes the care-context resources share, keeping only the elements careaudit
//! reads, and the small choices made on them (which name, which address, which code).

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Identifier {
    pub system: Option<String>,
    pub value: Option<String>,
}

impl Identifier {
    /// `(system, value)` with both trimmed; `None` without a value.
    pub fn pair(&self) -> Option<(String, String)> {
        let value = self.value.as_deref()?.trim();
        if value.is_empty() {
            return None;
        }
        let system = self.system.as_deref().unwrap_or_default().trim();
        Some((system.to_owned(), value.to_owned()))
    }

    pub fn has_system(&self, system: &str) -> bool {
        self.system.as_deref().map(str::trim) == Some(system)
    }
}

/// A FHIR `Reference`: literal (`reference`), logical (`identifier`), or both.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Reference {
    pub reference: Option<String>,
    #[serde(rename = "type")]
    pub target_type: Option<String>,
    pub identifier: Option<Identifier>,
    pub display: Option<String>,
}

impl Reference {
    pub fn display(&self) -> Option<&str> {
        non_empty(self.display.as_deref())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Coding {
    pub system: Option<String>,
    pub code: Option<String>,
    pub display: Option<String>,
}

impl Coding {
    pub fn is(&self, system: &str, code: &str) -> bool {
        self.system.as_deref() == Some(system) && self.code.as_deref().map(str::trim) == Some(code)
    }

    pub fn code(&self) -> Option<&str> {
        non_empty(self.code.as_deref())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct CodeableConcept {
    #[serde(default)]
    pub coding: Vec<Coding>,
    pub text: Option<String>,
}

impl CodeableConcept {
    /// What a person would read: the text, else the first coding's display, else the code
    /// of the first coding from `preferred_system`, else the first code.
    pub fn label(&self, preferred_system: &str) -> Option<&str> {
        self.words()
            .or_else(|| {
                self.coding
                    .iter()
                    .filter(|coding| coding.system.as_deref() == Some(preferred_system))
                    .find_map(Coding::code)
            })
            .or_else(|| self.coding.iter().find_map(Coding::code))
    }

    /// Words, not codes: the text, else the first coding's display.
    pub fn words(&self) -> Option<&str> {
        non_empty(self.text.as_deref()).or_else(|| {
            self.coding
                .iter()
                .find_map(|coding| non_empty(coding.display.as_deref()))
        })
    }

    pub fn has(&self, system: &str, code: &str) -> bool {
        self.coding.iter().any(|coding| coding.is(system, code))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Period {
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct HumanName {
    #[serde(rename = "use")]
    pub name_use: Option<String>,
    pub text: Option<String>,
    pub family: Option<String>,
    #[serde(default)]
    pub given: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Address {
    #[serde(rename = "use")]
    pub address_use: Option<String>,
    #[serde(default)]
    pub line: Vec<String>,
    pub postal_code: Option<String>,
}

impl Address {
    pub fn line(&self) -> String {
        self.line
            .iter()
            .map(|line| line.trim())
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn postcode(&self) -> String {
        non_empty(self.postal_code.as_deref())
            .unwrap_or_default()
            .to_owned()
    }
}

/// `(family, given names)` of the name a person goes by: the official name, else the usual
/// one, else the first that is not old or a maiden name. A name given only as text is kept
/// whole in the family name rather than guessing how to split it.
pub(super) fn person_name(names: &[HumanName]) -> (String, String) {
    let by_use = |wanted: &str| {
        names
            .iter()
            .find(|name| name.name_use.as_deref() == Some(wanted))
    };
    let chosen = by_use("official")
        .or_else(|| by_use("usual"))
        .or_else(|| {
            names
                .iter()
                .find(|name| !matches!(name.name_use.as_deref(), Some("old" | "maiden")))
        })
        .or_else(|| names.first());
    let Some(name) = chosen else {
        return (String::new(), String::new());
    };
    let family = non_empty(name.family.as_deref()).unwrap_or_default();
    let given = name
        .given
        .iter()
        .map(|given| given.trim())
        .filter(|given| !given.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if family.is_empty() && given.is_empty() {
        let text = non_empty(name.text.as_deref()).unwrap_or_default();
        return (text.to_owned(), String::new());
    }
    (family.to_owned(), given)
}

/// A patient's address: the home address, else the first one not marked old, temporary, work
/// or billing.
pub(super) fn patient_address(addresses: &[Address]) -> Option<&Address> {
    addresses
        .iter()
        .find(|address| address.address_use.as_deref() == Some("home"))
        .or_else(|| {
            addresses.iter().find(|address| {
                !matches!(
                    address.address_use.as_deref(),
                    Some("old" | "temp" | "work" | "billing")
                )
            })
        })
}

/// A member of staff's home address: only an address marked `home`. Practitioner addresses are
/// mostly where the practitioner works (every Synthea practitioner carries its hospital's
/// address without a `use`), and a work address taken for a home address would make every
/// patient living near the hospital look like a neighbour of its staff.
pub(super) fn staff_home_address(addresses: &[Address]) -> Option<&Address> {
    addresses
        .iter()
        .find(|address| address.address_use.as_deref() == Some("home"))
}

pub(super) fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}
