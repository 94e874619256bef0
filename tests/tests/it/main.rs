//! careaudit's integration tests: one binary, real ClickHouse, PostgreSQL and SMTP servers, a
//! fresh pair of databases per test.

mod analyzer_identities;
mod analyzer_near_real_time;
mod analyzer_rules;
mod analyzer_sql;
mod analyzer_windows;
mod bad_input;
mod browser;
mod care_csv;
mod care_fhir;
mod care_hl7;
mod case_merge_share;
mod case_workflow;
mod dashboards_access;
mod dashboards_authorization;
mod dashboards_chdb;
mod dashboards_evidence;
mod dashboards_injection;
mod dashboards_oidc;
mod dashboards_sign_in;
mod dashboards_support;
mod directory;
mod end_to_end;
mod fault_tolerance;
mod fhir_bulk;
mod grafana;
mod notification_crash;
mod notification_delivery;
mod notification_privacy;
mod notification_schedules;
mod schema;
mod simulator_evaluation;
mod simulator_feeds;
mod suppressions;
mod syslog_feeds;
mod user_warnings;
