//! FHIR `Bundle` of type `batch` or `transaction` carrying AuditEvents (`POST /fhir`): the wire
//! types, and the `batch-response` / `transaction-response` bundles careaudit answers with.
//! Each entry's resource is kept as the exact bytes the sender wrote, for the evidence store.

use crate::operation_outcome::{Issue, IssueCode, OperationOutcome};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireBundle<'a> {
    pub resource_type: Option<String>,
    #[serde(rename = "type")]
    pub bundle_type: Option<String>,
    #[serde(default, borrow)]
    pub entry: Vec<WireEntry<'a>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireEntry<'a> {
    #[serde(borrow)]
    pub resource: Option<&'a RawValue>,
    pub request: Option<WireRequest>,
}

#[derive(Debug, Deserialize)]
pub struct WireRequest {
    pub method: Option<String>,
    pub url: Option<String>,
}

/// Whether a bundle's entries succeed or fail together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleKind {
    Batch,
    Transaction,
}

impl BundleKind {
    pub fn parse(bundle: &WireBundle<'_>) -> Result<Self, Issue> {
        if bundle.resource_type.as_deref() != Some("Bundle") {
            return Err(Issue::error(
                IssueCode::NotSupported,
                "resourceType",
                format!(
                    "POST /fhir expects a Bundle, got {}",
                    bundle.resource_type.as_deref().unwrap_or("no resourceType")
                ),
            ));
        }
        match bundle.bundle_type.as_deref() {
            Some("batch") => Ok(Self::Batch),
            Some("transaction") => Ok(Self::Transaction),
            other => Err(Issue::error(
                IssueCode::NotSupported,
                "Bundle.type",
                format!(
                    "Bundle.type must be batch or transaction, got {}",
                    other.unwrap_or("nothing")
                ),
            )),
        }
    }

    fn response_type(self) -> &'static str {
        match self {
            Self::Batch => "batch-response",
            Self::Transaction => "transaction-response",
        }
    }
}

/// Checks an entry's request: a POST of an AuditEvent (the only resource this endpoint stores).
pub fn check_entry_request(index: usize, entry: &WireEntry<'_>) -> Result<(), Issue> {
    let expression = format!("Bundle.entry[{index}].request");
    let Some(request) = &entry.request else {
        return Ok(()); // a batch entry without request is read as a create of its resource
    };
    if request
        .method
        .as_deref()
        .is_some_and(|method| !method.eq_ignore_ascii_case("POST"))
    {
        return Err(Issue::error(
            IssueCode::NotSupported,
            &expression,
            format!(
                "only POST is supported in bundles, got {}",
                request.method.as_deref().unwrap_or_default()
            ),
        ));
    }
    let url = request.url.as_deref().unwrap_or("AuditEvent");
    let resource_type = url.split(['?', '/']).next().unwrap_or_default();
    if resource_type != "AuditEvent" {
        return Err(Issue::error(
            IssueCode::NotSupported,
            &expression,
            format!("entry posts to {url}; this endpoint stores AuditEvent resources only"),
        ));
    }
    Ok(())
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseBundle {
    resource_type: &'static str,
    #[serde(rename = "type")]
    bundle_type: &'static str,
    entry: Vec<ResponseEntry>,
}

#[derive(Debug, Serialize)]
pub struct ResponseEntry {
    response: EntryResponse,
}

#[derive(Debug, Serialize)]
struct EntryResponse {
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<OperationOutcome>,
}

impl ResponseEntry {
    pub fn created(event_id: &str) -> Self {
        Self {
            response: EntryResponse {
                status: "201 Created".to_owned(),
                location: Some(format!("AuditEvent/{event_id}")),
                outcome: None,
            },
        }
    }

    /// A care-context entry whose facts are stored (they are statements, not resources kept).
    pub fn stored() -> Self {
        Self {
            response: EntryResponse {
                status: "200 OK".to_owned(),
                location: None,
                outcome: None,
            },
        }
    }

    /// An entry of a resource type that carries no care context: acknowledged, not stored.
    pub fn ignored() -> Self {
        Self {
            response: EntryResponse {
                status: "200 OK".to_owned(),
                location: None,
                outcome: Some(OperationOutcome::new(vec![Issue::information(
                    "not stored: this resource type carries no care context",
                )])),
            },
        }
    }

    pub fn failed(status: &str, issues: Vec<Issue>) -> Self {
        Self {
            response: EntryResponse {
                status: status.to_owned(),
                location: None,
                outcome: Some(OperationOutcome::new(issues)),
            },
        }
    }
}

impl ResponseBundle {
    pub fn new(kind: BundleKind, entry: Vec<ResponseEntry>) -> Self {
        Self {
            resource_type: "Bundle",
            bundle_type: kind.response_type(),
            entry,
        }
    }
}

/// Prefixes every issue's expression with the entry it belongs to.
pub fn issues_for_entry(index: usize, issues: Vec<Issue>) -> Vec<Issue> {
    issues
        .into_iter()
        .map(|mut issue| {
            let prefix = format!("Bundle.entry[{index}].resource");
            issue.expression = if issue.expression.is_empty() {
                vec![prefix]
            } else {
                issue
                    .expression
                    .iter()
                    .map(|path| {
                        format!(
                            "{prefix}{}",
                            path.strip_prefix("AuditEvent")
                                .unwrap_or(&format!(".{path}"))
                        )
                    })
                    .collect()
            };
            issue
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_issues_point_into_the_bundle() {
        let issues = vec![
            Issue::error(IssueCode::Required, "AuditEvent.entity", "x"),
            Issue::error(IssueCode::Structure, "", "y"),
            Issue::error(IssueCode::NotSupported, "resourceType", "z"),
        ];
        let paths: Vec<String> = issues_for_entry(3, issues)
            .into_iter()
            .flat_map(|issue| issue.expression)
            .collect();
        assert_eq!(
            paths,
            [
                "Bundle.entry[3].resource.entity",
                "Bundle.entry[3].resource",
                "Bundle.entry[3].resource.resourceType"
            ]
        );
    }

    #[test]
    fn entry_requests_must_post_audit_events() {
        let check = |method: &str, url: &str| {
            let entry = WireEntry {
                resource: None,
                request: Some(WireRequest {
                    method: Some(method.to_owned()),
                    url: Some(url.to_owned()),
                }),
            };
            check_entry_request(0, &entry).is_ok()
        };
        assert!(check("POST", "AuditEvent"));
        assert!(check("post", "AuditEvent?_format=json"));
        assert!(!check("PUT", "AuditEvent/1"));
        assert!(!check("POST", "Patient"));
    }
}
