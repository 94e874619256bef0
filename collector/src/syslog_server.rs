//! The IHE ATNA (ITI-20) syslog listeners: TCP (RFC 6587, octet counting or LF framing, detected
//! per connection), TLS with mutual authentication (RFC 5425, ATNA node authentication: a
//! client without a certificate from the trusted CA is refused at the handshake, and the
//! certificate's subject is recorded on every event as the sending node) and UDP (RFC 5426).
//!
//! Each connection is a task: it reads, frames, parses and maps what arrived, submits it as one
//! group to the write-ahead log and only then reads on. When the log is full the task waits for
//! space instead of dropping anything, so TCP flow control pushes back on the sender.

use crate::atna::map_atna_message;
use crate::ingest::{derived_event_id, quarantine_entry, Ingest, IngestEntry, Source};
use crate::internal_events;
use crate::store::{compress_payload, AccessEventRow};
use crate::syslog_frame::SyslogFramer;
use crate::syslog_message::parse_syslog;
use domain::{Channel, Timestamp};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_util::sync::CancellationToken;

pub const RAW_FORMAT_SYSLOG: &str = "syslog";

#[derive(Debug, Clone, Deserialize)]
pub struct SyslogSettings {
    /// Plain TCP listener (RFC 6587), for senders on a trusted network.
    #[serde(default)]
    pub tcp_listen: Option<SocketAddr>,
    /// UDP listener (RFC 5426).
    #[serde(default)]
    pub udp_listen: Option<SocketAddr>,
    /// TLS listener with mutual authentication (RFC 5425).
    #[serde(default)]
    pub tls: Option<TlsSettings>,
    /// The largest syslog message accepted, in bytes.
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: usize,
}

fn default_max_message_bytes() -> usize {
    256 * 1024
}

#[derive(Debug, Clone, Deserialize)]
pub struct TlsSettings {
    pub listen: SocketAddr,
    /// PEM certificate chain and private key of this collector.
    pub certificate: PathBuf,
    pub private_key: PathBuf,
    /// PEM bundle of the CAs whose client certificates identify exchange nodes.
    pub client_ca: PathBuf,
}

/// Starts every configured listener; returns when `shutdown` is cancelled.
pub async fn run_syslog(
    settings: SyslogSettings,
    ingest: Ingest,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(address) = settings.tcp_listen {
        let listener = tokio::net::TcpListener::bind(address).await?;
        tasks.spawn(serve_tcp(
            listener,
            None,
            settings.max_message_bytes,
            ingest.clone(),
            shutdown.clone(),
        ));
    }
    if let Some(tls) = &settings.tls {
        let acceptor = tls_acceptor(tls)?;
        let listener = tokio::net::TcpListener::bind(tls.listen).await?;
        tasks.spawn(serve_tcp(
            listener,
            Some(acceptor),
            settings.max_message_bytes,
            ingest.clone(),
            shutdown.clone(),
        ));
    }
    if let Some(address) = settings.udp_listen {
        let socket = tokio::net::UdpSocket::bind(address).await?;
        tasks.spawn(serve_udp(socket, ingest.clone(), shutdown.clone()));
    }
    while let Some(joined) = tasks.join_next().await {
        joined??;
    }
    Ok(())
}

/// Builds the TLS acceptor: TLS 1.2+ (rustls), client certificates required and verified
/// against `client_ca`.
pub fn tls_acceptor(settings: &TlsSettings) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certificates: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(&settings.certificate)?.collect::<Result<_, _>>()?;
    let key = PrivateKeyDer::from_pem_file(&settings.private_key)?;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(&settings.client_ca)? {
        roots.add(certificate?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certificates, key)?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// The identity of a TLS peer: the subject of its (verified) client certificate.
pub(crate) fn peer_identity(connection: &rustls::ServerConnection) -> String {
    connection
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|certificate| certificate_identity(certificate.as_ref()))
        .unwrap_or_default()
}

/// The identity a client certificate presents: its subject's common name, else its first DNS
/// subject alternative name, else the whole subject.
fn certificate_identity(der: &[u8]) -> String {
    let Ok((_, certificate)) = x509_parser::parse_x509_certificate(der) else {
        return "unparseable-certificate".to_owned();
    };
    if let Some(common_name) = certificate
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
    {
        return common_name.to_owned();
    }
    if let Ok(Some(alternative_names)) = certificate.subject_alternative_name() {
        for name in &alternative_names.value.general_names {
            if let x509_parser::extensions::GeneralName::DNSName(dns) = name {
                return (*dns).to_owned();
            }
        }
    }
    certificate.subject().to_string()
}

async fn serve_tcp(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    max_message_bytes: usize,
    ingest: Ingest,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let channel = if tls.is_some() {
        Channel::SyslogTls
    } else {
        Channel::SyslogTcp
    };
    tracing::info!(address = %listener.local_addr()?, channel = channel.as_str(), "syslog listening");
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "syslog accept failed");
                    continue;
                }
            },
            () = shutdown.cancelled() => return Ok(()),
        };
        let (ingest, shutdown, tls) = (ingest.clone(), shutdown.clone(), tls.clone());
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let outcome = match tls {
                None => {
                    let source = Source {
                        node: format!("syslog:{}", peer.ip()),
                        channel,
                        authenticated_as: String::new(),
                        client_address: peer.ip().to_string(),
                    };
                    read_stream(stream, source, max_message_bytes, ingest, shutdown).await
                }
                Some(acceptor) => {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls_stream)) => {
                            let identity = peer_identity(tls_stream.get_ref().1);
                            let source = Source {
                                node: identity.clone(),
                                channel,
                                authenticated_as: identity,
                                client_address: peer.ip().to_string(),
                            };
                            read_stream(tls_stream, source, max_message_bytes, ingest, shutdown)
                                .await
                        }
                        Ok(Err(error)) => {
                            internal_events::event_rejected(
                                channel.as_str(),
                                "tls_handshake_refused",
                            );
                            tracing::info!(peer = %peer, %error, "syslog TLS handshake refused");
                            Ok(())
                        }
                        Err(_) => {
                            internal_events::event_rejected(
                                channel.as_str(),
                                "tls_handshake_timeout",
                            );
                            Ok(())
                        }
                    }
                }
            };
            if let Err(error) = outcome {
                tracing::warn!(peer = %peer, %error, "syslog connection ended with an error");
            }
        });
    }
}

/// Reads one connection to its end: frame, parse, map, submit; read on only after the submit.
async fn read_stream(
    mut stream: impl AsyncRead + Unpin,
    source: Source,
    max_message_bytes: usize,
    ingest: Ingest,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut framer = SyslogFramer::new(max_message_bytes);
    let mut buffer = vec![0_u8; 64 * 1024];
    let mut frames = Vec::new();
    loop {
        let read = tokio::select! {
            read = stream.read(&mut buffer) => read?,
            () = shutdown.cancelled() => 0,
        };
        if read == 0 {
            if let Some(last) = framer.finish() {
                frames.push(last);
            }
        } else {
            framer.push(&buffer[..read], &mut frames);
        }
        let mut fatal = false;
        let mut entries = Vec::with_capacity(frames.len());
        for frame in frames.drain(..) {
            match frame {
                Ok(message) => entries.extend(message_entries(&source, &message)),
                Err(error) => {
                    fatal |= error.fatal;
                    entries.extend(quarantine_entry(
                        &source,
                        error.reason_code,
                        &error.reason,
                        RAW_FORMAT_SYSLOG,
                        &error.raw,
                    ));
                }
            }
        }
        ingest
            .submit_patiently(source.channel, entries, &shutdown, None)
            .await?;
        if read == 0 || fatal {
            return Ok(());
        }
    }
}

/// One syslog message to storage rows (one per patient it names: a query result that shows
/// several patients is an access to each), or to quarantine with the reason.
fn message_entries(source: &Source, frame: &[u8]) -> Vec<IngestEntry> {
    internal_events::events_received(source.channel.as_str(), 1);
    let received_at = Timestamp::now();
    let quarantined = |reason_code: &'static str, reason: &str| {
        quarantine_entry(source, reason_code, reason, RAW_FORMAT_SYSLOG, frame)
            .into_iter()
            .collect()
    };
    let message = match parse_syslog(frame, received_at) {
        Ok(message) => message,
        Err(error) => return quarantined(error.reason_code, &error.reason),
    };
    let mapped = match map_atna_message(&message.message, source.provenance(received_at), || {
        derived_event_id(frame)
    }) {
        Ok(mapped) => mapped,
        Err(error) => return quarantined(error.reason_code, &error.reason),
    };
    let compressed = match compress_payload(frame) {
        Ok(compressed) => compressed,
        Err(error) => {
            tracing::warn!(%error, "payload compression failed");
            return Vec::new();
        }
    };
    let mut entries = Vec::with_capacity(1 + mapped.additional_patients.len());
    for (index, patient) in mapped.additional_patients.iter().enumerate() {
        let mut event = mapped.event.clone();
        event.patient_id = patient.id.clone();
        event.patient_id_system = patient.system.clone();
        // Stable per patient, so a re-sent message deduplicates like any other.
        if let Ok(event_id) =
            domain::EventId::parse(&format!("{}#{}", mapped.event.event_id, index + 2))
        {
            event.event_id = event_id;
            entries.push(IngestEntry::Event(Box::new(AccessEventRow::from_event(
                &event,
                RAW_FORMAT_SYSLOG,
                compressed.clone(),
                frame,
            ))));
        }
    }
    entries.insert(
        0,
        IngestEntry::Event(Box::new(AccessEventRow::from_event(
            &mapped.event,
            RAW_FORMAT_SYSLOG,
            compressed,
            frame,
        ))),
    );
    entries
}

async fn serve_udp(
    socket: tokio::net::UdpSocket,
    ingest: Ingest,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    tracing::info!(address = %socket.local_addr()?, channel = "syslog_udp", "syslog listening");
    let mut buffer = vec![0_u8; 65_536];
    loop {
        let (length, peer) = tokio::select! {
            received = socket.recv_from(&mut buffer) => received?,
            () = shutdown.cancelled() => return Ok(()),
        };
        // Drain what else is queued so that one log append covers many datagrams.
        let mut entries = Vec::new();
        entries.extend(message_entries(&udp_source(peer), &buffer[..length]));
        while entries.len() < 1_000 {
            match socket.try_recv_from(&mut buffer) {
                Ok((length, peer)) => {
                    entries.extend(message_entries(&udp_source(peer), &buffer[..length]))
                }
                Err(_) => break,
            }
        }
        ingest
            .submit_patiently(Channel::SyslogUdp, entries, &shutdown, None)
            .await?;
    }
}

fn udp_source(peer: SocketAddr) -> Source {
    Source {
        node: format!("syslog:{}", peer.ip()),
        channel: Channel::SyslogUdp,
        authenticated_as: String::new(),
        client_address: peer.ip().to_string(),
    }
}
