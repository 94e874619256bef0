//! Helpers for the alerts tests: cases opened the real way (an audit event through the
//! collector, the analyzer run over it), careaudit accounts, and calls to the dashboards' JSON
//! API as a signed-in user.

use crate::{patient_read, TestApp};
use domain::Timestamp;
use serde_json::Value;

impl TestApp {
    /// Posts an emergency access by `user_id` of `org_code` to patient `nhs_number`, runs the
    /// analyzer over it and returns the reference of the case it joined.
    pub async fn open_case(
        &self,
        event_id: &str,
        user_id: &str,
        org_code: &str,
        nhs_number: &str,
    ) -> String {
        let event = patient_read(
            event_id,
            user_id,
            org_code,
            nhs_number,
            "ETREAT",
            Some("covering a colleague"),
        );
        let (status, answer) = self.post_json(&event).await;
        assert_eq!(status, 201, "{answer}");
        self.wait_until_shipped().await;
        let later = Timestamp::from_millis(Timestamp::now().as_millis() + 5_000);
        // Only the emergency access rule: these cases are about the workflow, and the other
        // rules (an unexplained access, ...) would add findings of their own.
        let mut settings = self.analyzer_settings.clone();
        // Any finding opens its case here, whatever severity a test gave the rule.
        settings.cases.open_score = 0.0;
        crate::only_rules(&mut settings, &["emergency_access"]);
        analyzer::run_once(&settings, &self.clickhouse, &self.pool, later)
            .await
            .expect("analyzer run");
        sqlx::query_scalar("SELECT c.reference FROM cases c JOIN findings f ON f.case_id = c.id WHERE f.event_id = $1")
            .bind(event_id)
            .fetch_one(&self.pool)
            .await
            .expect("the event's case")
    }

    /// A careaudit account `username` (password `pw-<username>`) with one role.
    pub async fn account(&self, username: &str, role: &'static str, org_code: Option<&str>) {
        dashboards::create_account(
            &self.pool,
            username,
            username,
            &format!("pw-{username}"),
            &[dashboards::AccountRole {
                role,
                org_code: org_code.map(str::to_owned),
            }],
        )
        .await
        .expect("create account");
    }

    /// The current version of a case.
    pub async fn case_version(&self, reference: &str) -> i32 {
        sqlx::query_scalar("SELECT version FROM cases WHERE reference = $1")
            .bind(reference)
            .fetch_one(&self.pool)
            .await
            .expect("case version")
    }

    /// `method` `path` on the dashboards as `username` with a JSON body; the status and answer.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        username: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.dashboards_url))
            .basic_auth(username, Some(format!("pw-{username}")));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("dashboards reachable");
        let status = response.status().as_u16();
        let text = response.text().await.expect("answer body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn api_post(&self, path: &str, username: &str, body: Value) -> (u16, Value) {
        self.api(reqwest::Method::POST, path, username, Some(body))
            .await
    }

    pub async fn api_get(&self, path: &str, username: &str) -> (u16, Value) {
        self.api(reqwest::Method::GET, path, username, None).await
    }

    /// The actions on a case's timeline, oldest first, with their actors.
    pub async fn timeline(&self, reference: &str) -> Vec<(String, String)> {
        sqlx::query_as(
            "SELECT t.actor, t.action FROM case_timeline t JOIN cases c ON c.id = t.case_id
             WHERE c.reference = $1 ORDER BY t.id",
        )
        .bind(reference)
        .fetch_all(&self.pool)
        .await
        .expect("timeline")
    }
}
