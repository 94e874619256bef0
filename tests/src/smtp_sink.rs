//! A real SMTP server on loopback for tests: aiosmtpd (PyPI) with its Maildir handler, started
//! per test on a free port from the Python environment `scripts/services` prepares.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

pub struct SmtpSink {
    pub port: u16,
    maildir: tempfile::TempDir,
    _process: tokio::process::Child,
}

fn python() -> PathBuf {
    if let Ok(path) = std::env::var("CAREAUDIT_PYTHON") {
        return PathBuf::from(path);
    }
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../.services/venv/bin/python"
    ))
}

impl SmtpSink {
    pub async fn start() -> Self {
        let maildir = tempfile::tempdir().expect("temporary maildir");
        let mailbox = maildir.path().join("mbox");
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(mailbox.join(sub)).expect("maildir folders");
        }
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            probe.local_addr().expect("address").port()
        };
        let python = python();
        let process = tokio::process::Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&mailbox)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start the SMTP sink with {} ({error}); run `scripts/services up` first",
                    python.display()
                )
            });
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    port,
                    maildir,
                    _process: process,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the SMTP sink (aiosmtpd) did not start on port {port}");
    }

    /// Settings that make careaudit send to this sink.
    pub fn settings(&self) -> alerts::SmtpSettings {
        alerts::SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port: self.port,
            tls: alerts::SmtpTls::None,
            username: None,
            password: None,
            from: "careaudit <careaudit@careaudit.test>".to_owned(),
            timeout_ms: 5_000,
        }
    }

    /// Every message received so far, raw (headers and body), oldest first.
    pub fn messages(&self) -> Vec<String> {
        let directory = self.maildir.path().join("mbox").join("new");
        let mut entries: Vec<_> = std::fs::read_dir(directory)
            .expect("maildir readable")
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        entries.sort();
        entries
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .collect()
    }
}
