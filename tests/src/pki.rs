//! A throwaway PKI for the syslog TLS tests, made with the `openssl` command line: a CA that
//! careaudit trusts, a server certificate for the collector, a client certificate for an
//! exchange node, and a client certificate from a CA careaudit does not trust.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct TestPki {
    directory: tempfile::TempDir,
}

fn openssl(directory: &Path, arguments: &[&str]) {
    let output = Command::new("openssl")
        .args(arguments)
        .current_dir(directory)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {arguments:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn issue(directory: &Path, name: &str, subject: &str, ca: &str, extensions: &str) {
    openssl(
        directory,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &format!("{name}.key"),
        ],
    );
    openssl(
        directory,
        &[
            "req",
            "-new",
            "-key",
            &format!("{name}.key"),
            "-subj",
            subject,
            "-out",
            &format!("{name}.csr"),
        ],
    );
    std::fs::write(directory.join(format!("{name}.ext")), extensions).expect("extension file");
    openssl(
        directory,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

fn certificate_authority(directory: &Path, name: &str, subject: &str) {
    openssl(
        directory,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &format!("{name}.key"),
        ],
    );
    openssl(
        directory,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            &format!("{name}.key"),
            "-subj",
            subject,
            "-days",
            "2",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

pub const TRUSTED_NODE: &str = "node-a.exchange.example";

impl TestPki {
    pub fn create() -> Self {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path();
        certificate_authority(path, "ca", "/CN=careaudit test exchange CA");
        certificate_authority(path, "rogue-ca", "/CN=someone else's CA");
        issue(path, "server", "/CN=localhost", "ca", "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n");
        let client_extensions =
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n";
        issue(
            path,
            "client",
            &format!("/O=Test Exchange/CN={TRUSTED_NODE}"),
            "ca",
            client_extensions,
        );
        issue(
            path,
            "rogue",
            "/CN=rogue.example",
            "rogue-ca",
            client_extensions,
        );
        Self { directory }
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.directory.path().join(name)
    }

    pub fn tls_settings(&self, listen: std::net::SocketAddr) -> collector::TlsSettings {
        collector::TlsSettings {
            listen,
            certificate: self.file("server.pem"),
            private_key: self.file("server.key"),
            client_ca: self.file("ca.pem"),
        }
    }
}
