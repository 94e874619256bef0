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
/// became visible in ClickHouse in (`since`, `until`] (stored time, seconds).
async fn late_context_accesses(
    clickhouse: &clickhouse::Client,
    since: u32,
    until: u32,
    max_age_seconds: f64,
) -> Result<Vec<String>, crate::AnalyzerError> {
    let (file, sql) = crate::explain::LATE_CONTEXT_ACCESSES;
    let mut binds = stored_window(since, until);
    binds.insert(
        "max_age_seconds",
        crate::sql::BindValue::UInt(max_age_seconds.round() as u64),
    );
    let mut events: Vec<String> = crate::sql::query(clickhouse, file, sql, &binds)?
        .fetch_all()
        .await?;
    events.sort_unstable();
    events.dedup();
    Ok(events)
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
    let arrived: u64 = crate::sql::query(clickhouse, file, sql, &stored_window(since, until))?
        .fetch_one()
        .await?;
    if arrived == 0 {
        store_watermark(&mut transaction, CARE_JOB, i64::from(until) * 1000).await?;
        transaction.commit().await?;
        return Ok(summary);
    }
    let explainable: Vec<String> = rules
        .iter()
        .filter(|r| r.explainable())
        .map(|r| r.rule.id.to_owned())
        .collect();
    let open = sqlx::query(include_str!("reexplain/open_findings.sql"))
        .bind(&explainable)
        .bind(settings.explanation.reexplain_max_age_days * 86_400.0)
        .fetch_all(&mut *transaction)
        .await?;
    let version = u64::try_from(now.as_millis()).unwrap_or(0);
    let end = u32::try_from(now.as_millis() / 1000 + 1).unwrap_or(u32::MAX);
    let everything = Window { start: 0, end };
    let max_age_seconds = settings.explanation.reexplain_max_age_days.max(0.0) * 86_400.0;
    if settings.explanation.reexplain_accesses {
        // Accesses without findings, of the patients whose care context arrived since: stored
        // after they occurred, so inside the last `max_age` (and a day for senders' clocks).
        let late = late_context_accesses(clickhouse, since, until, max_age_seconds).await?;
        let open_events: BTreeSet<&str> = open
            .iter()
            .map(|row| row.get::<&str, _>("event_id"))
            .collect();
        let late: Vec<String> = late
            .into_iter()
            .filter(|event| !open_events.contains(event.as_str()))
            .collect();
        let recent = Window {
            start: u32::try_from(now.as_millis() / 1000)
                .unwrap_or(u32::MAX)
                .saturating_sub((max_age_seconds + 86_400.0) as u32),
            end,
        };
        explain_events(clickhouse, &settings.explanation, recent, &late, version).await?;
        tracing::debug!(
            accesses = late.len(),
            "late care context: unflagged accesses explained again"
        );
    }
    if !open.is_empty() {
        let events: Vec<String> = open
            .iter()
            .map(|row| row.get::<String, _>("event_id"))
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        explain_events(
            clickhouse,
            &settings.explanation,
            everything,
            &events,
            version,
        )
        .await?;
        let keys: Vec<(String, String)> = open
            .iter()
            .map(|row| (row.get("event_id"), row.get("patient_id")))
            .collect();
        let known = explanations(clickhouse, &keys).await?;
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
