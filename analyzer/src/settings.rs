//! The analyzer's settings (`[analyzer]` in careaudit's configuration): the schedule and windows
//! of both paths, the explanation windows per relationship kind, the case grouping and scoring,
//! and per rule `enabled`, `severity`, `schedule`, `explained_away_at`, `explained_away_by` and
//! its parameters.
//! Every rule and parameter name is checked against the registry at start-up, so a typo is an
//! error rather than a silently ignored setting.

use crate::error::AnalyzerError;
use crate::explain::StoredExplanation;
use crate::rules::{Binding, ParamDefault, Rule, REGISTRY};
use domain::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::str::FromStr;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AnalyzerSettings {
    /// Cron expression with seconds (`sec min hour day-of-month month day-of-week`) of the
    /// scheduled rules.
    pub schedule: String,
    /// How long after ClickHouse stored an event it is considered settled (an insert that
    /// started earlier has committed), in milliseconds.
    pub settle_ms: i64,
    /// How far before its watermark each scheduled window starts again, in milliseconds.
    pub overlap_ms: i64,
    /// At most this much stored time is evaluated as one window, in milliseconds (0: no
    /// limit). A longer catch-up (a new installation over a month of history, a restart after
    /// an outage) is evaluated as a sequence of windows this long, each committing its
    /// watermark, so a query's memory and a transaction's size stay bounded by it, and a stop
    /// mid-way resumes from the last step.
    pub max_window_ms: i64,
    /// The stretch of recent accesses (occurred time, in days before the run's window end)
    /// over which an organisation is judged mostly unexplained, so that the rules built on
    /// "unexplained" skip its users (`job/mostly_unexplained_orgs.sql`).
    pub unexplained_org_lookback_days: f64,
    /// Findings about the same user this close in time join one case, in seconds.
    pub grouping_window_seconds: f64,
    /// A finding about a user and a patient that an open case of the user already covers joins
    /// that case however long ago its accesses were (a user returning to a relative's record
    /// weeks later adds to the case an officer is already working, not a second one); once the
    /// case is closed, a new finding opens a new case, which counts the closed one as history.
    pub join_open_case_of_patient: bool,
    /// A finding about a user with an open case whose accesses are within this many days joins
    /// that case, unless it is more severe than the case (a more severe finding opens a case of
    /// its own, and its notification, as it would for a user without a case): one case per user
    /// under review, however their accesses spread over the weeks, rather than a case per
    /// grouping window whose every successor scores the one before as repeat behaviour. 0 joins
    /// only within the grouping window.
    pub join_open_case_of_user_days: f64,
    /// ClickHouse's `priority` of the scheduled runs' queries and of the near-real-time
    /// explanation of new events (smaller is more urgent; 0: no priority). ClickHouse pauses a
    /// query while one of a more urgent priority runs, so with the fast rules' polls at 1 a
    /// long scheduled query or a bulk explanation on a busy server does not delay them.
    pub clickhouse_priority: u8,
    pub near_real_time: NearRealTimeSettings,
    pub explanation: ExplanationSettings,
    pub cases: CaseSettings,
    /// Per rule id.
    pub rules: BTreeMap<String, RuleSettings>,
}

impl Default for AnalyzerSettings {
    fn default() -> Self {
        Self {
            schedule: "0 */5 * * * *".to_owned(),
            settle_ms: 2_000,
            overlap_ms: 60_000,
            max_window_ms: 86_400_000,
            unexplained_org_lookback_days: 35.0,
            grouping_window_seconds: 72.0 * 3600.0,
            join_open_case_of_patient: true,
            join_open_case_of_user_days: 28.0,
            clickhouse_priority: 2,
            near_real_time: NearRealTimeSettings::default(),
            explanation: ExplanationSettings::default(),
            cases: CaseSettings::default(),
            rules: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct NearRealTimeSettings {
    pub enabled: bool,
    pub poll_interval_ms: u64,
    /// As the scheduled runs' `settle_ms`, for the polls. 0 by default: a poll reads up to the
    /// last whole second ClickHouse has stored, and an insert that commits later than a poll
    /// passed its stored second is read by the next polls' `overlap_ms` (a finding already
    /// recorded is a duplicate, never a second finding).
    pub settle_ms: i64,
    pub overlap_ms: i64,
    /// ClickHouse's `priority` of the fast rules' polls (see `AnalyzerSettings::clickhouse_priority`).
    pub clickhouse_priority: u8,
}

impl Default for NearRealTimeSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            poll_interval_ms: 500,
            settle_ms: 0,
            overlap_ms: 10_000,
            clickhouse_priority: 1,
        }
    }
}

/// How long before its start and after its end each kind of relationship still explains an
/// access, in days.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct KindWindow {
    pub before_days: f64,
    pub after_days: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ExplanationSettings {
    /// Per relationship kind; a kind missing here does not explain accesses.
    pub windows: BTreeMap<String, KindWindow>,
    /// How long after an access explained by a relationship the same user's later accesses
    /// to the patient are explained as continuity of care (`prior_episode`), in days.
    pub prior_episode_days: f64,
    /// Open findings younger than this are re-explained when care context arrives later.
    pub reexplain_max_age_days: f64,
    /// When care context arrives late, also re-explain every unexplained access (as young) of
    /// the patients it is about, not only the accesses with standing findings.
    pub reexplain_accesses: bool,
    /// Cover within the integrated care system (`covering_appointment`).
    pub covering: CoveringSettings,
}

/// Cover within the integrated care system: an access by a clinician of a peer organisation in
/// the patient's integrated care system, within hours of an appointment of the patient at their
/// own practice, is explained at the `system` level (`covering_appointment`). A duty doctor of
/// a neighbouring practice covering a home visit or a session leaves exactly this trace, and no
/// feed names who covers whom.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct CoveringSettings {
    pub enabled: bool,
    /// Relationship kinds whose end (an appointment's end) is the time covered; kinds without
    /// an end (open encounters) are never used.
    pub kinds: Vec<String>,
    /// An access this long before the appointment's end is covered, in hours.
    pub before_hours: f64,
    /// An access this long after the appointment's end is covered, in hours.
    pub after_hours: f64,
    /// Only organisations of the practice's own type (practice for practice) cover.
    pub same_org_type: bool,
    /// National RBAC role codes of who may cover (the access's roles or the staff directory's);
    /// empty: any role.
    pub roles: Vec<String>,
}

impl Default for CoveringSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            kinds: vec!["appointment".to_owned()],
            before_hours: 2.0,
            after_hours: 12.0,
            same_org_type: true,
            roles: vec!["R8000".to_owned()],
        }
    }
}

impl Default for ExplanationSettings {
    fn default() -> Self {
        let window = |before_days, after_days| KindWindow {
            before_days,
            after_days,
        };
        let windows = [
            ("registration", window(0.0, 30.0)),
            ("encounter", window(7.0, 30.0)),
            ("episode_of_care", window(7.0, 30.0)),
            ("referral", window(7.0, 30.0)),
            ("appointment", window(14.0, 30.0)),
            ("care_team", window(7.0, 30.0)),
            ("clinician", window(7.0, 30.0)),
        ]
        .into_iter()
        .map(|(kind, window)| (kind.to_owned(), window))
        .collect();
        Self {
            windows,
            prior_episode_days: 14.0,
            reexplain_max_age_days: 30.0,
            reexplain_accesses: true,
            covering: CoveringSettings::default(),
        }
    }
}

/// When findings become a case, and how cases rank.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct CaseSettings {
    /// A user's findings open a case once their score reaches this (a high finding does; a
    /// medium one with an unexplained access; low findings need several patients).
    pub open_score: f64,
    /// Weight of the statistical evidence: per unit of −log10(p), capped at 10.
    pub statistics_weight: f64,
    /// Weight per doubling of the number of patients the case covers.
    pub patients_weight: f64,
    /// Weight per earlier case about the same user (confirmed ones count three times).
    pub repeat_weight: f64,
    /// Prior precision of a rule before outcomes are recorded, and how many outcomes it is
    /// worth (a Beta prior): a rule's weight is scaled by its measured precision over this.
    pub prior_precision: f64,
    pub prior_strength: f64,
}

impl Default for CaseSettings {
    fn default() -> Self {
        Self {
            open_score: 4.0,
            statistics_weight: 1.0,
            patients_weight: 2.0,
            repeat_weight: 3.0,
            prior_precision: 0.5,
            prior_strength: 4.0,
        }
    }
}

/// A parameter value as configured.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    Int(i64),
    Float(f64),
    Codes(Vec<String>),
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RuleSettings {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
    /// A cron expression for this rule alone (scheduled rules; default: the analyzer's).
    pub schedule: Option<String>,
    /// `system`, `organisation`, `team`, `user` or `never`.
    pub explained_away_at: Option<String>,
    /// Explanation kinds (`registration`, `encounter`, ...) that explain a finding away whatever
    /// their binding; `[]` for none (default: the rule's own list).
    pub explained_away_by: Option<Vec<String>>,
    #[serde(flatten)]
    pub params: BTreeMap<String, ParamValue>,
}

/// One rule with its settings resolved.
#[derive(Debug, Clone)]
pub struct ConfiguredRule {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub schedule: Option<cron::Schedule>,
    pub explained_away_at: Option<Binding>,
    pub explained_away_by: Vec<String>,
    pub params: BTreeMap<String, ParamValue>,
}

impl ConfiguredRule {
    /// Whether any explanation can explain a finding of this rule away.
    pub(crate) fn explainable(&self) -> bool {
        self.explained_away_at.is_some() || !self.explained_away_by.is_empty()
    }

    /// Whether `explanation` explains a finding of this rule away: it binds at or above the
    /// rule's level, or it is of one of the rule's explaining kinds.
    pub(crate) fn explained_away(&self, explanation: &StoredExplanation) -> bool {
        let Some(binding) = explanation.binding() else {
            return false;
        };
        self.explained_away_at.is_some_and(|level| binding >= level)
            || self.explained_away_by.contains(&explanation.kind)
    }
}

impl AnalyzerSettings {
    /// `max_window_ms` in whole seconds (what windows are made of), `None` without a limit.
    pub(crate) fn max_window_seconds(&self) -> Option<u32> {
        (self.max_window_ms > 0).then(|| {
            u32::try_from(self.max_window_ms / 1000)
                .unwrap_or(u32::MAX)
                .max(1)
        })
    }

    /// Every enabled rule with its settings, or the first problem with the settings.
    pub fn configured_rules(&self) -> Result<Vec<ConfiguredRule>, AnalyzerError> {
        cron::Schedule::from_str(&self.schedule).map_err(|error| {
            AnalyzerError::Settings(format!("schedule {:?}: {error}", self.schedule))
        })?;
        if self.max_window_ms != 0 && self.max_window_ms < 1_000 {
            return Err(AnalyzerError::Settings(format!(
                "max_window_ms {} is neither 0 (no limit) nor at least 1000 (windows are whole seconds)",
                self.max_window_ms
            )));
        }
        if !self.join_open_case_of_user_days.is_finite() || self.join_open_case_of_user_days < 0.0 {
            return Err(AnalyzerError::Settings(format!(
                "join_open_case_of_user_days {} is not a number of days (0 or more)",
                self.join_open_case_of_user_days
            )));
        }
        if self.unexplained_org_lookback_days.is_nan() || self.unexplained_org_lookback_days <= 0.0
        {
            return Err(AnalyzerError::Settings(format!(
                "unexplained_org_lookback_days {} is not a positive number of days",
                self.unexplained_org_lookback_days
            )));
        }
        for id in self.rules.keys() {
            if crate::rules::find(id).is_none() {
                return Err(AnalyzerError::Settings(format!("unknown rule {id:?}")));
            }
        }
        // The kinds an explanation can have: one per relationship window, and the derived ones.
        let kinds: Vec<&str> = self
            .explanation
            .windows
            .keys()
            .map(String::as_str)
            .chain(crate::explain::DERIVED_KINDS)
            .collect();
        let mut configured = Vec::new();
        for rule in REGISTRY.iter().copied() {
            let settings = self.rules.get(rule.id).cloned().unwrap_or_default();
            if settings.enabled == Some(false) {
                continue;
            }
            configured.push(configure(rule, settings, &kinds)?);
        }
        Ok(configured)
    }
}

fn configure(
    rule: &'static Rule,
    settings: RuleSettings,
    kinds: &[&str],
) -> Result<ConfiguredRule, AnalyzerError> {
    let problem = |text: String| AnalyzerError::Settings(format!("rule {}: {text}", rule.id));
    let mut params = BTreeMap::new();
    for param in rule.params {
        params.insert(param.name.to_owned(), param.default.to_value());
    }
    for (name, value) in settings.params {
        let Some(param) = rule.params.iter().find(|param| param.name == name) else {
            return Err(problem(format!("unknown parameter {name:?}")));
        };
        let value = match (param.default, value) {
            (ParamDefault::Int(_), ParamValue::Int(v)) => ParamValue::Int(v),
            (ParamDefault::Float(_), ParamValue::Int(v)) => ParamValue::Float(v as f64),
            (ParamDefault::Float(_), ParamValue::Float(v)) => ParamValue::Float(v),
            (ParamDefault::Codes(_), ParamValue::Codes(v)) => ParamValue::Codes(v),
            (_, other) => {
                return Err(problem(format!(
                    "parameter {name:?} has the wrong kind of value {other:?}"
                )))
            }
        };
        params.insert(name, value);
    }
    let schedule = settings
        .schedule
        .map(|expression| {
            cron::Schedule::from_str(&expression)
                .map_err(|error| problem(format!("schedule {expression:?}: {error}")))
        })
        .transpose()?;
    let explained_away_at = match settings.explained_away_at.as_deref() {
        None => rule.explained_away_at,
        Some("never") => None,
        Some(raw) => Some(Binding::parse(raw).ok_or_else(|| {
            problem(format!(
                "explained_away_at {raw:?} is not system, organisation, team, user or never"
            ))
        })?),
    };
    let explained_away_by = match settings.explained_away_by {
        None => rule
            .explained_away_by
            .iter()
            .map(|&kind| kind.to_owned())
            .collect(),
        Some(named) => {
            if let Some(unknown) = named.iter().find(|kind| !kinds.contains(&kind.as_str())) {
                return Err(problem(format!(
                    "explained_away_by names {unknown:?}, not an explanation kind ({})",
                    kinds.join(", ")
                )));
            }
            named
        }
    };
    Ok(ConfiguredRule {
        rule,
        severity: settings.severity.unwrap_or(rule.default_severity),
        schedule,
        explained_away_at,
        explained_away_by,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_configure_every_rule() {
        let rules = AnalyzerSettings::default()
            .configured_rules()
            .expect("defaults are valid");
        assert_eq!(rules.len(), REGISTRY.len());
    }

    #[test]
    fn overrides_apply_and_typos_are_refused() {
        let mut settings = AnalyzerSettings::default();
        let mut volume = RuleSettings {
            severity: Some(Severity::Critical),
            ..RuleSettings::default()
        };
        volume
            .params
            .insert("fdr".to_owned(), ParamValue::Float(0.01));
        settings.rules.insert("volume_spike".to_owned(), volume);
        settings.rules.insert(
            "no_relationship".to_owned(),
            RuleSettings {
                enabled: Some(false),
                ..RuleSettings::default()
            },
        );
        let rules = settings.configured_rules().expect("valid");
        assert_eq!(rules.len(), REGISTRY.len() - 1);
        let spike = rules
            .iter()
            .find(|r| r.rule.id == "volume_spike")
            .expect("present");
        assert_eq!(spike.severity, Severity::Critical);
        assert_eq!(spike.params.get("fdr"), Some(&ParamValue::Float(0.01)));

        let mut typo = AnalyzerSettings::default();
        let mut bad = RuleSettings::default();
        bad.params
            .insert("fdrr".to_owned(), ParamValue::Float(0.01));
        typo.rules.insert("volume_spike".to_owned(), bad);
        assert!(typo.configured_rules().is_err());
        let mut unknown = AnalyzerSettings::default();
        unknown
            .rules
            .insert("snooping".to_owned(), RuleSettings::default());
        assert!(unknown.configured_rules().is_err());
    }

    fn explanation(kind: &str, binding: &str) -> StoredExplanation {
        StoredExplanation {
            event_id: "e-1".to_owned(),
            explained: u8::from(!binding.is_empty()),
            kind: kind.to_owned(),
            binding: binding.to_owned(),
            relationship_id: String::new(),
            source_channel: String::new(),
            source_message_id: String::new(),
            evaluated: 0,
        }
    }

    fn configured(settings: &AnalyzerSettings, id: &str) -> ConfiguredRule {
        settings
            .configured_rules()
            .expect("valid")
            .into_iter()
            .find(|r| r.rule.id == id)
            .expect("enabled")
    }

    #[test]
    fn a_vip_look_is_explained_by_the_practice_registration_not_by_an_admission() {
        let vip = configured(&AnalyzerSettings::default(), "vip_patient");
        assert!(vip.explained_away(&explanation("registration", "organisation")));
        assert!(!vip.explained_away(&explanation("encounter", "organisation")));
        assert!(vip.explained_away(&explanation("same_team", "team")));
        assert!(vip.explained_away(&explanation("clinician", "user")));
        assert!(!vip.explained_away(&explanation("", "")));
        // A registration the explanation did not find is no explanation.
        let mut unexplained = explanation("registration", "organisation");
        unexplained.explained = 0;
        assert!(!vip.explained_away(&unexplained));
        // Rules without explaining kinds go by the binding alone.
        let coworker = configured(&AnalyzerSettings::default(), "coworker");
        assert!(!coworker.explained_away(&explanation("registration", "organisation")));
        let emergency = configured(&AnalyzerSettings::default(), "emergency_access");
        assert!(!emergency.explainable());
        assert!(!emergency.explained_away(&explanation("clinician", "user")));
    }

    #[test]
    fn explaining_kinds_can_be_cleared_or_set_and_unknown_kinds_are_refused() {
        let mut settings = AnalyzerSettings::default();
        settings.rules.insert(
            "vip_patient".to_owned(),
            RuleSettings {
                explained_away_by: Some(Vec::new()),
                ..RuleSettings::default()
            },
        );
        let strict = configured(&settings, "vip_patient");
        assert!(!strict.explained_away(&explanation("registration", "organisation")));
        settings.rules.insert(
            "coworker".to_owned(),
            RuleSettings {
                explained_away_by: Some(vec!["referral".to_owned()]),
                ..RuleSettings::default()
            },
        );
        let coworker = configured(&settings, "coworker");
        assert!(coworker.explained_away(&explanation("referral", "organisation")));
        settings.rules.insert(
            "coworker".to_owned(),
            RuleSettings {
                explained_away_by: Some(vec!["registraton".to_owned()]),
                ..RuleSettings::default()
            },
        );
        let error = settings.configured_rules().expect_err("a typo");
        assert!(error.to_string().contains("registraton"), "{error}");
    }
}
