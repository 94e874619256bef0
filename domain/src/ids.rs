//! Identifier newtypes. Each one can only be built from a value that passed its checks, so code
//! that holds an `OrgCode` never has to ask whether it is empty or absurdly long.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a raw string could not become an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} is empty")]
    Empty { kind: &'static str },
    #[error("{kind} is longer than {max} characters")]
    TooLong { kind: &'static str, max: usize },
    #[error("{kind} contains control characters")]
    ControlCharacters { kind: &'static str },
}

fn checked(kind: &'static str, raw: &str, max: usize) -> Result<String, IdError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if trimmed.chars().count() > max {
        return Err(IdError::TooLong { kind, max });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(IdError::ControlCharacters { kind });
    }
    Ok(trimmed.to_owned())
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                checked($kind, raw, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(raw: String) -> Result<Self, IdError> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

identifier!(
    /// The id of one audit event as its sender assigned it (or as the collector derived it from
    /// the payload when the sender gave none). Retries of the same event carry the same id, which
    /// is what makes ingest idempotent.
    EventId, "event id", 256
);
identifier!(
    /// A patient identifier value: an NHS number where the sender gave one, otherwise a local
    /// identifier. The identifier system is kept beside it in [`crate::AccessEvent`].
    PatientId, "patient id", 128
);
identifier!(
    /// A user identifier: the SDS user id for NHS staff, otherwise the sender's local user id.
    UserId, "user id", 128
);
identifier!(
    /// An organisation code: the ODS code for NHS organisations.
    OrgCode, "organisation code", 32
);
identifier!(
    /// A role code, e.g. a national RBAC role code such as `R8000`.
    RoleCode, "role code", 64
);

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: Result<&str, IdError>) {
        let parsed = UserId::parse(raw);
        assert_eq!(
            parsed.as_ref().map(UserId::as_str),
            expected.as_ref().map(|s| *s)
        );
    }

    #[test]
    fn identifiers_are_trimmed_and_checked() {
        check(" 123456789012 ", Ok("123456789012"));
        check("   ", Err(IdError::Empty { kind: "user id" }));
        check(
            "a\u{0}b",
            Err(IdError::ControlCharacters { kind: "user id" }),
        );
        check(
            &"x".repeat(129),
            Err(IdError::TooLong {
                kind: "user id",
                max: 128,
            }),
        );
    }

    #[test]
    fn identifiers_deserialize_through_their_checks() {
        let ok: Result<OrgCode, _> = serde_json_like("RRV");
        assert_eq!(ok.map(|code| code.to_string()), Ok("RRV".to_owned()));
        let empty: Result<OrgCode, _> = serde_json_like("");
        assert!(empty.is_err());
    }

    fn serde_json_like(raw: &str) -> Result<OrgCode, IdError> {
        OrgCode::try_from(raw.to_owned())
    }
}
