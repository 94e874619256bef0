//! `after_hours`: the user's accesses fall outside their own usual working pattern, learned from
//! their history rather than a fixed clock.
//!
//! Rationale: a night-shift nurse at 03:00 is at work; an office-hours clerk opening records at
//! 03:00 from home is not, and snooping concentrates outside working time when nobody looks over
//! the shoulder. The pattern is each user's smoothed share of accesses per hour of the day over
//! `lookback_days`; an hour whose share is below `min_share` is unusual for them. On a given
//! day, the number of distinct patients seen in unusual hours is tested against a Poisson with
//! mean (patients that day) × (the pattern's share of unusual hours), and the false-discovery
//! rate is controlled across every user-day tested in the run (Benjamini–Hochberg).
//!
//! Evidence: `access_by_user` (accesses per hour and active days over the lookback) and the
//! accesses of the window; the findings' evidence carries the hours, the counts and the p-value.

use super::volume_spike::{float, int};
use super::{
    Candidate, CandidateFuture, CandidateRow, Evaluation, Param, ParamDefault, Rule, RulePath,
    StatisticalInput,
};
use crate::sql::{query, BindValue};
use crate::statistics::{benjamini_hochberg, poisson_upper_tail, HourProfile};
use clickhouse::Row;
use domain::Severity;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

pub const RULE: Rule = Rule {
    id: "after_hours",
    title: "Outside the user's usual working hours",
    default_severity: Severity::Medium,
    path: RulePath::Scheduled,
    explained_away_at: None,
    explained_away_by: &[],
    params: &[
        Param {
            name: "lookback_days",
            default: ParamDefault::Int(28),
            doc: "days of history the working pattern is learned from",
        },
        Param {
            name: "min_history_days",
            default: ParamDefault::Int(10),
            doc: "active days of history needed before a user is tested",
        },
        Param {
            name: "min_share",
            default: ParamDefault::Float(0.01),
            doc: "an hour with a smaller share of the user's accesses is unusual for them",
        },
        Param {
            name: "fdr",
            default: ParamDefault::Float(0.01),
            doc: "false-discovery rate across all user-days tested in a run",
        },
        Param {
            name: "min_patients",
            default: ParamDefault::Int(3),
            doc: "distinct patients in unusual hours needed in a day",
        },
    ],
    evaluation: Evaluation::Statistical(evaluate),
    explain,
};

/// The queries of this rule (name, text), for the chDB check.
pub(crate) const SQL_FILES: &[(&str, &str)] = &[
    (
        "after_hours/events.sql",
        include_str!("after_hours/events.sql"),
    ),
    (
        "after_hours/profile.sql",
        include_str!("after_hours/profile.sql"),
    ),
    (
        "after_hours/window.sql",
        include_str!("after_hours/window.sql"),
    ),
];

fn explain(candidate: &Candidate) -> String {
    let patients = candidate.evidence["unusual_patients"].as_u64().unwrap_or(0);
    let share = candidate.evidence["unusual_share"].as_f64().unwrap_or(0.0);
    format!(
        "The user viewed {patients} patients at hours that hold {:.1}% of their usual activity.",
        share * 100.0
    )
}

#[derive(Debug, Clone, Row, Deserialize)]
struct HourCount {
    user_id: String,
    hour: u8,
    accesses: u64,
    days: u64,
}

/// One user-day tested against the user's pattern: its unusual accesses and the p-value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HoursTest {
    pub user_id: String,
    pub day: u32,
    pub patients: u64,
    pub unusual_patients: u64,
    pub unusual_share: f64,
    pub p_value: f64,
    pub unusual: Vec<usize>,
}

/// Tests every user-day of `counts` (user, day, hour, distinct patients in that hour) against
/// the user's profile; returns the rejected ones (pure: the statistics of the rule). A patient
/// seen in two unusual hours counts twice, which errs towards reporting.
pub(crate) fn unusual_days(
    profiles: &HashMap<String, (HourProfile, u64)>,
    counts: &[(String, u32, usize, u64)],
    min_history_days: u64,
    min_share: f64,
    fdr: f64,
    min_patients: u64,
) -> Vec<HoursTest> {
    let mut days: BTreeMap<(&str, u32), Vec<(usize, u64)>> = BTreeMap::new();
    for (user, day, hour, patients) in counts {
        days.entry((user.as_str(), *day))
            .or_default()
            .push((*hour, *patients));
    }
    let mut tests = Vec::new();
    for ((user, day), hours) in days {
        let Some((profile, active_days)) = profiles.get(user) else {
            continue;
        };
        if *active_days < min_history_days {
            continue;
        }
        let unusual = profile.unusual_hours(min_share);
        let share = profile.unusual_share(min_share);
        let all: u64 = hours.iter().map(|(_, p)| p).sum();
        let odd: u64 = hours
            .iter()
            .filter(|(hour, _)| unusual.contains(hour))
            .map(|(_, p)| p)
            .sum();
        let mean = all as f64 * share;
        tests.push(HoursTest {
            user_id: user.to_owned(),
            day,
            patients: all,
            unusual_patients: odd,
            unusual_share: share,
            p_value: if odd == 0 {
                1.0
            } else {
                poisson_upper_tail(odd, mean.max(1e-3))
            },
            unusual,
        });
    }
    let p_values: Vec<f64> = tests.iter().map(|test| test.p_value).collect();
    let rejected = benjamini_hochberg(&p_values, fdr);
    tests
        .into_iter()
        .zip(rejected)
        .filter(|(test, rejected)| *rejected && test.unusual_patients >= min_patients)
        .map(|(test, _)| test)
        .collect()
}

#[derive(Debug, Clone, Row, Deserialize)]
struct WindowCount {
    user_id: String,
    day: u32,
    hour: u8,
    patients: u64,
}

fn evaluate(input: StatisticalInput<'_>) -> CandidateFuture<'_> {
    Box::pin(async move {
        let lookback_days = int(input.params, "lookback_days", 28);
        let mut binds = input.window.binds();
        binds.insert("lookback_days", BindValue::UInt(lookback_days as u64));
        let hours: Vec<HourCount> = query(
            input.clickhouse,
            "after_hours/profile.sql",
            include_str!("after_hours/profile.sql"),
            &binds,
        )?
        .fetch_all()
        .await?;
        let mut counts: HashMap<String, ([u64; 24], u64)> = HashMap::new();
        for row in hours {
            let entry = counts.entry(row.user_id).or_insert(([0; 24], 0));
            entry.0[usize::from(row.hour) % 24] += row.accesses;
            entry.1 = entry.1.max(row.days);
        }
        let profiles: HashMap<String, (HourProfile, u64)> = counts
            .into_iter()
            .map(|(user, (hours, days))| (user, (HourProfile::from_counts(&hours), days)))
            .collect();
        let window_counts: Vec<WindowCount> = query(
            input.clickhouse,
            "after_hours/window.sql",
            include_str!("after_hours/window.sql"),
            &binds,
        )?
        .fetch_all()
        .await?;
        let counts: Vec<(String, u32, usize, u64)> = window_counts
            .into_iter()
            .map(|c| (c.user_id, c.day, usize::from(c.hour), c.patients))
            .collect();
        let flagged = unusual_days(
            &profiles,
            &counts,
            int(input.params, "min_history_days", 10) as u64,
            float(input.params, "min_share", 0.01),
            float(input.params, "fdr", 0.01),
            int(input.params, "min_patients", 3) as u64,
        );
        if flagged.is_empty() {
            return Ok(Vec::new());
        }
        let mut keys = Vec::new();
        let mut users = Vec::new();
        let mut by_key: HashMap<String, &HoursTest> = HashMap::new();
        for test in &flagged {
            users.push(test.user_id.clone());
            for hour in &test.unusual {
                let key = format!("{}|{}|{hour}", test.user_id, test.day);
                keys.push(key.clone());
                by_key.insert(key, test);
            }
        }
        users.dedup();
        binds.insert("users", BindValue::Texts(users));
        binds.insert("keys", BindValue::Texts(keys));
        let rows: Vec<CandidateRow> = query(
            input.clickhouse,
            "after_hours/events.sql",
            include_str!("after_hours/events.sql"),
            &binds,
        )?
        .fetch_all()
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let test = *by_key.get(&format!("{}|{}", row.user_id, row.detail))?;
                let hour = (row.occurred_at % 86_400 / 3_600) as usize;
                let mut candidate = Candidate::from(row);
                candidate.evidence = serde_json::json!({
                    "day": test.day,
                    "hour": hour,
                    "unusual_hours": test.unusual,
                    "unusual_share": test.unusual_share,
                    "patients": test.patients,
                    "unusual_patients": test.unusual_patients,
                    "p_value": test.p_value,
                });
                candidate.p_value = Some(test.p_value);
                Some(candidate)
            })
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office_worker() -> HashMap<String, (HourProfile, u64)> {
        let mut hours = [0_u64; 24];
        hours[9..17].fill(40);
        HashMap::from([("u1".to_owned(), (HourProfile::from_counts(&hours), 20))])
    }

    fn accesses(hours: &[usize]) -> Vec<(String, u32, usize, u64)> {
        let mut per_hour: BTreeMap<usize, u64> = BTreeMap::new();
        for hour in hours {
            *per_hour.entry(*hour).or_default() += 1;
        }
        per_hour
            .into_iter()
            .map(|(hour, patients)| ("u1".to_owned(), 500, hour, patients))
            .collect()
    }

    #[test]
    fn several_patients_at_night_are_flagged_but_office_hours_are_not() {
        let night = accesses(&[10, 11, 2, 2, 3, 3, 4]);
        let flagged = unusual_days(&office_worker(), &night, 10, 0.01, 0.01, 3);
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].unusual_patients, 5);
        let day = accesses(&[9, 10, 11, 12, 13, 14, 15, 16]);
        assert!(unusual_days(&office_worker(), &day, 10, 0.01, 0.01, 3).is_empty());
    }

    #[test]
    fn one_late_access_or_a_short_history_is_not_enough() {
        assert!(unusual_days(&office_worker(), &accesses(&[10, 23]), 10, 0.01, 0.01, 3).is_empty());
        let night = accesses(&[2, 2, 3, 3, 4]);
        assert!(unusual_days(&office_worker(), &night, 30, 0.01, 0.01, 3).is_empty());
    }

    #[test]
    fn the_sentence_quotes_the_pattern() {
        let mut candidate = crate::rules::testing::candidate("");
        candidate.evidence = serde_json::json!({"unusual_patients": 5, "unusual_share": 0.004});
        assert_eq!(
            (RULE.explain)(&candidate),
            "The user viewed 5 patients at hours that hold 0.4% of their usual activity."
        );
    }
}
