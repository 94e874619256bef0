//! Per-rule outcomes of decided cases (the `rule_outcomes` view): confirmed, appropriate,
//! undetermined, explained away, open; the measured precision the scoring feeds back into the
//! ranking, and the rule performance report reads.

use serde::Serialize;
use sqlx::PgExecutor;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct RuleOutcome {
    pub rule_id: String,
    pub cases: i64,
    pub confirmed: i64,
    pub appropriate: i64,
    pub undetermined: i64,
    pub explained_away: i64,
    pub open: i64,
    pub findings: i64,
    pub findings_explained_away: i64,
}

impl RuleOutcome {
    /// confirmed / (confirmed + appropriate), `None` before any case was decided.
    pub fn precision(&self) -> Option<f64> {
        let decided = self.confirmed + self.appropriate;
        (decided > 0).then(|| self.confirmed as f64 / decided as f64)
    }
}

pub async fn rule_outcomes<'e>(
    executor: impl PgExecutor<'e>,
) -> Result<Vec<RuleOutcome>, sqlx::Error> {
    sqlx::query_as(
        "SELECT rule_id, cases, confirmed, appropriate, undetermined, explained_away, open,
                findings, findings_explained_away
         FROM rule_outcomes ORDER BY rule_id",
    )
    .fetch_all(executor)
    .await
}
