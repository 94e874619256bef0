//! Load generator for the care-context feeds: HL7 v2 ADT A01 messages over MLLP (several
//! connections, each waiting for every ACK as real interfaces do) and a GP registration CSV
//! posted to `/load/registrations`. Prints messages/s and rows/s; `bench/care/run.sh` runs it
//! against a release build and measures until the rows are queryable.
//!
//! Usage: care_load mllp HOST:PORT MESSAGES CONNECTIONS
//!        care_load csv COLLECTOR_URL ROWS

use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn adt_a01(index: usize) -> String {
    let nhs = nhs_number(index);
    let mut pv1 = vec![String::new(); 45];
    pv1[0] = "PV1".to_owned();
    pv1[1] = "1".to_owned();
    pv1[2] = "I".to_owned();
    pv1[3] = format!("WARD{}^BED{}^^RDM01", index % 40, index % 20);
    pv1[7] = format!("C{:05}^Doctor^Attending", index % 900);
    pv1[8] = format!("C{:05}^Doctor^Referring", (index * 7) % 900);
    pv1[19] = format!("V{index:08}");
    pv1[44] = "20261120083000".to_owned();
    format!(
        "MSH|^~\\&|PAS|RDM01|CAREAUDIT|SCR|20261120083000||ADT^A01^ADT_A01|MSG{index:09}|P|2.4\rEVN|A01|20261120083000\rPID|1||{nhs}^^^NHS^NH||Patient^Bench{index}||19800101|F|||{index} Bench Street^^London^^N1 9GU\r{}",
        pv1.join("|")
    )
}

/// A valid NHS number derived from `index` (999 test range).
fn nhs_number(index: usize) -> String {
    let mut seed = index;
    loop {
        let digits: Vec<u32> = format!("999{:06}", seed % 1_000_000)
            .chars()
            .filter_map(|c| c.to_digit(10))
            .collect();
        let sum: u32 = digits
            .iter()
            .zip((2..=10).rev())
            .map(|(digit, weight)| digit * weight)
            .sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            // No valid check digit for these nine: take the next number (two indices may then
            // share a patient, which a load test does not mind).
            10 => {
                seed += 1;
                continue;
            }
            check => check,
        };
        return format!(
            "{}{check}",
            digits.iter().map(ToString::to_string).collect::<String>()
        );
    }
}

async fn mllp(address: &str, messages: usize, connections: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for connection in 0..connections {
        let address = address.to_owned();
        tasks.spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(&address).await?;
            stream.set_nodelay(true)?;
            let mut buffer = vec![0_u8; 4096];
            let mut accepted = 0_usize;
            for index in (connection..messages).step_by(connections) {
                let mut frame = vec![0x0B];
                frame.extend(adt_a01(index).into_bytes());
                frame.extend([0x1C, 0x0D]);
                stream.write_all(&frame).await?;
                let mut ack = Vec::new();
                while !ack.ends_with(&[0x1C, 0x0D]) {
                    let read = stream.read(&mut buffer).await?;
                    anyhow::ensure!(read > 0, "connection closed before the ACK");
                    ack.extend_from_slice(&buffer[..read]);
                }
                if ack.windows(7).any(|window| window == b"MSA|AA|") {
                    accepted += 1;
                }
            }
            anyhow::Ok(accepted)
        });
    }
    let mut accepted = 0;
    while let Some(joined) = tasks.join_next().await {
        accepted += joined??;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("mllp: {accepted}/{messages} messages acknowledged AA in {seconds:.2} s = {:.0} messages/s over {connections} connections", accepted as f64 / seconds);
    Ok(())
}

async fn csv(url: &str, rows: usize) -> anyhow::Result<()> {
    let mut body = String::from("nhs_number,practice_code,registered_from\n");
    for index in 0..rows {
        body.push_str(&format!(
            "{},G{:05},2015-04-01\n",
            nhs_number(index),
            index % 5_000
        ));
    }
    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(format!("{url}/load/registrations"))
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let report: serde_json::Value = response.json().await?;
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(status.is_success(), "load refused: {report}");
    println!("csv: {} rows accepted in {seconds:.2} s = {:.0} rows/s (acknowledged = durable in the write-ahead log)", report["accepted"], rows as f64 / seconds);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let arguments: Vec<String> = std::env::args().collect();
    match arguments.get(1).map(String::as_str) {
        Some("mllp") if arguments.len() == 5 => mllp(&arguments[2], arguments[3].parse()?, arguments[4].parse()?).await,
        Some("csv") if arguments.len() == 4 => csv(&arguments[2], arguments[3].parse()?).await,
        _ => anyhow::bail!("usage: care_load mllp HOST:PORT MESSAGES CONNECTIONS | care_load csv COLLECTOR_URL ROWS"),
    }
}
