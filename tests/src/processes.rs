//! Real processes for fault tests: a private ClickHouse server that a test may stop and start
//! (through `scripts/services clickhouse-up|down`), and the `careaudit` binary run as a child
//! process that a test may kill with SIGKILL.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// A port that was free a moment ago (bind to port 0, then release it).
pub fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    probe.local_addr().expect("address").port()
}

fn repository() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// A ClickHouse server of the test's own, in a temporary directory.
pub struct PrivateClickHouse {
    directory: tempfile::TempDir,
    pub http_port: u16,
    tcp_port: u16,
    interserver_port: u16,
}

impl PrivateClickHouse {
    pub async fn start() -> Self {
        let server = Self {
            directory: tempfile::tempdir().expect("temporary directory"),
            http_port: free_port(),
            tcp_port: free_port(),
            interserver_port: free_port(),
        };
        server.up().await;
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    fn command(&self, action: &str) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(repository().join("scripts/services"));
        command
            .arg(action)
            .env("CAREAUDIT_SERVICES_DIR", self.directory.path())
            .env("CAREAUDIT_CH_HTTP_PORT", self.http_port.to_string())
            .env("CAREAUDIT_CH_TCP_PORT", self.tcp_port.to_string())
            .env(
                "CAREAUDIT_CH_INTERSERVER_PORT",
                self.interserver_port.to_string(),
            )
            .stdout(Stdio::null());
        command
    }

    pub async fn up(&self) {
        let status = self
            .command("clickhouse-up")
            .status()
            .await
            .expect("run scripts/services");
        assert!(status.success(), "private ClickHouse did not start");
    }

    pub async fn down(&self) {
        let status = self
            .command("clickhouse-down")
            .status()
            .await
            .expect("run scripts/services");
        assert!(status.success(), "private ClickHouse did not stop");
    }
}

impl Drop for PrivateClickHouse {
    fn drop(&mut self) {
        let _ = std::process::Command::new(repository().join("scripts/services"))
            .arg("clickhouse-down")
            .env("CAREAUDIT_SERVICES_DIR", self.directory.path())
            .env("CAREAUDIT_CH_HTTP_PORT", self.http_port.to_string())
            .env("CAREAUDIT_CH_TCP_PORT", self.tcp_port.to_string())
            .stdout(Stdio::null())
            .status();
    }
}

/// The `careaudit` binary built by this `cargo test` run.
pub fn careaudit_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository().join("target"));
    let binary = target.join("debug/careaudit");
    assert!(
        binary.exists(),
        "{} not built (run the suite with `cargo test --workspace`)",
        binary.display()
    );
    binary
}

/// `careaudit collector` as a child process, configured through environment variables.
pub struct CollectorProcess {
    child: tokio::process::Child,
}

impl CollectorProcess {
    pub async fn start(environment: &[(String, String)], http_url: &str) -> Self {
        let mut command = tokio::process::Command::new(careaudit_binary());
        command
            .arg("collector")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (key, value) in environment {
            command.env(key, value);
        }
        let child = command.spawn().expect("start careaudit collector");
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client
                .get(format!("{http_url}/healthz"))
                .send()
                .await
                .is_ok()
            {
                return Self { child };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("careaudit collector did not answer at {http_url}");
    }

    /// SIGKILL: no shutdown, no flush, no drain.
    pub async fn kill_hard(&mut self) {
        self.child.start_kill().expect("SIGKILL");
        let _ = self.child.wait().await;
    }

    /// SIGTERM, then wait for the graceful shutdown to finish.
    pub async fn terminate(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = tokio::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(40), self.child.wait()).await;
    }
}

/// `careaudit alerts` as a child process (it has no port to wait on: it is running once
/// spawned, and the test watches what it sends).
pub struct AlertsProcess {
    child: tokio::process::Child,
}

impl AlertsProcess {
    pub fn start(environment: &[(String, String)]) -> Self {
        let mut command = tokio::process::Command::new(careaudit_binary());
        command
            .arg("alerts")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (key, value) in environment {
            command.env(key, value);
        }
        Self {
            child: command.spawn().expect("start careaudit alerts"),
        }
    }

    /// SIGKILL: no shutdown, nothing after the point it had reached.
    pub async fn kill_hard(&mut self) {
        self.child.start_kill().expect("SIGKILL");
        let _ = self.child.wait().await;
    }
}
