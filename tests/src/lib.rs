//! Test helpers: every integration test gets its own ClickHouse database and PostgreSQL
//! database (named after the test), its own SMTP sink, and careaudit's components on random
//! ports, all real. The servers are the throwaway ones of `scripts/services`; when one is not
//! running the test fails loudly with the command to start it.

mod case_helpers;
mod pki;
mod privacy;
mod processes;
mod smtp_sink;
mod web;
mod webhook_receiver;

pub use pki::{TestPki, TRUSTED_NODE};
pub use privacy::{ForbiddenTerms, PrivacyGuard};
pub use processes::{
    careaudit_binary, free_port, AlertsProcess, CollectorProcess, PrivateClickHouse,
};
pub use smtp_sink::{SinkOptions, SmtpSink};
pub use web::{csrf_in, WebClient};
pub use webhook_receiver::{Received, WebhookReceiver};

use migrations::{ClickHouseSettings, PostgresSettings, StoreSettings};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const START_SERVICES: &str = "start them with `scripts/services up` (or run `scripts/test`)";

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

/// A database name for `test_name`, unique per run, valid in both stores.
fn database_name(test_name: &str) -> String {
    let cleaned: String = test_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("t_{cleaned}_{}", &suffix[..8])
}

/// Fresh, empty stores for one test (migrations not applied).
pub async fn fresh_stores(test_name: &str) -> StoreSettings {
    let name = database_name(test_name);
    let base_url = env_or(
        "CAREAUDIT__POSTGRES__URL",
        "postgres://postgres@127.0.0.1:15433/careaudit",
    );
    let admin = PostgresSettings {
        url: SecretString::from(base_url.clone()),
        max_connections: 1,
    };
    let pool = admin.connect().await.unwrap_or_else(|error| {
        panic!("PostgreSQL at {base_url} is not reachable ({error}); {START_SERVICES}")
    });
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&pool)
        .await
        .expect("create the test's PostgreSQL database");
    pool.close().await;
    let (server, _) = base_url
        .rsplit_once('/')
        .expect("postgres URL has a database path");
    let clickhouse = ClickHouseSettings {
        url: env_or("CAREAUDIT__CLICKHOUSE__URL", "http://127.0.0.1:18123"),
        database: name.clone(),
        user: "default".to_owned(),
        password: SecretString::from(String::new()),
        settings: Default::default(),
    };
    let reachable = clickhouse
        .server_client()
        .query("SELECT 1")
        .fetch_one::<u8>()
        .await;
    if let Err(error) = reachable {
        panic!(
            "ClickHouse at {} is not reachable ({error}); {START_SERVICES}",
            clickhouse.url
        );
    }
    StoreSettings {
        clickhouse,
        postgres: PostgresSettings {
            url: SecretString::from(format!("{server}/{name}")),
            max_connections: 5,
        },
    }
}

/// Which background loops a test wants running (some tests drive them by hand instead).
#[derive(Debug, Clone, Copy)]
pub struct Background {
    pub analyzer: bool,
    pub alerts: bool,
}

impl Background {
    pub const ALL: Self = Self {
        analyzer: true,
        alerts: true,
    };
    pub const NONE: Self = Self {
        analyzer: false,
        alerts: false,
    };
}

/// careaudit running for one test.
pub struct TestApp {
    pub stores: StoreSettings,
    pub pool: sqlx::PgPool,
    pub clickhouse: clickhouse::Client,
    pub smtp: SmtpSink,
    pub collector_url: String,
    pub dashboards_url: String,
    /// The syslog listeners: plain TCP, UDP and (with [`TestApp::spawn_with_tls`]) TLS.
    pub syslog_tcp: std::net::SocketAddr,
    pub syslog_udp: std::net::SocketAddr,
    pub syslog_tls: Option<std::net::SocketAddr>,
    /// The HL7 v2 MLLP listener.
    pub mllp: std::net::SocketAddr,
    pub wal_dir: tempfile::TempDir,
    pub analyzer_settings: analyzer::AnalyzerSettings,
    pub alerts_settings: alerts::AlertsSettings,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub const TEST_BASE_URL: &str = "https://careaudit.test";

impl TestApp {
    pub async fn spawn(test_name: &str, background: Background) -> Self {
        Self::spawn_with(test_name, background, None, Vec::new()).await
    }

    /// With these OpenID providers configured for sign-in to the dashboards.
    pub async fn spawn_with_oidc(
        test_name: &str,
        background: Background,
        providers: Vec<dashboards::OidcProviderSettings>,
    ) -> Self {
        Self::spawn_with(test_name, background, None, providers).await
    }

    /// Also listens for syslog over TLS with `pki`'s certificates.
    pub async fn spawn_with_tls(test_name: &str, background: Background, pki: &TestPki) -> Self {
        Self::spawn_with(test_name, background, Some(pki), Vec::new()).await
    }

    async fn spawn_with(
        test_name: &str,
        background: Background,
        pki: Option<&TestPki>,
        oidc: Vec<dashboards::OidcProviderSettings>,
    ) -> Self {
        let stores = fresh_stores(test_name).await;
        migrations::migrate_all(&stores)
            .await
            .expect("migrations apply");
        let pool = stores
            .postgres
            .connect()
            .await
            .expect("connect to the test database");
        let mut smtp = SmtpSink::start().await;
        smtp.watch_for_patient_data(PrivacyGuard::new(stores.clone()));
        let shutdown = CancellationToken::new();

        let collector_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind collector");
        let collector_url = format!(
            "http://{}",
            collector_listener.local_addr().expect("address")
        );
        let wal_dir = tempfile::tempdir().expect("wal directory");
        let loopback = |port: u16| std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let (syslog_tcp, syslog_udp) = (loopback(free_port()), loopback(free_port()));
        let syslog_tls = pki.map(|_| loopback(free_port()));
        let mllp = loopback(free_port());
        let collector_settings = collector::CollectorSettings {
            listen: collector_listener.local_addr().expect("address"),
            max_body_bytes: 64 * 1024,
            max_bundle_bytes: 4 * 1024 * 1024,
            max_csv_bytes: 16 * 1024 * 1024,
            instance_id: "test-collector".to_owned(),
            wal_dir: wal_dir.path().to_owned(),
            wal_max_bytes: 256 * 1024 * 1024,
            wal_segment_bytes: 8 * 1024 * 1024,
            batch_max_records: 10_000,
            batch_max_wait_ms: 50,
            syslog: Some(collector::SyslogSettings {
                tcp_listen: Some(syslog_tcp),
                udp_listen: Some(syslog_udp),
                tls: pki
                    .zip(syslog_tls)
                    .map(|(pki, address)| pki.tls_settings(address)),
                max_message_bytes: 256 * 1024,
            }),
            mllp: Some(collector::MllpSettings {
                listen: mllp,
                tls: None,
                max_message_bytes: 1024 * 1024,
            }),
        };
        tokio::spawn(collector::serve(
            collector_listener,
            collector_settings,
            stores.clone(),
            shutdown.clone().cancelled_owned(),
        ));

        let dashboards_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind dashboards");
        let dashboards_url = format!(
            "http://{}",
            dashboards_listener.local_addr().expect("address")
        );
        let mut dashboards_settings = dashboards::DashboardSettings::for_address(
            dashboards_listener.local_addr().expect("address"),
        );
        dashboards_settings.oidc = oidc;
        tokio::spawn(dashboards::serve_with(
            dashboards_listener,
            dashboards_settings,
            stores.clone(),
            shutdown.clone().cancelled_owned(),
        ));

        let analyzer_settings = analyzer::AnalyzerSettings {
            schedule: "* * * * * *".to_owned(),
            settle_ms: 200,
            overlap_ms: 60_000,
            grouping_window_seconds: 24.0 * 3600.0,
            near_real_time: analyzer::NearRealTimeSettings {
                poll_interval_ms: 200,
                settle_ms: 1_000,
                ..analyzer::NearRealTimeSettings::default()
            },
            ..analyzer::AnalyzerSettings::default()
        };
        if background.analyzer {
            tokio::spawn(analyzer::run(
                analyzer_settings.clone(),
                stores.clone(),
                shutdown.clone().cancelled_owned(),
            ));
        }
        let alerts_settings = alerts::AlertsSettings {
            poll_interval_ms: 200,
            max_attempts: 3,
            ..alerts::AlertsSettings::new(TEST_BASE_URL, smtp.settings())
        };
        if background.alerts {
            tokio::spawn(alerts::run(
                alerts_settings.clone(),
                stores.clone(),
                shutdown.clone().cancelled_owned(),
            ));
        }
        let app = Self {
            clickhouse: stores.clickhouse.client(),
            stores,
            pool,
            smtp,
            collector_url,
            dashboards_url,
            syslog_tcp,
            syslog_udp,
            syslog_tls,
            mllp,
            wal_dir,
            analyzer_settings,
            alerts_settings,
            http: reqwest::Client::new(),
            shutdown,
        };
        wait_for("collector to answer", Duration::from_secs(10), || async {
            app.http
                .get(format!("{}/healthz", app.collector_url))
                .send()
                .await
                .is_ok()
                .then_some(())
        })
        .await;
        app
    }

    /// Posts a body to `POST /fhir/AuditEvent`; returns the status and the JSON answer.
    pub async fn post_audit_event(
        &self,
        body: Vec<u8>,
        content_type: &str,
    ) -> (reqwest::StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/fhir/AuditEvent", self.collector_url))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("collector reachable");
        let status = response.status();
        let json = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, json)
    }

    /// Posts care context to the collector (`path` such as `/load/staff` or `/fhir/Patient`)
    /// and asserts that it was accepted.
    pub async fn load(&self, path: &str, content_type: &str, body: String) {
        let response = self
            .http
            .post(format!("{}{path}", self.collector_url))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("collector reachable");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{path}: {status} {text}");
    }

    /// Posts one FHIR care resource to `POST /fhir/{its resourceType}`, asserting acceptance.
    pub async fn load_fhir(&self, resource: Value) {
        let kind = resource["resourceType"]
            .as_str()
            .expect("resourceType")
            .to_owned();
        self.load(
            &format!("/fhir/{kind}"),
            "application/fhir+json",
            resource.to_string(),
        )
        .await;
    }

    pub async fn post_json(&self, resource: &Value) -> (reqwest::StatusCode, Value) {
        self.post_audit_event(
            serde_json::to_vec(resource).expect("serialise"),
            "application/fhir+json",
        )
        .await
    }

    /// Number of stored events with this id (after deduplication), once the shipper has moved
    /// everything acknowledged so far into ClickHouse.
    pub async fn stored_events(&self, event_id: &str) -> u64 {
        self.wait_until_shipped().await;
        self.clickhouse
            .query(
                "SELECT count() FROM (SELECT event_id FROM access_events FINAL WHERE event_id = ?)",
            )
            .bind(event_id)
            .fetch_one::<u64>()
            .await
            .expect("count events")
    }

    /// The explanation rows ClickHouse holds for `event_id` (unmerged) and their latest version:
    /// how often the access was explained, and by which run last.
    pub async fn explanation_rows(&self, event_id: &str) -> (u64, u64) {
        self.clickhouse
            .query("SELECT count(), max(version) FROM access_explanations WHERE event_id = ?")
            .bind(event_id)
            .fetch_one()
            .await
            .expect("explanation rows")
    }

    /// Waits until the collector's write-ahead log has shipped everything appended so far
    /// (from its per-instance `/status`; metrics are process-wide and tests share a process).
    pub async fn wait_until_shipped(&self) {
        wait_for(
            "the shipper to catch up",
            Duration::from_secs(60),
            || async {
                let status: Value = self
                    .http
                    .get(format!("{}/status", self.collector_url))
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                let wal = &status["wal"];
                (wal["last_checkpointed_lsn"] == wal["last_appended_lsn"]).then_some(())
            },
        )
        .await;
    }

    /// Adds an organisation with a privacy officer address.
    pub async fn add_organisation(&self, ods_code: &str, officer_email: &str) {
        let organisation = alerts::Organisation {
            ods_code: ods_code.to_owned(),
            name: format!("Organisation {ods_code}"),
            privacy_officer_email: Some(officer_email.to_owned()),
        };
        alerts::upsert_organisation(&self.pool, &organisation)
            .await
            .expect("add organisation");
    }

    /// A guard that scans notifications for this test's patient data (for the extra sinks and
    /// receivers a test starts).
    pub fn privacy_guard(&self) -> PrivacyGuard {
        PrivacyGuard::new(self.stores.clone())
    }

    pub fn postgres_url(&self) -> String {
        self.stores.postgres.url.expose_secret().to_owned()
    }
}

/// Puts a test database back as it was before ClickHouse migration `version`: drops `objects`
/// (its tables and views, views first) and takes the migration out of the ledger, so that the
/// next `migrate_all` applies it to the rows already stored (a migration test's set-up).
pub async fn unapply_clickhouse_migration(
    client: &clickhouse::Client,
    version: u32,
    objects: &[&str],
) {
    let mut statements: Vec<String> = objects
        .iter()
        .map(|object| format!("DROP TABLE {object}"))
        .collect();
    statements.extend([
        "CREATE TABLE ledger_copy AS schema_migrations".to_owned(),
        format!("INSERT INTO ledger_copy SELECT * FROM schema_migrations FINAL WHERE version != {version}"),
        "DROP TABLE schema_migrations".to_owned(),
        "RENAME TABLE ledger_copy TO schema_migrations".to_owned(),
    ]);
    for statement in statements {
        client.query(&statement).execute().await.expect(&statement);
    }
}

/// Turns off every rule of the catalogue but `keep` in `settings` (a test about one rule, or
/// about the explanation alone with `keep` empty).
pub fn only_rules(settings: &mut analyzer::AnalyzerSettings, keep: &[&str]) {
    for rule in analyzer::rules::REGISTRY
        .iter()
        .filter(|r| !keep.contains(&r.id))
    {
        let off = analyzer::RuleSettings {
            enabled: Some(false),
            ..analyzer::RuleSettings::default()
        };
        settings.rules.insert(rule.id.to_owned(), off);
    }
}

/// Polls `probe` until it yields a value or `timeout` passes (then panics naming `what`).
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs one of the `scripts/chdb_*.py` checks (SQL on a current ClickHouse engine, embedded by
/// chDB) with paths relative to the repository, and returns its standard output; panics with
/// the script's output when it fails.
pub fn run_chdb_script(script: &str, repo_paths: &[&str]) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let python = std::env::var("CAREAUDIT_PYTHON")
        .unwrap_or_else(|_| format!("{root}/.services/venv/bin/python"));
    let output = std::process::Command::new(&python)
        .arg(format!("{root}/scripts/{script}"))
        .args(repo_paths.iter().map(|path| format!("{root}/{path}")))
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run {python} ({error}); run `scripts/services up` to create it")
        });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The third-party samples in `../shared/testdata` (CI keeps shared/ beside the repository).
pub fn testdata(relative: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/testdata")
        .join(relative);
    assert!(
        path.exists(),
        "third-party test data not found at {}",
        path.display()
    );
    path
}

/// A BALP PatientRead AuditEvent as the demo and the simulator send them.
pub fn patient_read(
    event_id: &str,
    user_id: &str,
    org_code: &str,
    nhs_number: &str,
    purpose: &str,
    reason: Option<&str>,
) -> Value {
    careaudit::demo::patient_read_event(&careaudit::demo::ViewSpec {
        event_id: event_id.to_owned(),
        recorded: chrono::Utc::now() - chrono::Duration::minutes(5),
        user_id: user_id.to_owned(),
        user_name: "Test Clinician".to_owned(),
        role_code: "R8000".to_owned(),
        org_code: org_code.to_owned(),
        nhs_number: nhs_number.to_owned(),
        purpose: purpose.to_owned(),
        reason: reason.map(str::to_owned),
    })
}

/// A FHIR `Encounter` in progress since `days_ago` days: `clinician` (SDS user id) of `org`
/// (ODS code) caring for the patient with NHS number `nhs` — the care context many analyzer
/// tests load to explain an access.
pub fn in_progress_encounter(
    id: &str,
    nhs: &str,
    clinician: &str,
    org: &str,
    days_ago: i64,
) -> Value {
    let start = (chrono::Utc::now() - chrono::Duration::days(days_ago)).to_rfc3339();
    serde_json::json!({"resourceType": "Encounter", "id": id, "status": "in-progress",
           "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
           "subject": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}},
           "participant": [{"individual": {"identifier": {"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": clinician}}}],
           "serviceProvider": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": org}},
           "period": {"start": start}})
}
