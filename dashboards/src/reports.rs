//! The governance reports, each a set of titled tables so that one renderer makes the page, the
//! CSV and the PDF of every report: the monthly governance report, DSPT coverage (the versioned
//! list of suspicious behaviours and how often the rules covering each fired), rule
//! performance, the breach log (alerts' breach records, in `reports/breach_log.rs`) and the
//! self-audit. Every report is scoped to the reader's
//! organisations.

mod breach_log;

use crate::error::DashboardError;
pub use crate::report_table::{section, Report, Section};
use crate::roles::scope_codes;
use crate::self_audit::{self, SelfAuditFilter};
use alerts::Scope;
pub use breach_log::breach_log;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use clickhouse::Row;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The month `YYYY-MM` (default: the previous month) as a half-open range.
pub fn month_range(
    month: Option<&str>,
) -> Result<(DateTime<Utc>, DateTime<Utc>, String), DashboardError> {
    let first = match month.map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => {
            NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| {
                DashboardError::BadRequest(format!("month {text:?} is not a month (YYYY-MM)"))
            })?
        }
        None => {
            let today = Utc::now().date_naive();
            let this_month = today.with_day(1).unwrap_or(today);
            this_month
                .pred_opt()
                .and_then(|day| day.with_day(1))
                .unwrap_or(this_month)
        }
    };
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let start = first
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default();
    let end = next
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default();
    Ok((start, end, first.format("%Y-%m").to_string()))
}

fn seconds(at: DateTime<Utc>) -> u32 {
    at.timestamp().clamp(0, i64::from(u32::MAX)) as u32
}

fn scope_binds(scope: &Scope) -> (u8, Vec<String>) {
    match scope_codes(scope) {
        None => (1, vec![String::new()]),
        Some(codes) if codes.is_empty() => (0, vec![String::new()]),
        Some(codes) => (0, codes),
    }
}

#[derive(Debug, Row, Deserialize)]
struct OrgAccesses {
    user_org: String,
    accesses: u64,
    patients: u64,
    users: u64,
    emergency: u64,
}

#[derive(Debug, Row, Deserialize)]
struct OrgExplained {
    user_org: String,
    evaluated: u64,
    explained: u64,
}

#[derive(Debug, sqlx::FromRow)]
struct CaseTimes {
    opened: i64,
    closed: i64,
    triage_median_hours: Option<f64>,
    triage_p90_hours: Option<f64>,
    close_median_hours: Option<f64>,
    close_p90_hours: Option<f64>,
    confirmed_breaches: i64,
    breaches_logged: i64,
    reported_to_ico: i64,
    reported_in_time: i64,
    not_reported: i64,
}

fn hours(value: Option<f64>) -> String {
    value.map_or("–".to_owned(), |hours| format!("{hours:.1}"))
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "–".to_owned()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

/// The monthly governance report.
pub async fn governance(
    pool: &sqlx::PgPool,
    clickhouse: &clickhouse::Client,
    scope: &Scope,
    month: Option<&str>,
) -> Result<Report, DashboardError> {
    let (start, end, label) = month_range(month)?;
    let (all, codes) = scope_binds(scope);
    let accesses: Vec<OrgAccesses> = clickhouse
        .query(include_str!("reports/monthly_accesses.sql"))
        .bind(seconds(start))
        .bind(seconds(end))
        .bind(all)
        .bind(&codes)
        .fetch_all()
        .await?;
    let explained: Vec<OrgExplained> = clickhouse
        .query(include_str!("reports/explained_share.sql"))
        .bind(seconds(start))
        .bind(seconds(end))
        .bind(all)
        .bind(&codes)
        .fetch_all()
        .await?;
    let access_rows = accesses
        .iter()
        .map(|org| {
            let found = explained.iter().find(|row| row.user_org == org.user_org);
            vec![
                org.user_org.clone(),
                org.accesses.to_string(),
                org.patients.to_string(),
                org.users.to_string(),
                org.emergency.to_string(),
                percent(
                    found.map_or(0, |row| row.explained),
                    found.map_or(0, |row| row.evaluated),
                ),
            ]
        })
        .collect();
    let codes_filter = scope_codes(scope);
    let by_rule: Vec<(String, String, String, i64)> =
        sqlx::query_as(include_str!("reports/cases_by_rule.sql"))
            .bind(&codes_filter)
            .bind(start)
            .bind(end)
            .fetch_all(pool)
            .await?;
    let times: CaseTimes = sqlx::query_as(include_str!("reports/case_times.sql"))
        .bind(&codes_filter)
        .bind(start)
        .bind(end)
        .fetch_one(pool)
        .await?;
    Ok(Report {
        name: "governance".to_owned(),
        title: format!("Monthly governance report, {label}"),
        period: format!("{label} (UTC)"),
        scope: crate::trace::scope_text(scope),
        sections: vec![
            section("Accesses", "Record views by staff of each organisation; explained = share of the analyzer's evaluated accesses that the care context explained.",
                &["organisation", "accesses", "patients", "staff", "emergency", "explained"], access_rows),
            section("Cases opened by rule and outcome", "A case with findings of several rules counts once for each.",
                &["rule", "state", "disposition", "cases"],
                by_rule.into_iter().map(|(rule, state, disposition, cases)| vec![rule, state, disposition, cases.to_string()]).collect()),
            section("Time to triage and to close (hours, cases opened this month)", "Triage = the case's first move out of new on its timeline; close = its last closure.",
                &["opened", "closed", "triage median", "triage p90", "close median", "close p90"],
                vec![vec![times.opened.to_string(), times.closed.to_string(), hours(times.triage_median_hours), hours(times.triage_p90_hours), hours(times.close_median_hours), hours(times.close_p90_hours)]]),
            section("Breaches", "Inappropriate accesses: cases opened this month closed as inappropriate or reported to the ICO. The breach log: potential breaches whose organisation became aware this month, and their reporting decisions.",
                &["inappropriate accesses", "breach log entries", "reported to the ICO", "within 72 hours", "not reported (reason recorded)"],
                vec![vec![times.confirmed_breaches.to_string(), times.breaches_logged.to_string(), times.reported_to_ico.to_string(), times.reported_in_time.to_string(), times.not_reported.to_string()]]),
        ],
    })
}

/// The versioned list of suspicious behaviours (DSPT C1.a) the rules cover.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct BehaviourList {
    pub version: String,
    pub adopted: String,
    pub source: String,
    pub behaviours: Vec<Behaviour>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Behaviour {
    pub id: String,
    pub behaviour: String,
    pub rules: Vec<String>,
}

pub fn behaviour_list() -> Result<BehaviourList, DashboardError> {
    serde_json::from_str(include_str!("reports/dspt_behaviours.json")).map_err(|error| {
        DashboardError::Internal(format!("the behaviour list does not parse: {error}"))
    })
}

#[derive(Debug, sqlx::FromRow)]
struct RuleCounts {
    rule_id: String,
    findings: i64,
    cases: i64,
    decided: i64,
    inappropriate: i64,
}

async fn rule_counts(
    pool: &sqlx::PgPool,
    scope: &Scope,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<RuleCounts>, DashboardError> {
    Ok(sqlx::query_as(include_str!("reports/rule_performance.sql"))
        .bind(scope_codes(scope))
        .bind(start)
        .bind(end)
        .fetch_all(pool)
        .await?)
}

/// DSPT coverage over a month: each behaviour, the rules covering it and how often they fired.
pub async fn dspt_coverage(
    pool: &sqlx::PgPool,
    scope: &Scope,
    month: Option<&str>,
) -> Result<Report, DashboardError> {
    let (start, end, label) = month_range(month)?;
    let list = behaviour_list()?;
    let counts: BTreeMap<String, RuleCounts> = rule_counts(pool, scope, start, end)
        .await?
        .into_iter()
        .map(|row| (row.rule_id.clone(), row))
        .collect();
    let rows = list
        .behaviours
        .iter()
        .map(|behaviour| {
            let findings: i64 = behaviour
                .rules
                .iter()
                .filter_map(|rule| counts.get(rule))
                .map(|row| row.findings)
                .sum();
            let cases: i64 = behaviour
                .rules
                .iter()
                .filter_map(|rule| counts.get(rule))
                .map(|row| row.cases)
                .sum();
            vec![
                behaviour.id.clone(),
                behaviour.behaviour.clone(),
                behaviour.rules.join(", "),
                findings.to_string(),
                cases.to_string(),
            ]
        })
        .collect();
    let listed: Vec<&String> = list.behaviours.iter().flat_map(|b| &b.rules).collect();
    let unlisted = counts
        .values()
        .filter(|row| !listed.contains(&&row.rule_id))
        .map(|row| vec![row.rule_id.clone(), row.findings.to_string()])
        .collect();
    Ok(Report {
        name: "dspt-coverage".to_owned(),
        title: format!(
            "DSPT coverage of suspicious behaviours, list version {}, {label}",
            list.version
        ),
        period: format!("{label} (UTC)"),
        scope: crate::trace::scope_text(scope),
        sections: vec![
            section(
                "Behaviours and the rules that cover them",
                &format!(
                    "List version {} adopted {}: {}.",
                    list.version, list.adopted, list.source
                ),
                &["behaviour id", "behaviour", "rules", "findings", "cases"],
                rows,
            ),
            section(
                "Rules that fired but cover no listed behaviour",
                "",
                &["rule", "findings"],
                unlisted,
            ),
        ],
    })
}

/// Rule performance over a month: firing rate, explained-away share and precision.
pub async fn rule_performance(
    pool: &sqlx::PgPool,
    clickhouse: &clickhouse::Client,
    scope: &Scope,
    month: Option<&str>,
) -> Result<Report, DashboardError> {
    let (start, end, label) = month_range(month)?;
    let (all, codes) = scope_binds(scope);
    let accesses: u64 = clickhouse
        .query(include_str!("reports/monthly_accesses.sql"))
        .bind(seconds(start))
        .bind(seconds(end))
        .bind(all)
        .bind(&codes)
        .fetch_all::<OrgAccesses>()
        .await?
        .iter()
        .map(|org| org.accesses)
        .sum();
    let counts = rule_counts(pool, scope, start, end).await?;
    let mut rows = Vec::new();
    for row in counts {
        let events: Vec<String> = sqlx::query_scalar(
            "SELECT f.event_id FROM findings f JOIN cases c ON c.id = f.case_id
             WHERE f.rule_id = $1 AND f.occurred_at >= $2 AND f.occurred_at < $3
               AND ($4::text[] IS NULL OR c.org_code = ANY($4)) LIMIT 20000",
        )
        .bind(&row.rule_id)
        .bind(start)
        .bind(end)
        .bind(scope_codes(scope))
        .fetch_all(pool)
        .await?;
        // ClickHouse 18.16 cannot type an empty array literal.
        let explained: Vec<(String, u8)> = if events.is_empty() {
            Vec::new()
        } else {
            clickhouse
                .query(include_str!("reports/rule_events_explained.sql"))
                .bind(seconds(start))
                .bind(seconds(end))
                .bind(&events)
                .fetch_all::<(String, u8)>()
                .await?
        };
        let explained_count = explained.iter().filter(|(_, flag)| *flag == 1).count() as u64;
        rows.push(vec![
            row.rule_id.clone(),
            row.findings.to_string(),
            if accesses == 0 {
                "–".to_owned()
            } else {
                format!("{:.2}", 1000.0 * row.findings as f64 / accesses as f64)
            },
            percent(explained_count, events.len() as u64),
            row.cases.to_string(),
            row.decided.to_string(),
            percent(row.inappropriate as u64, row.decided as u64),
        ]);
    }
    Ok(Report {
        name: "rule-performance".to_owned(),
        title: format!("Rule performance, {label}"),
        period: format!("{label} (UTC)"),
        scope: crate::trace::scope_text(scope),
        sections: vec![section("Rules",
            &format!("{accesses} accesses in the period. Firing rate = findings per 1,000 accesses; explained-away = share of the rule's findings whose access the care context explained; precision = inappropriate ÷ decided cases (\"unable to determine\" is not a decision)."),
            &["rule", "findings", "per 1,000 accesses", "explained-away", "cases", "decided", "precision"], rows)],
    })
}

/// The self-audit: who looked at which audit data through careaudit.
pub async fn self_audit_report(
    pool: &sqlx::PgPool,
    filter: &SelfAuditFilter,
) -> Result<Report, DashboardError> {
    let period = crate::trace::Period::parse(filter.from.as_deref(), filter.to.as_deref())?;
    let at = |seconds: u32| {
        (seconds > 0 && seconds < u32::MAX)
            .then(|| DateTime::<Utc>::from_timestamp(i64::from(seconds), 0))
            .flatten()
    };
    let rows = self_audit::report(pool, filter, at(period.from), at(period.to)).await?;
    Ok(Report {
        name: "self-audit".to_owned(),
        title: "Self-audit: looks at audit data through careaudit".to_owned(),
        period: period.describe(),
        scope: "all organisations".to_owned(),
        sections: vec![section(
            "Looks",
            "Newest first; at most 10,000 rows (narrow the filters for more).",
            &[
                "when",
                "careaudit user",
                "view",
                "case",
                "patient",
                "user",
                "detail",
            ],
            rows.into_iter()
                .map(|row| {
                    vec![
                        row.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                        row.viewer,
                        row.view,
                        row.case_ref.unwrap_or_default(),
                        row.patient_id.unwrap_or_default(),
                        row.user_id.unwrap_or_default(),
                        row.detail.to_string(),
                    ]
                })
                .collect(),
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_behaviour_list_parses_and_names_rules_once() {
        let list = behaviour_list().expect("parses");
        assert!(!list.version.is_empty());
        let mut rules: Vec<&String> = list.behaviours.iter().flat_map(|b| &b.rules).collect();
        let count = rules.len();
        rules.sort();
        rules.dedup();
        assert_eq!(rules.len(), count, "a rule covers one behaviour");
        assert!(rules
            .iter()
            .all(|rule| rule.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    }

    #[test]
    fn months_parse_and_default_to_the_previous_one() {
        let (start, end, label) = month_range(Some("2026-02")).expect("month");
        assert_eq!(label, "2026-02");
        assert_eq!((end - start).num_days(), 28);
        assert!(month_range(Some("2026-13")).is_err());
        assert!(month_range(Some("'; DROP TABLE cases; --")).is_err());
        let (start, _, _) = month_range(None).expect("default");
        assert!(start < Utc::now());
    }
}
