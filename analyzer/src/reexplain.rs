//! Care context that arrives after the access: an admission recorded hours later must explain
//! the earlier access. When the care tables have moved since the last check, the standing
//! findings of rules that care context can explain away (young enough for late context to
//! matter) are explained again, and so is every unexplained access (as young) of the patients
//! whose relationships or merges arrived since, flagged or not, so the stored explanations say
//! what the care context now says; those findings now explained at or above their rule's
//! binding are marked with the explanation (kind, binding, relationship, source message),
//! written on the case timeline, and their case is re-scored, or closed when nothing stands and
//! nobody has started on it. A pending finding explained away is simply dropped.

use crate::explain::{explain_events, explanations};
use crate::job::{seconds, RunSummary};
use crate::record::{append_timeline, load_outcomes, rescore};
use crate::settings::{AnalyzerSettings, ConfiguredRule};
use crate::watermark::{load_watermark, lock, store_watermark};
use crate::window::Window;
use domain::Timestamp;
use sqlx::{PgPool, Row};
use std::collections::BTreeSet;

pub(crate) const CARE_JOB: &str = "care_context";

/// The window (`since`, `until`] of ClickHouse stored time, in seconds, as binds.
fn stored_window(since: u32, until: u32) -> crate::sql::Binds {
    crate::sql::Binds::from([
        ("since", crate::sql::BindValue::UInt(u64::from(since))),
        ("until", crate::sql::BindValue::UInt(u64::from(until))),
    ])
}

/// The unexplained accesses, younger than `max_age_seconds`, of the patients whose care context
/// became visible in ClickHouse in (`since`, `until`] (stored time, seconds), of the (patient,
/// user) pairs with an access explained no later than `margin_seconds` after it arrived, each
/// once, in order of patient, user and time within each part of the patients (asked in parts
/// for many `arrived_rows`; a pair is always in one part).
async fn late_context_accesses(
    clickhouse: &clickhouse::Client,
    since: u32,
    until: u32,
    max_age_seconds: f64,
    margin_seconds: u32,
    arrived_rows: u64,
) -> Result<Vec<String>, crate::AnalyzerError> {
    let (file, sql) = crate::explain::LATE_CONTEXT_ACCESSES;
    let mut binds = stored_window(since, until);
    binds.insert(
        "max_age_seconds",
        crate::sql::BindValue::UInt(max_age_seconds.round() as u64),
    );
    binds.insert(
        "margin_seconds",
        crate::sql::BindValue::UInt(u64::from(margin_seconds)),
    );
    let parts = late_context_parts(arrived_rows);
    binds.insert("parts", crate::sql::BindValue::UInt(parts));
    let mut events = Vec::new();
    for part in 0..parts {
        binds.insert("part", crate::sql::BindValue::UInt(part));
        let found: Vec<String> = crate::sql::query(clickhouse, file, sql, &binds)?
            .fetch_all()
            .await?;
        events.extend(found);
    }
    Ok(events)
}

/// At most about this many care statements' patients per late-context query: a first run over
/// a month of new care context (2.6M statements at 10M accesses) held 2.9 GiB in one query.
const LATE_CONTEXT_ROWS_PER_PART: u64 = 250_000;

/// How many parts (by a hash of the patient) the late-context query is asked in for
/// `arrived_rows` care statements (pure).
fn late_context_parts(arrived_rows: u64) -> u64 {
    arrived_rows.div_ceil(LATE_CONTEXT_ROWS_PER_PART).max(1)
}

/// At most this many patients with new care context are fetched per check; beyond it every
/// standing finding is looked at (as after a first start, when all care context is new).
const ARRIVED_PATIENTS_LIMIT: usize = 100_000;

/// What care context became visible in a window of stored time, as far as standing findings
/// are concerned.
#[derive(Debug, Default)]
struct Arrivals {
    /// The last second care context of each patient (and, through merges, of the same person
    /// under another id) became visible.
    patients: std::collections::HashMap<String, u32>,
    /// More patients than were fetched: every patient counts as having care context up to
    /// `until`.
    overflow: bool,
    /// The last second a staff statement became visible (0: none).
    staff: u32,
    until: u32,
}

impl Arrivals {
    /// The last second care context that may explain an access to `patient` became visible
    /// (0: none in the window) (pure).
    fn last_for(&self, patient: &str) -> u32 {
        let patient_at = match self.patients.get(patient) {
            Some(at) => *at,
            None if self.overflow => self.until,
            None => 0,
        };
        patient_at.max(self.staff)
    }
}

#[derive(Debug, clickhouse::Row, serde::Deserialize)]
struct Arrived {
    arrived: u64,
    staff_arrived: u32,
}

#[derive(Debug, clickhouse::Row, serde::Deserialize)]
struct ArrivedPatient {
    patient_id: String,
    arrived: u32,
}

/// The patients whose care context became visible in (`since`, `until`], with when.
async fn arrived_patients(
    clickhouse: &clickhouse::Client,
    since: u32,
    until: u32,
    staff: u32,
) -> Result<Arrivals, crate::AnalyzerError> {
    let (file, sql) = crate::explain::ARRIVED_PATIENTS;
    let mut binds = stored_window(since, until);
    binds.insert(
        "limit",
        crate::sql::BindValue::UInt(ARRIVED_PATIENTS_LIMIT as u64 + 1),
    );
    binds.insert("parts", crate::sql::BindValue::UInt(1));
    binds.insert("part", crate::sql::BindValue::UInt(0));
    let rows: Vec<ArrivedPatient> = crate::sql::query(clickhouse, file, sql, &binds)?
        .fetch_all()
        .await?;
    let overflow = rows.len() > ARRIVED_PATIENTS_LIMIT;
    Ok(Arrivals {
        patients: if overflow {
            Default::default()
        } else {
            rows.into_iter()
                .map(|row| (row.patient_id, row.arrived))
                .collect()
        },
        overflow,
        staff,
        until,
    })
}

/// Whether an explanation evaluated at `evaluated` may not have seen care context that became
/// visible at `arrived` (seconds; 0: none): an insert still in flight within `margin_seconds`
/// of the evaluation may or may not have been read, so it counts as unseen (pure).
fn may_have_missed(evaluated: u32, arrived: u32, margin_seconds: u32) -> bool {
    arrived > 0 && evaluated <= arrived.saturating_add(margin_seconds)
}

/// The margin, in whole seconds, within which an insert may not yet have been visible to an
/// explanation: the settle time (rounded up) and a second for whole-second clocks.
fn margin_seconds(settle_ms: i64) -> u32 {
    u32::try_from((settle_ms.max(0) + 999) / 1000 + 1).unwrap_or(u32::MAX)
}

pub(crate) async fn reexplain_open(
    settings: &AnalyzerSettings,
    rules: &[ConfiguredRule],
    clickhouse: &clickhouse::Client,
    pool: &PgPool,
    now: Timestamp,
) -> anyhow::Result<RunSummary> {
    let mut summary = RunSummary::default();
    // The watermark is of ClickHouse's stored time (care_arrivals), not of the statements'
    // receive time: a statement received earlier may become visible later (feeds ship
    // concurrently; a collector ships its log after an outage). Inserts still in flight are
    // left to the next run (`settle_ms`), as in the access windows. Never past ClickHouse's own
    // clock (its current second excluded, rows may still land in it): a run as of a later
    // `now` (a caller's clock ahead of the server's) would otherwise mark as seen stored times
    // that have not happened yet.
    let clock = crate::job::clickhouse_now(clickhouse).await?.as_millis() - 1000;
    let until = seconds((now.as_millis() - settings.settle_ms).min(clock));
    let mut transaction = pool.begin().await?;
    lock(&mut transaction, CARE_JOB).await?;
    let seen = load_watermark(&mut *transaction, CARE_JOB)
        .await?
        .unwrap_or(0);
    let since = seconds(seen);
    if until <= since {
        return Ok(summary);
    }
    let (file, sql) = crate::explain::CARE_ARRIVED;
    let arrived: Arrived = crate::sql::query(clickhouse, file, sql, &stored_window(since, until))?
        .fetch_one()
        .await?;
    if arrived.arrived == 0 {
        store_watermark(&mut transaction, CARE_JOB, i64::from(until) * 1000).await?;
        transaction.commit().await?;
        return Ok(summary);
    }
    let arrivals = arrived_patients(clickhouse, since, until, arrived.staff_arrived).await?;
    let margin = margin_seconds(settings.settle_ms);
    let explainable: Vec<String> = rules
        .iter()
        .filter(|r| r.explainable())
        .map(|r| r.rule.id.to_owned())
        .collect();
    // The standing findings whose patient (or, after a staff statement, any) has new care
    // context: only they can have become explainable.
    let open: Vec<sqlx::postgres::PgRow> = sqlx::query(include_str!("reexplain/open_findings.sql"))
        .bind(&explainable)
        .bind(settings.explanation.reexplain_max_age_days * 86_400.0)
        .fetch_all(&mut *transaction)
        .await?
        .into_iter()
        .filter(|row| arrivals.last_for(row.get::<&str, _>("patient_id")) > 0)
        .collect();
    let version = u64::try_from(now.as_millis()).unwrap_or(0);
    let end = u32::try_from(now.as_millis() / 1000 + 1).unwrap_or(u32::MAX);
    let max_age_seconds = settings.explanation.reexplain_max_age_days.max(0.0) * 86_400.0;
    // What is re-explained occurred inside the last `max_age` and was stored after it occurred
    // (a day's grace for senders' clocks: an access stamped more than a day ahead of its
    // storing is not looked for, where reading all of stored time for every chunk would be).
    let recent = Window {
        start: u32::try_from(now.as_millis() / 1000)
            .unwrap_or(u32::MAX)
            .saturating_sub((max_age_seconds + 86_400.0) as u32),
        end,
    };
    // The unexplained accesses of the patients with new care context whose user's accesses to
    // them were explained before it arrived (the SQL decides; ordered so that a look is
    // explained again before the same user's later looks it may be the prior episode of).
    let late = late_context_accesses(
        clickhouse,
        since,
        until,
        max_age_seconds,
        margin,
        arrived.arrived,
    )
    .await?;
    let open_events: BTreeSet<&str> = open
        .iter()
        .map(|row| row.get::<&str, _>("event_id"))
        .collect();
    let keys: Vec<(String, String)> = open
        .iter()
        .map(|row| (row.get("event_id"), row.get("patient_id")))
        .collect();
    // The standing findings' own explanations: explained again where the care context arrived
    // after (or too close to) them; another pass may already have explained the rest with it.
    let mut known = explanations(clickhouse, &keys).await?;
    let late_set: BTreeSet<&str> = late.iter().map(String::as_str).collect();
    // First the findings' accesses the ordered list does not hold (explained, or of a patient
    // only a staff statement concerns), then that list in its order.
    let mut again: Vec<String> = Vec::new();
    let mut queued: BTreeSet<String> = BTreeSet::new();
    for (event, patient) in &keys {
        let stale = known.get(event).is_none_or(|explanation| {
            may_have_missed(explanation.evaluated, arrivals.last_for(patient), margin)
        });
        if stale && !late_set.contains(event.as_str()) && queued.insert(event.clone()) {
            again.push(event.clone());
        }
    }
    let mut findings_again = again.len();
    let mut unflagged = 0;
    for event in late {
        let flagged = open_events.contains(event.as_str());
        // Unflagged accesses only when so configured; a finding's access always.
        if (flagged || settings.explanation.reexplain_accesses) && queued.insert(event.clone()) {
            unflagged += usize::from(!flagged);
            findings_again += usize::from(flagged);
            again.push(event);
        }
    }
    explain_events(clickhouse, &settings.explanation, recent, &again, version).await?;
    tracing::debug!(
        findings = open.len(),
        findings_again,
        unflagged_again = unflagged,
        "late care context: accesses explained again"
    );
    if !open.is_empty() {
        let again: BTreeSet<&str> = again.iter().map(String::as_str).collect();
        let refreshed: Vec<(String, String)> = keys
            .iter()
            .filter(|(event, _)| again.contains(event.as_str()))
            .cloned()
            .collect();
        known.extend(explanations(clickhouse, &refreshed).await?);
        let outcomes = load_outcomes(&mut transaction).await?;
        let mut touched = BTreeSet::new();
        for row in &open {
            let rule_id: String = row.get("rule_id");
            let event_id: String = row.get("event_id");
            let Some(rule) = rules.iter().find(|r| r.rule.id == rule_id) else {
                continue;
            };
            let Some(explanation) = known.get(&event_id) else {
                continue;
            };
            if !rule.explained_away(explanation) {
                continue;
            }
            let id: i64 = row.get("id");
            let by = serde_json::to_value(explanation).unwrap_or_default();
            summary.explained_away += 1;
            if row.get::<String, _>("place") == "pending" {
                sqlx::query("DELETE FROM pending_findings WHERE id = $1")
                    .bind(id)
                    .execute(&mut *transaction)
                    .await?;
                continue;
            }
            let case_id: i64 = row.get("case_id");
            sqlx::query(include_str!("reexplain/mark_explained.sql"))
                .bind(id)
                .bind(&by)
                .execute(&mut *transaction)
                .await?;
            append_timeline(
                &mut transaction,
                case_id,
                "finding_explained_away",
                serde_json::json!({ "finding_id": id, "rule_id": rule_id, "explanation": by }),
            )
            .await?;
            touched.insert(case_id);
        }
        for case_id in touched {
            let score = rescore(&mut transaction, settings, &outcomes, case_id).await?;
            let closed: Option<String> =
                sqlx::query_scalar(include_str!("reexplain/close_if_explained.sql"))
                    .bind(case_id)
                    .fetch_optional(&mut *transaction)
                    .await?;
            let action = match closed.as_deref() {
                Some("closed") => "case_explained_away",
                Some(_) => "case_explained_while_open",
                None => "case_score_lowered",
            };
            append_timeline(
                &mut transaction,
                case_id,
                action,
                serde_json::json!({ "score": score }),
            )
            .await?;
        }
    }
    store_watermark(&mut transaction, CARE_JOB, i64::from(until) * 1000).await?;
    transaction.commit().await?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::{margin_seconds, may_have_missed, Arrivals};

    fn arrivals(overflow: bool, staff: u32) -> Arrivals {
        Arrivals {
            patients: [("p-1".to_owned(), 1_000)].into_iter().collect(),
            overflow,
            staff,
            until: 2_000,
        }
    }

    #[test]
    fn a_patient_without_new_care_context_has_nothing_to_learn_unless_staff_changed() {
        assert_eq!(arrivals(false, 0).last_for("p-1"), 1_000);
        assert_eq!(arrivals(false, 0).last_for("p-2"), 0);
        // A staff statement may change anyone's team or organisation.
        assert_eq!(arrivals(false, 1_500).last_for("p-2"), 1_500);
        assert_eq!(arrivals(false, 500).last_for("p-1"), 1_000);
        // Too many patients to fetch: every patient counts as having care context until then.
        assert_eq!(arrivals(true, 0).last_for("p-2"), 2_000);
    }

    #[test]
    fn a_month_of_new_care_context_is_asked_about_in_parts() {
        assert_eq!(super::late_context_parts(0), 1);
        assert_eq!(super::late_context_parts(250_000), 1);
        assert_eq!(super::late_context_parts(250_001), 2);
        assert_eq!(super::late_context_parts(2_600_000), 11);
    }

    #[test]
    fn an_explanation_evaluated_within_the_margin_of_the_arrival_may_have_missed_it() {
        let margin = margin_seconds(2_000);
        assert_eq!(margin, 3);
        assert_eq!(margin_seconds(0), 1);
        assert_eq!(margin_seconds(1), 2);
        assert!(may_have_missed(900, 1_000, margin));
        assert!(may_have_missed(1_003, 1_000, margin));
        assert!(!may_have_missed(1_004, 1_000, margin));
        // Nothing arrived: nothing was missed.
        assert!(!may_have_missed(0, 0, margin));
    }
}
