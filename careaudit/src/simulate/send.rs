//! Sending a simulated directory to a running careaudit, each file over its own standard feed:
//! CSV extracts to `POST /load/{kind}`, FHIR care resources as NDJSON to `POST /fhir/{type}`,
//! HL7 v2 over MLLP (one message at a time, each acknowledged), FHIR AuditEvents as NDJSON to
//! `POST /fhir/AuditEvent`, ATNA as octet-counted syslog over TCP. Files go in the manifest's
//! order. Any refused input is an error: the simulator's feeds are meant to be valid, so a
//! refusal is a bug in one of the two, named with the collector's own diagnostics.

use anyhow::{bail, Context};
use serde_json::Value;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// NDJSON bodies are cut at line ends into requests of about this size.
const CHUNK_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct SendTargets {
    pub collector_url: String,
    pub mllp: Option<String>,
    pub syslog: Option<String>,
}

/// What was sent: per file, the items and the seconds it took.
#[derive(Debug, Default)]
pub struct SendReport {
    pub files: Vec<(String, u64, f64)>,
    pub total_seconds: f64,
}

impl fmt::Display for SendReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "sent in {:.1} s:", self.total_seconds)?;
        for (file, items, seconds) in &self.files {
            writeln!(f, "  {file:<36} {items:>10} in {seconds:>7.1} s")?;
        }
        Ok(())
    }
}

/// Which files of a simulated directory to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Files {
    All,
    /// Everything but the late-arriving care context.
    OnTime,
    /// Only the late-arriving care context.
    Late,
}

impl Files {
    fn wants(self, file: &str) -> bool {
        let late = Path::new(file).starts_with(simulator::feeds::LATE_DIR);
        match self {
            Self::All => true,
            Self::OnTime => !late,
            Self::Late => late,
        }
    }
}

/// Sends every non-empty file of `dir` in the manifest's order, then waits until the
/// collector has shipped everything it accepted.
pub async fn send_directory(dir: &Path, targets: &SendTargets) -> anyhow::Result<SendReport> {
    send_files(dir, targets, Files::All).await
}

/// Sends the non-empty files of `dir` that `files` names, in the manifest's order, then waits
/// until the collector has shipped everything it accepted.
pub async fn send_files(
    dir: &Path,
    targets: &SendTargets,
    files: Files,
) -> anyhow::Result<SendReport> {
    let started = Instant::now();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let base = targets.collector_url.trim_end_matches('/').to_owned();
    let mut report = SendReport::default();
    for file in simulator::send_order()
        .into_iter()
        .filter(|file| files.wants(file))
    {
        let path = dir.join(&file);
        let read = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut simulator::feeds::open(&path)?, &mut bytes)?;
            Ok(bytes)
        })
        .await?;
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error).with_context(|| format!("reading {file}")),
        };
        if bytes.is_empty() {
            continue;
        }
        let began = Instant::now();
        let items = if let Some(kind) = file.strip_suffix(".csv") {
            post_csv(&http, &base, kind, bytes).await?
        } else if file.ends_with(".hl7") {
            let address = targets
                .mllp
                .as_deref()
                .context("no MLLP address to send HL7 v2 to (--mllp)")?;
            send_mllp(address, &bytes)
                .await
                .with_context(|| format!("sending {file} over MLLP to {address}"))?
        } else if file.ends_with(".syslog") {
            let address = targets
                .syslog
                .as_deref()
                .context("no syslog TCP address to send ATNA to (--syslog)")?;
            send_syslog(address, &bytes)
                .await
                .with_context(|| format!("sending {file} to syslog at {address}"))?
        } else {
            let resource_type = Path::new(&file)
                .file_stem()
                .and_then(|stem| stem.to_str())
                .unwrap_or_default();
            let url = match resource_type {
                "audit-events" => format!("{base}/fhir/AuditEvent"),
                other => format!("{base}/fhir/{other}"),
            };
            post_ndjson(&http, &url, &bytes)
                .await
                .with_context(|| format!("sending {file}"))?
        };
        report
            .files
            .push((file, items, began.elapsed().as_secs_f64()));
    }
    wait_until_shipped(&http, &base).await?;
    report.total_seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

async fn post_csv(
    http: &reqwest::Client,
    base: &str,
    kind: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<u64> {
    let response = http
        .post(format!("{base}/load/{kind}"))
        .header("content-type", "text/csv")
        .header("x-careaudit-filename", format!("{kind}.csv"))
        .body(bytes)
        .send()
        .await
        .with_context(|| format!("posting {kind}.csv"))?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    let rejected = answer["rejected"].as_u64().unwrap_or(0);
    if !status.is_success() || rejected > 0 {
        bail!("the collector refused {kind}.csv ({status}): {answer}");
    }
    Ok(answer["accepted"].as_u64().unwrap_or(0))
}

/// Posts NDJSON in chunks of whole lines, waiting and retrying when the collector is full.
async fn post_ndjson(http: &reqwest::Client, url: &str, bytes: &[u8]) -> anyhow::Result<u64> {
    let mut sent = 0_u64;
    let mut rest = bytes;
    while !rest.is_empty() {
        let cut = if rest.len() <= CHUNK_BYTES {
            rest.len()
        } else {
            memchr_back(&rest[..CHUNK_BYTES]).map_or(rest.len(), |newline| newline + 1)
        };
        let (chunk, tail) = rest.split_at(cut);
        rest = tail;
        loop {
            let response = http
                .post(url)
                .header("content-type", "application/fhir+ndjson")
                .body(chunk.to_vec())
                .send()
                .await?;
            let status = response.status();
            if status == reqwest::StatusCode::SERVICE_UNAVAILABLE {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            let answer: Value = response.json().await.unwrap_or(Value::Null);
            let problems: Vec<&str> = answer["issue"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|issue| matches!(issue["severity"].as_str(), Some("error" | "fatal")))
                .filter_map(|issue| issue["diagnostics"].as_str())
                .collect();
            if !status.is_success() || !problems.is_empty() {
                bail!(
                    "the collector refused lines ({status}): {}",
                    problems
                        .iter()
                        .take(5)
                        .copied()
                        .collect::<Vec<_>>()
                        .join("; ")
                );
            }
            break;
        }
        sent += chunk.iter().filter(|byte| **byte == b'\n').count() as u64;
    }
    Ok(sent)
}

fn memchr_back(bytes: &[u8]) -> Option<usize> {
    bytes.iter().rposition(|byte| *byte == b'\n')
}

/// Sends MLLP frames one at a time, each answered with an ACK that must say AA.
async fn send_mllp(address: &str, bytes: &[u8]) -> anyhow::Result<u64> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let mut sent = 0_u64;
    let mut answer = Vec::with_capacity(512);
    let mut rest = bytes;
    while let Some(end) = rest.windows(2).position(|pair| pair == [0x1c, 0x0d]) {
        let (message, tail) = rest.split_at(end + 2);
        rest = tail;
        stream.write_all(message).await?;
        answer.clear();
        let mut buffer = [0_u8; 512];
        while !answer.ends_with(&[0x1c, 0x0d]) {
            let read = stream.read(&mut buffer).await?;
            if read == 0 {
                bail!("the MLLP server closed the connection after {sent} messages");
            }
            answer.extend_from_slice(&buffer[..read]);
        }
        let text = String::from_utf8_lossy(&answer);
        if !text.contains("MSA|AA") {
            bail!(
                "message {} was not accepted: {}",
                sent + 1,
                text.replace('\r', "\n").trim_matches(char::from(0x0b))
            );
        }
        sent += 1;
    }
    Ok(sent)
}

/// Streams octet-counted syslog frames; syslog has no acknowledgement, so the caller waits
/// for the collector to ship what it read.
async fn send_syslog(address: &str, bytes: &[u8]) -> anyhow::Result<u64> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream.write_all(bytes).await?;
    stream.shutdown().await?;
    // The server closes its side once it has read everything.
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut rest)).await;
    Ok(count_frames(bytes))
}

fn count_frames(mut bytes: &[u8]) -> u64 {
    let mut frames = 0;
    while let Some(space) = bytes.iter().position(|byte| *byte == b' ') {
        let Some(length) = std::str::from_utf8(&bytes[..space])
            .ok()
            .and_then(|text| text.parse::<usize>().ok())
        else {
            break;
        };
        frames += 1;
        bytes = bytes.get(space + 1 + length..).unwrap_or_default();
    }
    frames
}

/// Waits until the collector's write-ahead log has shipped all it appended and nothing more
/// arrives for a moment (syslog input is read asynchronously).
async fn wait_until_shipped(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(900);
    let mut last_appended = None;
    while Instant::now() < deadline {
        let status: Value = http
            .get(format!("{base}/status"))
            .send()
            .await?
            .json()
            .await?;
        let wal = &status["wal"];
        let appended = wal["last_appended_lsn"].as_u64();
        if appended == wal["last_checkpointed_lsn"].as_u64() && appended == last_appended {
            return Ok(());
        }
        last_appended = appended;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("the collector did not finish shipping within 15 minutes")
}

#[cfg(test)]
mod tests {
    use super::Files;

    #[test]
    fn on_time_and_late_split_the_send_order() {
        let order = simulator::send_order();
        let late: Vec<&String> = order.iter().filter(|f| Files::Late.wants(f)).collect();
        assert!(!late.is_empty());
        assert!(late.iter().all(|f| f.starts_with("late/")));
        for file in &order {
            assert!(Files::All.wants(file));
            assert_ne!(Files::OnTime.wants(file), Files::Late.wants(file), "{file}");
        }
    }
}
