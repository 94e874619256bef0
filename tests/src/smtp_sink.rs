//! A real SMTP server on loopback for tests: aiosmtpd (PyPI), started per test on a free port
//! from the Python environment `scripts/services` prepares, through a small handler script
//! (`smtp_sink.py`) that can speak STARTTLS or implicit TLS with a test certificate, require
//! AUTH, and refuse messages with a 4xx/5xx reply on demand. A sink that watches for patient
//! data (every sink a [`crate::TestApp`] makes, and every sink made with
//! [`SmtpSink::start_with`]) scans everything it received when it is dropped.

use crate::privacy::PrivacyGuard;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// How the sink talks.
#[derive(Debug, Clone, Default)]
pub struct SinkOptions {
    /// `None`: plain SMTP; else STARTTLS or implicit TLS with the PKI's server certificate.
    pub tls: Option<(alerts::SmtpTls, PathBuf, PathBuf)>,
    /// A user and password every client must authenticate with.
    pub auth: Option<(String, String)>,
}

pub struct SmtpSink {
    pub port: u16,
    maildir: tempfile::TempDir,
    options: SinkOptions,
    guard: Option<PrivacyGuard>,
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
    /// A plain sink that does not scan for patient data (see [`SmtpSink::start_with`]).
    pub async fn start() -> Self {
        Self::launch(SinkOptions::default(), None).await
    }

    /// A sink with `options` whose messages are scanned for `guard`'s patient data on drop.
    pub async fn start_with(options: SinkOptions, guard: PrivacyGuard) -> Self {
        Self::launch(options, Some(guard)).await
    }

    async fn launch(options: SinkOptions, guard: Option<PrivacyGuard>) -> Self {
        let maildir = tempfile::tempdir().expect("temporary maildir");
        let script = maildir.path().join("smtp_sink.py");
        std::fs::write(&script, include_str!("smtp_sink.py")).expect("write the sink script");
        let port = crate::free_port();
        let python = python();
        let mut command = tokio::process::Command::new(&python);
        command
            .arg(&script)
            .args(["--port", &port.to_string()])
            .arg("--maildir")
            .arg(maildir.path().join("mbox"))
            .arg("--control")
            .arg(maildir.path().join("refuse"));
        if let Some((tls, certificate, key)) = &options.tls {
            let mode = match tls {
                alerts::SmtpTls::Starttls => "starttls",
                alerts::SmtpTls::Implicit => "implicit",
                alerts::SmtpTls::None => "none",
            };
            command
                .args(["--tls", mode])
                .arg("--cert")
                .arg(certificate)
                .arg("--key")
                .arg(key);
        }
        if let Some((user, password)) = &options.auth {
            command.arg("--auth").arg(format!("{user}:{password}"));
        }
        let process = command
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start the SMTP sink with {} ({error}); run `scripts/services up` first",
                    python.display()
                )
            });
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    port,
                    maildir,
                    options,
                    guard,
                    _process: process,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the SMTP sink (aiosmtpd) did not start on port {port}");
    }

    /// Scans this sink's messages for the patient data of `guard`'s stores when dropped.
    pub fn watch_for_patient_data(&mut self, guard: PrivacyGuard) {
        self.guard = Some(guard);
    }

    /// Settings that make careaudit send to this sink.
    pub fn settings(&self) -> alerts::SmtpSettings {
        let (tls, ca_certificate) = match &self.options.tls {
            // The server certificate's CA sits beside it (see TestPki).
            Some((tls, certificate, _)) => {
                (*tls, certificate.parent().map(|dir| dir.join("ca.pem")))
            }
            None => (alerts::SmtpTls::None, None),
        };
        alerts::SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port: self.port,
            tls,
            username: self.options.auth.as_ref().map(|(user, _)| user.clone()),
            password: self
                .options
                .auth
                .as_ref()
                .map(|(_, password)| password.clone().into()),
            from: "careaudit <careaudit@careaudit.test>".to_owned(),
            timeout_ms: 5_000,
            ca_certificate,
        }
    }

    /// Refuses the next `count` messages (-1: until [`SmtpSink::accept`]) with `reply`, e.g.
    /// `451 4.3.0 try again later`.
    pub fn refuse(&self, reply: &str, count: i32) {
        std::fs::write(
            self.maildir.path().join("refuse"),
            format!("{reply}\n{count}"),
        )
        .expect("write the control file");
    }

    pub fn accept(&self) {
        let _ = std::fs::remove_file(self.maildir.path().join("refuse"));
    }

    /// Every message received so far, raw (headers and body), oldest first.
    pub fn messages(&self) -> Vec<String> {
        let directory = self.maildir.path().join("mbox").join("new");
        let Ok(listing) = std::fs::read_dir(directory) else {
            return Vec::new();
        };
        let mut entries: Vec<_> = listing
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        entries.sort_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok());
        entries
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .collect()
    }

    /// The Message-ID of each message received, in order.
    pub fn message_ids(&self) -> Vec<String> {
        self.messages()
            .iter()
            .filter_map(|message| {
                message
                    .lines()
                    .find(|line| line.to_ascii_lowercase().starts_with("message-id:"))
                    .map(|line| line["message-id:".len()..].trim().to_owned())
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(guard) = &self.guard {
            guard.assert_clean(
                &format!("SMTP sink on port {}", self.port),
                &self.messages(),
            );
        }
    }
}
