//! careaudit's integration tests: one binary, real ClickHouse, PostgreSQL and SMTP servers, a
//! fresh pair of databases per test.

mod analyzer_windows;
mod bad_input;
mod browser;
mod care_csv;
mod care_fhir;
mod care_hl7;
mod dashboards_access;
mod dashboards_authorization;
mod dashboards_chdb;
mod dashboards_evidence;
mod dashboards_injection;
mod dashboards_oidc;
mod dashboards_sign_in;
mod dashboards_support;
mod end_to_end;
mod fault_tolerance;
mod fhir_bulk;
mod grafana;
mod schema;
mod syslog_feeds;
