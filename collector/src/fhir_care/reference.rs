//! The literal forms of `Reference.reference` (`Type/id`, absolute URLs, `urn:uuid:`,
//! conditional references, `#contained`), parsed without looking anything up.

/// The literal forms of `Reference.reference`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Literal {
    /// `#id`: a contained resource.
    Contained(String),
    /// `Type/id`, relative or at the end of an absolute URL (`url`, without `_history`).
    Instance {
        resource_type: String,
        id: String,
        url: Option<String>,
    },
    /// `Type?identifier=system|value` (the identifier, when that is the search).
    Conditional {
        resource_type: String,
        identifier: Option<(Option<String>, String)>,
        raw: String,
    },
    /// A `urn:uuid:`/`urn:oid:` fullUrl, or any other URL: known only if registered.
    Url(String),
}

impl Literal {
    pub(super) fn parse(raw: &str) -> Self {
        let raw = raw.trim();
        if let Some(id) = raw.strip_prefix('#') {
            return Self::Contained(id.to_owned());
        }
        if let Some((resource_type, query)) = raw.split_once('?') {
            if is_type_name(resource_type) {
                let identifier = query.split('&').find_map(|parameter| {
                    let value = percent_decode(parameter.strip_prefix("identifier=")?);
                    Some(match value.split_once('|') {
                        Some((system, value)) => (
                            (!system.is_empty()).then(|| system.to_owned()),
                            value.to_owned(),
                        ),
                        None => (None, value),
                    })
                });
                return Self::Conditional {
                    resource_type: resource_type.to_owned(),
                    identifier: identifier.filter(|(_, value)| !value.is_empty()),
                    raw: raw.to_owned(),
                };
            }
            return Self::Url(raw.to_owned());
        }
        if raw.starts_with("urn:") {
            return Self::Url(raw.to_owned());
        }
        let without_history = raw.split("/_history/").next().unwrap_or(raw);
        let absolute = without_history.contains("://");
        let mut segments = without_history.rsplit('/');
        let (Some(id), Some(resource_type)) = (segments.next(), segments.next()) else {
            return Self::Url(raw.to_owned());
        };
        let relative_shape = segments.next().is_none();
        if is_type_name(resource_type) && is_fhir_id(id) && (absolute || relative_shape) {
            return Self::Instance {
                resource_type: resource_type.to_owned(),
                id: id.to_owned(),
                url: absolute.then(|| without_history.to_owned()),
            };
        }
        Self::Url(raw.to_owned())
    }

    pub(super) fn resource_type(&self) -> Option<&str> {
        match self {
            Self::Instance { resource_type, .. } | Self::Conditional { resource_type, .. } => {
                Some(resource_type)
            }
            Self::Contained(_) | Self::Url(_) => None,
        }
    }

    pub(super) fn raw(&self) -> &str {
        match self {
            Self::Contained(id) => id,
            Self::Instance { id, .. } => id,
            Self::Conditional { raw, .. } | Self::Url(raw) => raw,
        }
    }
}

pub(super) fn is_type_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// FHIR ids: up to 64 of `A-Z a-z 0-9 - .`.
fn is_fhir_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// Decodes `%XX` escapes (a conditional reference is a URL query); bad escapes stay as written.
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                index += 3;
            }
            None => {
                out.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
