//! Everything the case page shows about a case, read from both stores: the case (alerts' case
//! API, scoped), its patients, the user's accesses to them as a timeline with the analyzer's
//! explanation of each, the patients' care relationships, the demographic-match evidence, the
//! user's daily activity against their own baseline and their peer group, what each rule
//! measured (`findings.evidence`) and the raw audit payloads of the findings' events.

use crate::demographics::{compare, DemographicMatch, Person};
use crate::error::DashboardError;
use crate::trace::{Explanation, ExplanationRow, TracedRelationship};
use alerts::{CaseDetail, Scope};
use clickhouse::Row;
use domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The timeline reaches this far before the case's first access (and a day past its last).
const TIMELINE_DAYS_BEFORE: i64 = 30;
/// Days of activity shown against the baseline.
const ACTIVITY_DAYS: i64 = 60;

#[derive(Debug, Row, Deserialize)]
struct PayloadRow {
    event_id: String,
    patient_id: String,
    occurred_at: u32,
    occurred_ms: u16,
    action: String,
    outcome: u8,
    user_id: String,
    user_name: String,
    user_org: String,
    user_roles: Vec<String>,
    purpose_of_use: Vec<String>,
    emergency_reason: String,
    data_entities: Vec<String>,
    client_address: String,
    source_node: String,
    channel: String,
    received_at: u32,
    received_ms: u16,
    raw_format: String,
    #[serde(with = "serde_bytes")]
    raw_payload: Vec<u8>,
}

/// One finding's access as shown on the case page, with its raw payload.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccessEvidence {
    pub event_id: String,
    pub patient_id: String,
    pub occurred_at: String,
    pub action: String,
    pub outcome: u8,
    pub user_id: String,
    pub user_name: String,
    pub user_org: String,
    pub user_roles: Vec<String>,
    pub purpose_of_use: Vec<String>,
    pub emergency_reason: String,
    pub data_entities: Vec<String>,
    pub client_address: String,
    pub source_node: String,
    pub channel: String,
    pub received_at: String,
    pub raw_format: String,
    /// The payload exactly as the node sent it (decompressed); empty if it could not be read.
    pub raw_payload: String,
}

impl From<PayloadRow> for AccessEvidence {
    fn from(row: PayloadRow) -> Self {
        let raw_payload = zstd::stream::decode_all(row.raw_payload.as_slice())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        Self {
            event_id: row.event_id,
            patient_id: row.patient_id,
            occurred_at: Timestamp::from_seconds_and_millis(row.occurred_at, row.occurred_ms)
                .to_string(),
            action: row.action,
            outcome: row.outcome,
            user_id: row.user_id,
            user_name: row.user_name,
            user_org: row.user_org,
            user_roles: row.user_roles,
            purpose_of_use: row.purpose_of_use,
            emergency_reason: row.emergency_reason,
            data_entities: row.data_entities,
            client_address: row.client_address,
            source_node: row.source_node,
            channel: row.channel,
            received_at: Timestamp::from_seconds_and_millis(row.received_at, row.received_ms)
                .to_string(),
            raw_format: row.raw_format,
            raw_payload,
        }
    }
}

#[derive(Debug, Row, Deserialize)]
struct TimelineRow {
    event_id: String,
    patient_id: String,
    occurred_at: u32,
    occurred_ms: u16,
    action: String,
    user_org: String,
    purpose_of_use: Vec<String>,
    emergency_access: u8,
    source_node: String,
}

/// One access of the user to a case patient.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineAccess {
    pub event_id: String,
    pub patient_id: String,
    pub occurred_at: String,
    pub action: String,
    pub user_org: String,
    pub purpose_of_use: Vec<String>,
    pub emergency_access: bool,
    pub source_node: String,
    /// Whether a finding of this case is about this access.
    pub flagged: bool,
    pub explanation: Option<Explanation>,
}

#[derive(Debug, Row, Deserialize)]
struct PatientRow {
    patient_id: String,
    family_name: String,
    address_line: String,
    postcode: String,
}

#[derive(Debug, Row, Deserialize)]
struct StaffRow {
    user_id: String,
    family_name: String,
    given_names: String,
    org_code: String,
    role_codes: Vec<String>,
    job_title: String,
    team: String,
    home_address_line: String,
    home_postcode: String,
    leave_date: Option<u16>,
    patient_id: String,
}

/// The user as the staff directory knows them.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct StaffSummary {
    pub user_id: String,
    pub name: String,
    pub org_code: String,
    pub role_codes: Vec<String>,
    pub job_title: String,
    pub team: String,
    /// Days since 1970 (ClickHouse `Date`), when the user has left.
    pub leave_date: Option<u16>,
}

/// One day of the user's activity against the baseline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityDay {
    pub day: String,
    pub patients: u64,
    /// Mean distinct patients per peer that day (all peers, idle ones counting zero).
    pub peer_mean: f64,
}

/// The user's activity around the case.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Activity {
    pub days: Vec<ActivityDay>,
    /// The user's own median distinct patients per active day over the period.
    pub own_median: f64,
    pub peers: u64,
    pub peer_group: String,
}

/// What a rule measured for one finding.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FindingEvidence {
    pub rule_id: String,
    pub event_id: String,
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
}

/// Everything on a case page.
#[derive(Debug, Clone, Serialize)]
pub struct CaseEvidence {
    #[serde(flatten)]
    pub case: CaseDetail,
    pub assignee: Option<String>,
    pub patients: Vec<String>,
    pub accesses: Vec<AccessEvidence>,
    pub timeline_accesses: Vec<TimelineAccess>,
    pub relationships: Vec<TracedRelationship>,
    pub demographics: Vec<DemographicMatch>,
    pub staff: Option<StaffSummary>,
    pub activity: Activity,
    pub finding_evidence: Vec<FindingEvidence>,
}

fn seconds(at: chrono::DateTime<chrono::Utc>) -> u32 {
    at.timestamp().clamp(0, i64::from(u32::MAX)) as u32
}

/// The case `reference` with its evidence, or `NotFound` (also when outside `scope`: the two
/// are indistinguishable to the reader on purpose).
pub async fn load(
    pool: &sqlx::PgPool,
    clickhouse: &clickhouse::Client,
    scope: &Scope,
    reference: &str,
) -> Result<CaseEvidence, DashboardError> {
    let case = alerts::get_case(pool, scope, reference)
        .await?
        .ok_or(DashboardError::NotFound)?;
    let summary = &case.summary;
    // The independent reads go concurrently: the page costs the slowest of them, not the sum.
    let patients = sqlx::query_scalar::<_, String>(
        "SELECT patient_id FROM case_patients WHERE case_id = $1 ORDER BY first_event_at, patient_id",
    )
    .bind(summary.id)
    .fetch_all(pool);
    let assignee = sqlx::query_scalar::<_, String>(
        "SELECT u.username FROM cases c JOIN app_users u ON u.id = c.assignee WHERE c.id = $1",
    )
    .bind(summary.id)
    .fetch_optional(pool);
    let finding_evidence = sqlx::query_as::<_, FindingEvidence>(
        "SELECT rule_id, event_id, evidence FROM findings WHERE case_id = $1 ORDER BY occurred_at, id",
    )
    .bind(summary.id)
    .fetch_all(pool);
    let (mut patients, assignee, finding_evidence) =
        tokio::try_join!(patients, assignee, finding_evidence)?;
    if !patients.contains(&summary.patient_id) {
        patients.insert(0, summary.patient_id.clone());
    }
    let event_ids: Vec<&str> = case.findings.iter().map(|f| f.event_id.as_str()).collect();
    let from = seconds(summary.first_event_at - chrono::Duration::days(TIMELINE_DAYS_BEFORE));
    let to = seconds(summary.last_event_at + chrono::Duration::days(1));
    // A case merged into another has no findings left, and ClickHouse 18.16 cannot type an
    // empty array literal.
    // The payloads are read in the findings' months only (a day of slack either side).
    let finding_times = case.findings.iter().map(|f| f.occurred_at);
    let payload_from = finding_times
        .clone()
        .min()
        .map(|at| seconds(at - chrono::Duration::days(1)));
    let payload_to = finding_times
        .max()
        .map(|at| seconds(at + chrono::Duration::days(1)));
    let payloads = async {
        let (Some(payload_from), Some(payload_to)) = (payload_from, payload_to) else {
            return Ok(Vec::new());
        };
        clickhouse
            .query(include_str!("case_evidence/payloads.sql"))
            .bind(&patients)
            .bind(&event_ids)
            .bind(payload_from)
            .bind(payload_to)
            .fetch_all::<PayloadRow>()
            .await
    };
    let timeline = clickhouse
        .query(include_str!("case_evidence/user_patient_accesses.sql"))
        .bind(&patients)
        .bind(&summary.user_id)
        .bind(from)
        .bind(to)
        .fetch_all::<TimelineRow>();
    let explanations = clickhouse
        .query(include_str!("case_evidence/explanations.sql"))
        .bind(&patients)
        .bind(&summary.user_id)
        .bind(from)
        .bind(to)
        .fetch_all::<ExplanationRow>();
    let relationships = clickhouse
        .query(include_str!("case_evidence/relationships.sql"))
        .bind(&patients)
        .fetch_all::<TracedRelationship>();
    let patient_rows = clickhouse
        .query(include_str!("case_evidence/patients.sql"))
        .bind(&patients)
        .fetch_all::<PatientRow>();
    let staff_and_activity = async {
        let staff: Option<StaffRow> = clickhouse
            .query(include_str!("case_evidence/staff.sql"))
            .bind(&summary.user_id)
            .fetch_optional()
            .await?;
        let activity = activity(clickhouse, summary, staff.as_ref()).await?;
        Ok::<_, clickhouse::error::Error>((staff, activity))
    };
    let (payloads, timeline_rows, explanations, relationships, patient_rows, (staff_row, activity)) =
        tokio::try_join!(
            payloads,
            timeline,
            explanations,
            relationships,
            patient_rows,
            staff_and_activity
        )?;
    let accesses = payloads.into_iter().map(AccessEvidence::from).collect();
    let mut explanations: HashMap<String, Explanation> = explanations
        .into_iter()
        .map(ExplanationRow::split)
        .collect();
    let timeline_accesses = timeline_rows
        .into_iter()
        .map(|row| TimelineAccess {
            flagged: event_ids.contains(&row.event_id.as_str()),
            explanation: explanations.remove(&row.event_id),
            occurred_at: Timestamp::from_seconds_and_millis(row.occurred_at, row.occurred_ms)
                .to_string(),
            event_id: row.event_id,
            patient_id: row.patient_id,
            action: row.action,
            user_org: row.user_org,
            purpose_of_use: row.purpose_of_use,
            emergency_access: row.emergency_access == 1,
            source_node: row.source_node,
        })
        .collect();
    let demographics = demographics(&patients, &patient_rows, staff_row.as_ref());
    let staff = staff_row.map(|row| StaffSummary {
        name: format!("{} {}", row.given_names, row.family_name)
            .trim()
            .to_owned(),
        user_id: row.user_id,
        org_code: row.org_code,
        role_codes: row.role_codes,
        job_title: row.job_title,
        team: row.team,
        leave_date: row.leave_date,
    });
    Ok(CaseEvidence {
        case,
        assignee,
        patients,
        accesses,
        timeline_accesses,
        relationships,
        demographics,
        staff,
        activity,
        finding_evidence,
    })
}

/// A viewer's look at a case: the evidence, recorded in the self-audit as `view` before it is
/// returned.
pub async fn look(
    pool: &sqlx::PgPool,
    clickhouse: &clickhouse::Client,
    viewer: &crate::viewer::Viewer,
    reference: &str,
    view: &str,
) -> Result<CaseEvidence, DashboardError> {
    let scope = viewer.require(crate::roles::Permission::ViewCases)?;
    let evidence = load(pool, clickhouse, &scope, reference).await?;
    let summary = &evidence.case.summary;
    crate::self_audit::record(
        pool,
        viewer,
        crate::self_audit::View {
            view,
            case_ref: Some(&summary.reference),
            patient_id: Some(&summary.patient_id),
            user_id: Some(&summary.user_id),
            detail: serde_json::json!({ "patients": evidence.patients }),
        },
    )
    .await?;
    Ok(evidence)
}

fn demographics(
    patients: &[String],
    rows: &[PatientRow],
    staff: Option<&StaffRow>,
) -> Vec<DemographicMatch> {
    let user = staff.map_or(
        Person {
            id: "",
            family_name: "",
            address: "",
            postcode: "",
        },
        |staff| Person {
            id: &staff.user_id,
            family_name: &staff.family_name,
            address: &staff.home_address_line,
            postcode: &staff.home_postcode,
        },
    );
    let user_patient_id = staff.map_or("", |staff| staff.patient_id.as_str());
    patients
        .iter()
        .map(|patient_id| {
            let row = rows.iter().find(|row| &row.patient_id == patient_id);
            let patient = Person {
                id: patient_id,
                family_name: row.map_or("", |row| row.family_name.as_str()),
                address: row.map_or("", |row| row.address_line.as_str()),
                postcode: row.map_or("", |row| row.postcode.as_str()),
            };
            compare(&patient, &user, user_patient_id)
        })
        .collect()
}

#[derive(Debug, Row, Deserialize)]
struct DayCount {
    day: u16,
    patients: u64,
}

#[derive(Debug, Row, Deserialize)]
struct PeerDay {
    day: u16,
    total: u64,
}

fn day_text(day: u16) -> String {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_days(chrono::Days::new(u64::from(day))))
        .map(|date| date.to_string())
        .unwrap_or_default()
}

async fn activity(
    clickhouse: &clickhouse::Client,
    summary: &alerts::CaseSummary,
    staff: Option<&StaffRow>,
) -> Result<Activity, clickhouse::error::Error> {
    // Whole days: the chart shows days, and the peers' table is kept by day.
    let to = seconds(summary.last_event_at + chrono::Duration::days(1)) / 86_400 * 86_400;
    let from = to.saturating_sub((ACTIVITY_DAYS * 86_400) as u32);
    let (org, role) = staff.map_or((summary.org_code.clone(), String::new()), |staff| {
        (
            staff.org_code.clone(),
            staff.role_codes.first().cloned().unwrap_or_default(),
        )
    });
    let own = clickhouse
        .query(include_str!("case_evidence/user_daily.sql"))
        .bind(&summary.user_id)
        .bind(from)
        .bind(to)
        .fetch_all::<DayCount>();
    let peers = async {
        if role.is_empty() {
            return Ok((0, Vec::new()));
        }
        let count = clickhouse
            .query(include_str!("case_evidence/peer_count.sql"))
            .bind(&org)
            .bind(&role)
            .bind(&summary.user_id)
            .fetch_one::<u64>();
        let days = clickhouse
            .query(include_str!("case_evidence/peer_daily.sql"))
            .bind(&org)
            .bind(from)
            .bind(to)
            .bind(&org)
            .bind(&role)
            .bind(&summary.user_id)
            .fetch_all::<PeerDay>();
        tokio::try_join!(count, days)
    };
    let (own, (peers, peer_days)) = tokio::try_join!(own, peers)?;
    let mut counts: Vec<u64> = own.iter().map(|day| day.patients).collect();
    counts.sort_unstable();
    let own_median = match counts.len() {
        0 => 0.0,
        n if n % 2 == 1 => counts[n / 2] as f64,
        n => (counts[n / 2 - 1] + counts[n / 2]) as f64 / 2.0,
    };
    let first_day = (from / 86_400) as u16;
    let last_day = (to / 86_400) as u16;
    let days = (first_day..last_day)
        .map(|day| ActivityDay {
            day: day_text(day),
            patients: own
                .iter()
                .find(|own| own.day == day)
                .map_or(0, |own| own.patients),
            peer_mean: peer_days
                .iter()
                .find(|peer| peer.day == day)
                .filter(|_| peers > 0)
                .map_or(0.0, |peer| peer.total as f64 / peers as f64),
        })
        .collect();
    Ok(Activity {
        days,
        own_median,
        peers,
        peer_group: if role.is_empty() {
            "no peer group (the user is not in the staff directory)".to_owned()
        } else {
            format!("role {role} at {org}")
        },
    })
}
