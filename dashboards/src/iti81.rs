//! `GET /fhir/AuditEvent` — IHE ITI-81 (Retrieve ATNA Audit Event) for patient portals: the
//! patient's accesses as a FHIR R4 `Bundle` of type `searchset`, built from the same entries
//! as the subject access report (so the staff-name setting applies: a portal never shows more
//! than the patient's own report would). Search parameters: `patient` (`Patient/<id>` or the
//! id), `patient.identifier` (`system|value` or the value), `date` (repeatable, with the
//! prefixes `ge`, `gt`, `le`, `lt`, `eq` and a date or date-time), `_count` and `_offset`.
//! Any other parameter is refused with an `OperationOutcome`, so a portal never believes a
//! filter was applied when it was not. Every search is recorded in the self-audit.

use crate::roles::Permission;
use crate::self_audit::{self, View};
use crate::subject_access::{report, SubjectAccessEntry};
use crate::trace::Period;
use crate::viewer::Viewer;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

const FHIR_JSON: &str = "application/fhir+json";
const NHS_NUMBER: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const DEFAULT_COUNT: usize = 100;
const MAX_COUNT: usize = 1000;

fn outcome(status: StatusCode, code: &str, text: &str) -> Response {
    let body = json!({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}]
    });
    (
        status,
        [(header::CONTENT_TYPE, FHIR_JSON)],
        body.to_string(),
    )
        .into_response()
}

/// The parsed search.
#[derive(Debug, Default, PartialEq)]
struct Search {
    patient: String,
    from: Option<String>,
    to: Option<String>,
    count: usize,
    offset: usize,
}

fn parse_date(prefixed: &str, search: &mut Search) -> Result<(), String> {
    let (prefix, value) = match prefixed.get(..2) {
        Some(prefix @ ("ge" | "gt" | "le" | "lt" | "eq")) => (prefix, &prefixed[2..]),
        _ => ("eq", prefixed),
    };
    let is_date = value.len() == 10;
    Period::parse(Some(value), None).map_err(|error| error.to_string())?;
    match prefix {
        "ge" | "gt" => search.from = Some(value.to_owned()),
        "le" | "lt" => search.to = Some(value.to_owned()),
        _ if is_date => {
            search.from = Some(value.to_owned());
            search.to = Some(value.to_owned());
        }
        _ => return Err(format!("date=eq needs a date (YYYY-MM-DD), not {value:?}")),
    }
    Ok(())
}

fn parse(query: &str) -> Result<Search, String> {
    let mut search = Search {
        count: DEFAULT_COUNT,
        ..Search::default()
    };
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = value.trim().to_owned();
        match key.as_ref() {
            "patient" => {
                let id = value.strip_prefix("Patient/").unwrap_or(&value);
                search.patient = id.to_owned();
            }
            "patient.identifier" | "entity.identifier" => {
                let id = match value.split_once('|') {
                    Some((system, id)) if system.is_empty() || system == NHS_NUMBER => id,
                    Some((system, id)) => {
                        search.patient = format!("{system}|{id}");
                        continue;
                    }
                    None => &value,
                };
                search.patient = id.to_owned();
            }
            "date" => parse_date(&value, &mut search)?,
            "_count" => {
                search.count = value
                    .parse::<usize>()
                    .map_err(|_| format!("_count {value:?} is not a number"))?
                    .clamp(1, MAX_COUNT)
            }
            "_offset" => {
                search.offset = value
                    .parse()
                    .map_err(|_| format!("_offset {value:?} is not a number"))?
            }
            "_format" if value.contains("json") => {}
            other => return Err(format!("search parameter {other:?} is not supported here")),
        }
    }
    if search.patient.is_empty() {
        return Err("the patient (or patient.identifier) parameter is required".to_owned());
    }
    Ok(search)
}

fn audit_event(patient: &str, entry: &SubjectAccessEntry) -> Value {
    let action = match entry.action.as_str() {
        "Created" => "C",
        "Updated" => "U",
        "Deleted" => "D",
        "Used" => "E",
        _ => "R",
    };
    json!({
        "resourceType": "AuditEvent",
        "id": entry.event_id,
        "meta": {"profile": ["https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead"]},
        "type": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110110", "display": "Patient Record"},
        "action": action,
        "recorded": entry.occurred_at,
        "outcome": "0",
        "agent": [
            {
                "who": {"display": entry.staff},
                "requestor": true,
                "purposeOfUse": [{"text": entry.purpose}]
            },
            {
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleClass", "code": "PROV"}]},
                "who": {"identifier": {"system": ODS, "value": entry.organisation_code}, "display": entry.organisation},
                "requestor": false
            }
        ],
        "source": {"observer": {"display": "careaudit"}},
        "entity": [{
            "what": {"identifier": {"system": NHS_NUMBER, "value": patient}},
            "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient"}
        }]
    })
}

/// IHE ITI-81: the patient's accesses as a FHIR `Bundle` (searchset) of `AuditEvent`s.
#[utoipa::path(get, path = "/fhir/AuditEvent", tag = "fhir",
    params(
        ("patient" = Option<String>, Query, description = "Patient/<id> or the id (NHS number)"),
        ("patient.identifier" = Option<String>, Query, description = "system|value"),
        ("date" = Option<String>, Query, description = "ge/gt/le/lt/eq + date or date-time; repeatable"),
        ("_count" = Option<usize>, Query, description = "page size, at most 1000"),
        ("_offset" = Option<usize>, Query, description = "entries to skip"),
    ),
    responses(
        (status = 200, description = "a searchset Bundle", content_type = "application/fhir+json"),
        (status = 400, description = "an OperationOutcome naming the bad parameter", content_type = "application/fhir+json"),
        (status = 403, description = "the account is not a patient portal", content_type = "application/fhir+json"),
    ))]
pub async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(scope) = viewer.scope_for(Permission::PortalQuery) else {
        return outcome(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this account may not search audit events",
        );
    };
    let search = match parse(query.as_deref().unwrap_or("")) {
        Ok(search) => search,
        Err(problem) => return outcome(StatusCode::BAD_REQUEST, "invalid", &problem),
    };
    let period = match Period::parse(search.from.as_deref(), search.to.as_deref()) {
        Ok(period) => period,
        Err(error) => return outcome(StatusCode::BAD_REQUEST, "invalid", &error.public_message()),
    };
    let built = report(
        &state.pool,
        &state.clickhouse,
        &state.settings.subject_access,
        &search.patient,
        period,
        &scope,
    )
    .await;
    let found = match built {
        Ok(found) => found,
        Err(error) => {
            let status = error.status();
            return outcome(status, "exception", &error.public_message());
        }
    };
    let page: Vec<&SubjectAccessEntry> = found
        .entries
        .iter()
        .skip(search.offset)
        .take(search.count)
        .collect();
    let recorded = self_audit::record(
        &state.pool,
        &viewer,
        View {
            view: "fhir_audit_event_search",
            patient_id: Some(&search.patient),
            detail: json!({"query": query, "total": found.entries.len(), "returned": page.len()}),
            ..View::default()
        },
    )
    .await;
    if let Err(error) = recorded {
        tracing::error!(%error, "recording a portal search in the self-audit failed");
        return outcome(
            StatusCode::INTERNAL_SERVER_ERROR,
            "exception",
            "internal error",
        );
    }
    let base = format!(
        "{}/fhir/AuditEvent",
        state.settings.public_url.trim_end_matches('/')
    );
    let mut links = vec![
        json!({"relation": "self", "url": format!("{base}?{}", query.clone().unwrap_or_default())}),
    ];
    if search.offset + page.len() < found.entries.len() {
        let next = format!(
            "{base}?patient={}&_count={}&_offset={}{}{}",
            urlencoding::encode(&search.patient),
            search.count,
            search.offset + page.len(),
            search
                .from
                .as_ref()
                .map(|from| format!("&date=ge{from}"))
                .unwrap_or_default(),
            search
                .to
                .as_ref()
                .map(|to| format!("&date=le{to}"))
                .unwrap_or_default(),
        );
        links.push(json!({"relation": "next", "url": next}));
    }
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": found.entries.len(),
        "link": links,
        "entry": page.iter().map(|entry| json!({
            "fullUrl": format!("{base}/{}", entry.event_id),
            "resource": audit_event(&search.patient, entry),
            "search": {"mode": "match"}
        })).collect::<Vec<_>>()
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, FHIR_JSON)],
        bundle.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_parse_as_iti81_describes() {
        let parsed =
            parse("patient=Patient/9990001283&date=ge2026-11-01&date=le2026-11-30&_count=5")
                .expect("valid");
        assert_eq!(parsed.patient, "9990001283");
        assert_eq!(
            (parsed.from.as_deref(), parsed.to.as_deref()),
            (Some("2026-11-01"), Some("2026-11-30"))
        );
        assert_eq!(parsed.count, 5);
        let by_identifier =
            parse("patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9990001283")
                .expect("valid");
        assert_eq!(by_identifier.patient, "9990001283");
        let other_system = parse("patient.identifier=urn:oid:1.2|H123").expect("valid");
        assert_eq!(other_system.patient, "urn:oid:1.2|H123");
        let day = parse("patient=1&date=2026-11-05").expect("valid");
        assert_eq!(day.from, day.to);
    }

    #[test]
    fn bad_searches_are_refused_with_a_reason() {
        for (query, problem) in [
            ("", "required"),
            ("date=ge2026-11-01", "required"),
            ("patient=1&date=ge'; DROP TABLE cases; --", "neither a date"),
            ("patient=1&agent=x", "not supported"),
            ("patient=1&_count=lots", "not a number"),
            ("patient=1&date=eq2026-11-05T10:00:00Z", "needs a date"),
        ] {
            let error = parse(query).expect_err(query);
            assert!(error.contains(problem), "{query}: {error}");
        }
    }
}
