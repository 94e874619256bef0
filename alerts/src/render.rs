//! What notifications say, in one place. A [`Notice`] can only hold what may leave careaudit —
//! a case reference, an organisation, a severity, rule ids, a deadline, counts and a link — so
//! no email, digest, escalation, reminder, user warning or webhook payload can carry a patient
//! identifier, a name or a record detail: there is no field to put one in.

use chrono::{DateTime, NaiveDate, Utc};
use domain::Severity;
use serde::Serialize;

/// What a notification is about. Also the webhook event name and the outbox `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    CaseOpened,
    CaseShared,
    Escalation,
    BreachReminder,
    Digest,
    UserWarning,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CaseOpened => "case_opened",
            Self::CaseShared => "case_shared",
            Self::Escalation => "escalation",
            Self::BreachReminder => "breach_reminder",
            Self::Digest => "digest",
            Self::UserWarning => "user_warning",
        }
    }
}

/// One case in a digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseLine {
    pub reference: String,
    pub severity: Severity,
    pub state: String,
    pub link: String,
    /// For breach log entries: when the ICO report is due.
    pub deadline: Option<DateTime<Utc>>,
}

/// How far the 72-hour clock has run, for breach reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreachStage {
    ClockStarted,
    HoursLeft(u32),
    Overdue,
}

/// Everything a notification may say.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    pub kind: NoticeKind,
    /// The ODS code of the organisation the notification is for.
    pub organisation: String,
    pub case_reference: Option<String>,
    pub severity: Option<Severity>,
    pub rules: Vec<String>,
    pub deadline: Option<DateTime<Utc>>,
    pub breach_stage: Option<BreachStage>,
    /// For escalations: how long the case has waited, in minutes.
    pub waited_minutes: Option<i64>,
    /// Digests: the period's new cases and the counts of open ones.
    pub period: Option<String>,
    pub new_cases: Vec<CaseLine>,
    pub open_cases: i64,
    pub open_unassigned_high: i64,
    pub pending_breaches: Vec<CaseLine>,
    /// User warnings: the day of the access and where to ask questions.
    pub access_day: Option<NaiveDate>,
    pub contact: Option<String>,
    pub link: Option<String>,
}

impl Notice {
    pub fn new(kind: NoticeKind, organisation: &str) -> Self {
        Self {
            kind,
            organisation: organisation.to_owned(),
            case_reference: None,
            severity: None,
            rules: Vec::new(),
            deadline: None,
            breach_stage: None,
            waited_minutes: None,
            period: None,
            new_cases: Vec::new(),
            open_cases: 0,
            open_unassigned_high: 0,
            pending_breaches: Vec::new(),
            access_day: None,
            contact: None,
            link: None,
        }
    }

    /// A notice about one case, with the link to it.
    pub fn for_case(kind: NoticeKind, organisation: &str, reference: &str, base_url: &str) -> Self {
        let mut notice = Self::new(kind, organisation);
        notice.case_reference = Some(reference.to_owned());
        notice.link = Some(case_link(base_url, reference));
        notice
    }

    /// The webhook event name, e.g. `case.opened`.
    pub fn event(&self) -> String {
        self.kind.as_str().replacen('_', ".", 1)
    }

    /// The email subject and plain-text body.
    pub fn email(&self) -> (String, String) {
        let organisation = if self.organisation.is_empty() {
            "an unidentified organisation"
        } else {
            self.organisation.as_str()
        };
        let reference = self.case_reference.as_deref().unwrap_or("");
        let severity = self.severity.map_or("", Severity::as_str);
        let mut body = String::new();
        let subject = match self.kind {
            NoticeKind::CaseOpened => {
                body.push_str(&format!(
                    "A new case needs review by a privacy officer of {organisation}.\n\n"
                ));
                format!("[careaudit] New {severity} case {reference} for {organisation}")
            }
            NoticeKind::CaseShared => {
                body.push_str(&format!(
                    "A case has been shared with {organisation} as a joint case: the record viewed holds {organisation}'s data.\n\n"
                ));
                format!("[careaudit] Joint {severity} case {reference} shared with {organisation}")
            }
            NoticeKind::Escalation => {
                let waited = self.waited_minutes.unwrap_or(0);
                body.push_str(&format!(
                    "This {severity} case has not been picked up:\nit has been new and unassigned for {} h {} min.\n\n",
                    waited / 60,
                    waited % 60
                ));
                format!("[careaudit] ESCALATION: {severity} case {reference} for {organisation} not picked up")
            }
            NoticeKind::BreachReminder => {
                let (headline, subject) = match self.breach_stage {
                    Some(BreachStage::ClockStarted) | None => (
                        "A case was marked as a potential personal data breach. The ICO expects a report within 72 hours of becoming aware.".to_owned(),
                        format!("[careaudit] Breach clock started for case {reference} ({organisation})"),
                    ),
                    Some(BreachStage::HoursLeft(hours)) => (
                        format!("The decision whether to report this potential breach to the ICO is due in {hours} hours or less."),
                        format!("[careaudit] Breach report due within {hours} h: case {reference} ({organisation})"),
                    ),
                    Some(BreachStage::Overdue) => (
                        "The 72 hours to report this potential breach to the ICO have passed without a recorded decision.".to_owned(),
                        format!("[careaudit] OVERDUE breach report: case {reference} ({organisation})"),
                    ),
                };
                body.push_str(&headline);
                body.push_str("\n\n");
                subject
            }
            NoticeKind::Digest => {
                let period = self.period.as_deref().unwrap_or("");
                body.push_str(&format!(
                    "Your {period} careaudit digest for {organisation}.\n\n"
                ));
                body.push_str(&format!(
                    "Open cases:                 {}\n",
                    self.open_cases
                ));
                body.push_str(&format!(
                    "High severity, unassigned:  {}\n\n",
                    self.open_unassigned_high
                ));
                push_lines(&mut body, "New cases", &self.new_cases);
                push_lines(
                    &mut body,
                    "Breach reports awaiting a decision",
                    &self.pending_breaches,
                );
                format!(
                    "[careaudit] {} digest for {organisation}: {} new, {} open",
                    capitalised(period),
                    self.new_cases.len(),
                    self.open_cases
                )
            }
            NoticeKind::UserWarning => {
                let day = self
                    .access_day
                    .map(|day| day.format(" on %-d %B %Y").to_string())
                    .unwrap_or_default();
                body.push_str(&format!(
                    "Your access to a patient's shared care record{day} was reviewed by the privacy officer of {organisation}, \
                     who found that it was not part of that person's care.\n\n\
                     Only staff directly involved in a person's care may look at their record. \
                     Accesses to the shared care record are audited.\n\n"
                ));
                if let Some(contact) = &self.contact {
                    body.push_str(&format!("If you have questions, write to {contact}, quoting reference {reference}.\n\n"));
                }
                return (
                    "Your access to a shared care record was reviewed".to_owned(),
                    wrapped(&body),
                );
            }
        };
        if self.kind != NoticeKind::Digest {
            body.push_str(&format!("Case:      {reference}\n"));
            body.push_str(&format!("Severity:  {severity}\n"));
            if !self.rules.is_empty() {
                body.push_str(&format!("Rules:     {}\n", self.rules.join(", ")));
            }
            if let Some(deadline) = self.deadline {
                body.push_str(&format!(
                    "Deadline:  {}\n",
                    deadline.format("%Y-%m-%d %H:%M UTC")
                ));
            }
            body.push('\n');
        }
        if let Some(link) = &self.link {
            let label = if self.kind == NoticeKind::Digest {
                "Open the case queue"
            } else {
                "Open the case"
            };
            body.push_str(&format!("{label}: {link}\n\n"));
        }
        body.push_str("This message deliberately contains no patient or record details.\nSign in to careaudit to see the evidence.\n");
        (subject, wrapped(&body))
    }

    /// The webhook body: the same facts as JSON, with the delivery id receivers deduplicate on.
    pub fn webhook_payload(&self, delivery_id: uuid::Uuid) -> serde_json::Value {
        serde_json::json!({
            "delivery_id": delivery_id,
            "event": self.event(),
            "notice": self,
        })
    }
}

fn push_lines(body: &mut String, title: &str, lines: &[CaseLine]) {
    if lines.is_empty() {
        return;
    }
    body.push_str(&format!("{title}:\n"));
    for line in lines {
        let due = line
            .deadline
            .map(|d| d.format("  report due %Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        body.push_str(&format!(
            "  {}  {:<8}  {}{due}\n    {}\n",
            line.reference,
            line.severity.as_str(),
            line.state,
            line.link
        ));
    }
    body.push('\n');
}

/// Email lines are kept to 76 characters (words move to the next line, indented like the line
/// they came from), so mail systems send the text as written rather than re-encoded.
const LINE_LIMIT: usize = 76;

fn wrapped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.lines() {
        if line.chars().count() <= LINE_LIMIT {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let indent: String = line.chars().take_while(|c| *c == ' ').collect();
        let mut current = String::new();
        for word in line.split(' ').filter(|word| !word.is_empty()) {
            if !current.is_empty()
                && current.chars().count() + 1 + word.chars().count() > LINE_LIMIT
            {
                out.push_str(&current);
                out.push('\n');
                current.clear();
            }
            if current.is_empty() {
                current.push_str(&indent);
            } else {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push_str(&current);
        out.push('\n');
    }
    out
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The dashboards' page of a case.
pub fn case_link(base_url: &str, reference: &str) -> String {
    format!("{}/cases/{reference}", base_url.trim_end_matches('/'))
}

/// The subject and body of the "new case" email (kept for callers of the first release).
pub fn render_case_opened(
    reference: &str,
    org_code: &str,
    severity: &str,
    rules: &str,
    base_url: &str,
) -> (String, String) {
    let mut notice = Notice::for_case(NoticeKind::CaseOpened, org_code, reference, base_url);
    notice.severity = severity.parse().ok();
    notice.rules = rules
        .split(", ")
        .filter(|rule| !rule.is_empty())
        .map(str::to_owned)
        .collect();
    notice.email()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_opened_email_carries_reference_and_link_only() {
        let (subject, body) = render_case_opened(
            "CA-000042",
            "RRV",
            "high",
            "emergency_access",
            "https://careaudit.example/",
        );
        assert_eq!(subject, "[careaudit] New high case CA-000042 for RRV");
        assert!(body.contains("Open the case: https://careaudit.example/cases/CA-000042\n"));
        assert!(body.contains("Rules:     emergency_access\n"));
    }

    #[test]
    fn case_without_organisation_still_reads_well() {
        let (subject, _) = render_case_opened("CA-000001", "", "low", "x", "http://h");
        assert_eq!(
            subject,
            "[careaudit] New low case CA-000001 for an unidentified organisation"
        );
    }

    #[test]
    fn every_kind_renders_a_subject_and_the_no_patient_details_line() {
        let deadline = DateTime::parse_from_rfc3339("2026-03-05T09:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let cases: [(NoticeKind, &str); 6] = [
            (
                NoticeKind::CaseOpened,
                "[careaudit] New high case CA-000007 for RDM01",
            ),
            (
                NoticeKind::CaseShared,
                "[careaudit] Joint high case CA-000007 shared with RDM01",
            ),
            (
                NoticeKind::Escalation,
                "[careaudit] ESCALATION: high case CA-000007 for RDM01 not picked up",
            ),
            (
                NoticeKind::BreachReminder,
                "[careaudit] Breach report due within 24 h: case CA-000007 (RDM01)",
            ),
            (
                NoticeKind::Digest,
                "[careaudit] Daily digest for RDM01: 0 new, 3 open",
            ),
            (
                NoticeKind::UserWarning,
                "Your access to a shared care record was reviewed",
            ),
        ];
        for (kind, expected) in cases {
            let mut notice = Notice::for_case(kind, "RDM01", "CA-000007", "https://h");
            notice.severity = Some(Severity::High);
            notice.deadline = Some(deadline);
            notice.breach_stage = Some(BreachStage::HoursLeft(24));
            notice.period = Some("daily".to_owned());
            notice.open_cases = 3;
            notice.waited_minutes = Some(250);
            let (subject, body) = notice.email();
            assert_eq!(subject, expected);
            if kind != NoticeKind::UserWarning {
                assert!(body.contains("deliberately contains no patient"), "{body}");
            }
        }
    }

    #[test]
    fn long_lines_wrap_at_words_and_keep_their_indent() {
        let text = format!(
            "{}\n  {}\nshort\n\n",
            "word ".repeat(30).trim(),
            "x".repeat(90)
        );
        let out = wrapped(&text);
        assert!(
            out.lines()
                .all(|line| line.len() <= LINE_LIMIT || !line.trim().contains(' ')),
            "{out}"
        );
        assert!(
            out.contains(&format!("\n  {}\nshort\n\n", "x".repeat(90))),
            "a long word stays whole: {out}"
        );
        assert_eq!(
            out.split_whitespace().count(),
            text.split_whitespace().count()
        );
    }

    #[test]
    fn webhook_payload_names_the_event_and_delivery() {
        let notice = Notice::for_case(
            NoticeKind::BreachReminder,
            "RDM01",
            "CA-000009",
            "https://h",
        );
        let id = uuid::Uuid::from_u128(7);
        let payload = notice.webhook_payload(id);
        assert_eq!(payload["event"], "breach.reminder");
        assert_eq!(payload["delivery_id"], id.to_string());
        assert_eq!(payload["notice"]["case_reference"], "CA-000009");
        assert_eq!(payload["notice"]["link"], "https://h/cases/CA-000009");
    }
}
