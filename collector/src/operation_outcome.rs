//! FHIR `OperationOutcome`: how every FHIR endpoint of the collector reports a problem, one issue
//! per problem, each with the FHIR issue type and the path of the offending element.

use serde::Serialize;

/// The FHIR `IssueType` codes the collector uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueCode {
    Invalid,
    Structure,
    Required,
    Value,
    TooLong,
    NotSupported,
    Transient,
    Exception,
    Informational,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub severity: &'static str,
    pub code: IssueCode,
    pub diagnostics: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
}

impl Issue {
    pub fn error(code: IssueCode, expression: &str, diagnostics: impl Into<String>) -> Self {
        Self {
            severity: "error",
            code,
            diagnostics: diagnostics.into(),
            expression: if expression.is_empty() {
                Vec::new()
            } else {
                vec![expression.to_owned()]
            },
        }
    }

    pub fn information(diagnostics: impl Into<String>) -> Self {
        Self {
            severity: "information",
            code: IssueCode::Informational,
            diagnostics: diagnostics.into(),
            expression: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcome {
    resource_type: &'static str,
    pub issue: Vec<Issue>,
}

impl OperationOutcome {
    pub fn new(issue: Vec<Issue>) -> Self {
        Self {
            resource_type: "OperationOutcome",
            issue,
        }
    }
}
