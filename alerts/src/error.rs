//! The one error type of the alerts library functions that act for a person (workflow, breach
//! log, directory management). Each variant says what the caller can do about it; the
//! dashboards map them to HTTP statuses in one place.

/// Why an action on a case, the breach log or the directory was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum AlertsError {
    /// The thing does not exist, or is outside the actor's organisations (indistinguishable on
    /// purpose, so that nobody learns which cases other organisations have).
    #[error("{what} not found")]
    NotFound { what: String },
    /// The actor may see it but not do this (e.g. an auditor, or an officer of the second
    /// organisation of a joint case trying to merge it).
    #[error("{0}")]
    Forbidden(String),
    /// Optimistic concurrency: someone changed the case since the actor read it.
    #[error(
        "case {reference} was changed by someone else since you read it \
         (you read version {read}, it is now version {current}); reload it and try again"
    )]
    Conflict {
        reference: String,
        read: i32,
        current: i32,
    },
    /// The case was merged into `target`, where its findings now are: it is worked there.
    #[error("case {reference} was merged into case {target}; work case {target} instead")]
    MergedInto { reference: String, target: String },
    /// The request contradicts the workflow or the data (a transition that is not allowed, a
    /// closure without a disposition, a malformed address).
    #[error("{0}")]
    Invalid(String),
    #[error("postgres: {0}")]
    Database(#[from] sqlx::Error),
}

impl AlertsError {
    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    /// A write that named an organisation careaudit does not know (a foreign-key violation)
    /// becomes a clear error; other outcomes pass through.
    pub(crate) fn unknown_organisation<T>(
        result: Result<T, sqlx::Error>,
        org_code: &str,
    ) -> Result<T, Self> {
        match result {
            Err(sqlx::Error::Database(error)) if error.is_foreign_key_violation() => {
                Err(Self::invalid(format!(
                    "no organisation {org_code:?} is registered in careaudit"
                )))
            }
            other => other.map_err(Self::from),
        }
    }

    /// The case a merged case now lives in, for a conflict (the API puts it in the body).
    pub fn merged_into(&self) -> Option<&str> {
        match self {
            Self::MergedInto { target, .. } => Some(target),
            _ => None,
        }
    }

    /// The version the case is at now, for a conflict (the API puts it in the body).
    pub fn current_version(&self) -> Option<i32> {
        match self {
            Self::Conflict { current, .. } => Some(*current),
            _ => None,
        }
    }
}
