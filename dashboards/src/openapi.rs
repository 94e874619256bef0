//! The JSON API's routes and its OpenAPI document (`GET /api/v1/openapi.json`), built with
//! `utoipa` from the handlers' annotations. The routes are registered from one list, which the
//! test below compares with the document, so no route can be added without being documented
//! (routes other modules add to the API should be registered here too).

use crate::{api, iti81, AppState};
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).description(Some("For scripts, over TLS only; counts towards the account lockout. No CSRF token is needed because no cookie is involved.")).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description("careaudit_session", "The browser session (named __Host-careaudit_session over HTTPS). State-changing requests must also send the session's CSRF token in X-CSRF-Token."))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "careaudit", description = "Access audit of a shared care record: cases, traces, evidence packs, subject access reports, governance reports, and the IHE ITI-81 AuditEvent search. Every look at audit data is recorded in careaudit's self-audit."),
    paths(api::me, api::list_cases, api::case_detail, api::patient_trace_api, api::user_trace_api, api::subject_access_api, api::report_api, openapi_json, iti81::search),
    modifiers(&Security),
    security(("basic" = []), ("session" = [])),
)]
struct ApiDoc;

/// The OpenAPI document of the JSON API.
pub fn api_document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "api", security(()),
    responses((status = 200, description = "this document")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(api_document())
}

fn registered() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    vec![
        ("get", "/api/v1/me", get(api::me)),
        ("get", "/api/v1/cases", get(api::list_cases)),
        ("get", "/api/v1/cases/{reference}", get(api::case_detail)),
        (
            "get",
            "/api/v1/patients/{patient_id}/trace",
            get(api::patient_trace_api),
        ),
        (
            "get",
            "/api/v1/users/{user_id}/trace",
            get(api::user_trace_api),
        ),
        (
            "get",
            "/api/v1/patients/{patient_id}/subject-access",
            get(api::subject_access_api),
        ),
        ("get", "/api/v1/reports/{report}", get(api::report_api)),
        ("get", "/api/v1/openapi.json", get(openapi_json)),
        ("get", "/fhir/AuditEvent", get(iti81::search)),
    ]
}

/// The API's (method, path) pairs, as registered.
pub fn api_routes() -> Vec<(&'static str, &'static str)> {
    registered()
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect()
}

/// The API router.
pub(crate) fn api_router() -> Router<AppState> {
    registered()
        .into_iter()
        .fold(Router::new(), |router, (_, path, handler)| {
            router.route(path, handler)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_route_is_documented_and_nothing_else() {
        let document = api_document();
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, item) in &document.paths.paths {
            let methods = [
                ("get", item.get.is_some()),
                ("post", item.post.is_some()),
                ("put", item.put.is_some()),
                ("patch", item.patch.is_some()),
                ("delete", item.delete.is_some()),
            ];
            for (method, present) in methods {
                if present {
                    documented.push((method.to_owned(), path.clone()));
                }
            }
        }
        let mut routes: Vec<(String, String)> = api_routes()
            .into_iter()
            .map(|(m, p)| (m.to_owned(), p.to_owned()))
            .collect();
        documented.sort();
        routes.sort();
        assert_eq!(routes, documented);
    }

    #[test]
    fn the_document_serialises_with_security_schemes() {
        let json = serde_json::to_value(api_document()).expect("serialises");
        assert_eq!(
            json["openapi"].as_str().map(|v| v.starts_with("3.")),
            Some(true)
        );
        assert!(json["components"]["securitySchemes"]["basic"].is_object());
    }
}
