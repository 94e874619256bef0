//! HL7 v2 over MLLP (the minimal lower layer protocol: `<VT> message <FS><CR>`), optionally
//! over TLS: the care-context feed of hospital and GP systems. Every message is answered with
//! an HL7 ACK — AA once its care facts are durable in the write-ahead log, AE/AR with the error
//! in MSA/ERR when it cannot be used (and then it is kept in quarantine with the reason).

use crate::care_endpoints::care_entries;
use crate::hl7v2::{ack, split_messages, AckCode, AckError, ErrorCode, Hl7Message};
use crate::hl7v2_care::care_facts;
use crate::ingest::{quarantine_entry, Ingest, IngestEntry, Source};
use crate::internal_events;
use crate::syslog_server::{tls_acceptor, TlsSettings};
use domain::{Channel, Timestamp};
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

const START_BLOCK: u8 = 0x0B;
const END_BLOCK: u8 = 0x1C;
const CARRIAGE_RETURN: u8 = 0x0D;
const RAW_FORMAT_HL7: &str = "hl7v2";
const CHANNEL: Channel = Channel::Hl7Mllp;
/// How long an ACK may wait for room in the log before the message is answered AE.
const STORE_PATIENCE: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Deserialize)]
pub struct MllpSettings {
    pub listen: SocketAddr,
    /// Require TLS with client certificates (same settings as the syslog TLS listener).
    #[serde(default)]
    pub tls: Option<TlsSettings>,
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: usize,
}

fn default_max_message_bytes() -> usize {
    4 * 1024 * 1024
}

/// Splits an MLLP byte stream into frames. Bytes outside a block are skipped (some senders
/// send a stray newline between frames); a block without the final CR is accepted.
#[derive(Debug, Default)]
pub struct MllpFramer {
    buffer: Vec<u8>,
    in_block: bool,
    skipped: usize,
}

/// What the framer produced: a complete frame, or a frame that exceeded the limit.
#[derive(Debug, PartialEq, Eq)]
pub enum MllpFrame {
    Message(Vec<u8>),
    TooLarge,
}

impl MllpFramer {
    pub fn push(&mut self, data: &[u8], max_bytes: usize, out: &mut Vec<MllpFrame>) {
        for &byte in data {
            if !self.in_block {
                if byte == START_BLOCK {
                    self.in_block = true;
                    self.buffer.clear();
                } else if byte != CARRIAGE_RETURN && byte != b'\n' {
                    self.skipped += 1;
                }
                continue;
            }
            if byte == END_BLOCK {
                self.in_block = false;
                if self.buffer.len() > max_bytes {
                    out.push(MllpFrame::TooLarge);
                } else {
                    out.push(MllpFrame::Message(std::mem::take(&mut self.buffer)));
                }
                self.buffer.clear();
                continue;
            }
            if self.buffer.len() <= max_bytes {
                self.buffer.push(byte);
            }
        }
    }
}

fn frame(bytes: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(bytes.len() + 3);
    framed.push(START_BLOCK);
    framed.extend_from_slice(bytes);
    framed.extend_from_slice(&[END_BLOCK, CARRIAGE_RETURN]);
    framed
}

/// Starts the MLLP listener; returns when `shutdown` is cancelled.
pub async fn run_mllp(
    settings: MllpSettings,
    ingest: Ingest,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let acceptor = settings.tls.as_ref().map(tls_acceptor).transpose()?;
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    tracing::info!(address = %listener.local_addr()?, tls = acceptor.is_some(), "mllp listening");
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "mllp accept failed");
                    continue;
                }
            },
            () = shutdown.cancelled() => return Ok(()),
        };
        let (ingest, shutdown, acceptor) = (ingest.clone(), shutdown.clone(), acceptor.clone());
        let max_bytes = settings.max_message_bytes;
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let base = Source {
                node: format!("mllp:{}", peer.ip()),
                channel: CHANNEL,
                authenticated_as: String::new(),
                client_address: peer.ip().to_string(),
            };
            let outcome = match acceptor {
                None => serve_connection(stream, base, max_bytes, ingest, shutdown).await,
                Some(acceptor) => {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls_stream)) => {
                            let identity =
                                crate::syslog_server::peer_identity(tls_stream.get_ref().1);
                            let source = Source {
                                node: identity.clone(),
                                authenticated_as: identity,
                                ..base
                            };
                            serve_connection(tls_stream, source, max_bytes, ingest, shutdown).await
                        }
                        _ => {
                            internal_events::event_rejected(
                                CHANNEL.as_str(),
                                "tls_handshake_refused",
                            );
                            Ok(())
                        }
                    }
                }
            };
            if let Err(error) = outcome {
                tracing::warn!(peer = %peer, %error, "mllp connection ended with an error");
            }
        });
    }
}

async fn serve_connection(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    source: Source,
    max_bytes: usize,
    ingest: Ingest,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut framer = MllpFramer::default();
    let mut buffer = vec![0_u8; 64 * 1024];
    let mut frames = Vec::new();
    loop {
        let read = tokio::select! {
            read = stream.read(&mut buffer) => read?,
            () = shutdown.cancelled() => return Ok(()),
        };
        if read == 0 {
            return Ok(());
        }
        framer.push(&buffer[..read], max_bytes, &mut frames);
        for frame_bytes in frames.drain(..) {
            let acks = match frame_bytes {
                MllpFrame::Message(bytes) => {
                    handle_frame(&bytes, &source, &ingest, &shutdown).await
                }
                MllpFrame::TooLarge => {
                    internal_events::event_rejected(CHANNEL.as_str(), "message_too_large");
                    let error = AckError {
                        code: ErrorCode::ApplicationInternalError,
                        message: "message larger than the configured limit",
                    };
                    vec![ack(None, AckCode::Reject, Some(&error), Timestamp::now())]
                }
            };
            for acknowledgement in acks {
                stream.write_all(&frame(&acknowledgement)).await?;
            }
            stream.flush().await?;
        }
    }
}

/// Handles one MLLP frame (one message, or a batch): returns one ACK per message.
pub(crate) async fn handle_frame(
    bytes: &[u8],
    source: &Source,
    ingest: &Ingest,
    shutdown: &CancellationToken,
) -> Vec<Vec<u8>> {
    let mut acks = Vec::new();
    for parsed in split_messages(bytes) {
        internal_events::events_received(CHANNEL.as_str(), 1);
        let message = match parsed {
            Ok(message) => message,
            Err(error) => {
                store_quarantine(
                    ingest,
                    source,
                    error.reason_code,
                    &error.reason,
                    bytes,
                    shutdown,
                )
                .await;
                acks.push(ack(
                    None,
                    error.ack_code(),
                    Some(&error.ack_error()),
                    Timestamp::now(),
                ));
                continue;
            }
        };
        acks.push(handle_message(&message, source, ingest, shutdown).await);
    }
    acks
}

async fn handle_message(
    message: &Hl7Message,
    source: &Source,
    ingest: &Ingest,
    shutdown: &CancellationToken,
) -> Vec<u8> {
    let facts = match care_facts(message) {
        Ok(facts) => facts,
        Err(error) => {
            store_quarantine(
                ingest,
                source,
                error.reason_code,
                &error.reason,
                message.raw(),
                shutdown,
            )
            .await;
            return ack(
                Some(message),
                error.ack_code(),
                Some(&error.ack_error()),
                Timestamp::now(),
            );
        }
    };
    let message_id = format!("{}|{}", message.sending_facility(), message.control_id());
    let entries = care_entries(
        facts.iter().map(|fact| (message_id.clone(), fact)),
        CHANNEL.as_str(),
    );
    match ingest
        .submit_patiently(CHANNEL, entries, shutdown, Some(STORE_PATIENCE))
        .await
    {
        Ok(()) => ack(Some(message), AckCode::Accept, None, Timestamp::now()),
        Err(error) => {
            tracing::warn!(%error, "could not store an HL7 message; answered AE so the sender resends");
            let detail = AckError {
                code: ErrorCode::ApplicationInternalError,
                message: "temporarily unable to store the message; resend it",
            };
            ack(
                Some(message),
                AckCode::Error,
                Some(&detail),
                Timestamp::now(),
            )
        }
    }
}

async fn store_quarantine(
    ingest: &Ingest,
    source: &Source,
    reason_code: &'static str,
    reason: &str,
    raw: &[u8],
    shutdown: &CancellationToken,
) {
    let entries: Vec<IngestEntry> =
        quarantine_entry(source, reason_code, reason, RAW_FORMAT_HL7, raw)
            .into_iter()
            .collect();
    if let Err(error) = ingest
        .submit_patiently(CHANNEL, entries, shutdown, Some(STORE_PATIENCE))
        .await
    {
        tracing::warn!(%error, reason_code, "could not quarantine a refused HL7 message");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_cut_at_block_boundaries_in_any_chunking() {
        let stream = [
            b"\n".as_slice(),
            &frame(b"MSH|one"),
            b"\r\n",
            &frame(b"MSH|two\rPID|x"),
        ]
        .concat();
        for chunk in [1, 2, 5, stream.len()] {
            let mut framer = MllpFramer::default();
            let mut out = Vec::new();
            for piece in stream.chunks(chunk) {
                framer.push(piece, 1024, &mut out);
            }
            assert_eq!(
                out,
                [
                    MllpFrame::Message(b"MSH|one".to_vec()),
                    MllpFrame::Message(b"MSH|two\rPID|x".to_vec())
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn oversized_frames_are_reported_without_growing() {
        let mut framer = MllpFramer::default();
        let mut out = Vec::new();
        framer.push(&frame(&[b'x'; 100]), 10, &mut out);
        framer.push(&frame(b"MSH|ok"), 10, &mut out);
        assert_eq!(
            out,
            [MllpFrame::TooLarge, MllpFrame::Message(b"MSH|ok".to_vec())]
        );
    }
}
