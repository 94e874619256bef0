//! Recovery tests: torn tails cut off and reported, corruption and missing segments refused,
//! and a process killed with SIGKILL mid-stream losing no acknowledged record.

use super::tests::{config, open, payload, read_all, segment_files};
use super::*;
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Duration;

/// Writes 20 records in one segment and closes the log; returns the segment's path.
async fn one_closed_segment(dir: &Path) -> std::path::PathBuf {
    let (wal, _reader, _) = open(config(dir)).await;
    for index in 0..20 {
        wal.append(vec![payload("r", index)]).await.expect("append");
    }
    wal.close().await;
    let files = segment_files(dir);
    assert_eq!(files.len(), 1);
    files[0].clone()
}

/// What a crash left at the end of a segment of 20 records, and what must survive it.
struct TornCase {
    what: &'static str,
    damage: fn(&Path),
    surviving_records: u64,
    dropped_bytes: u64,
}

#[tokio::test]
async fn a_torn_tail_is_cut_off_and_reported() {
    // The damage functions are plain `fn`s, so the record size is spelled out.
    const RECORD_BYTES: u64 = 24;
    assert_eq!(16 + payload("r", 0).len() as u64, RECORD_BYTES);
    let cases = [
        TornCase {
            what: "cut inside the last payload",
            damage: |path| truncate(path, 5),
            surviving_records: 19,
            dropped_bytes: RECORD_BYTES - 5,
        },
        TornCase {
            what: "cut inside the last header",
            damage: |path| truncate(path, RECORD_BYTES - 3),
            surviving_records: 19,
            dropped_bytes: 3,
        },
        TornCase {
            what: "garbage after the last record",
            damage: |path| append_bytes(path, &[0xA5; 100]),
            surviving_records: 20,
            dropped_bytes: 100,
        },
        TornCase {
            what: "zeros after the last record",
            damage: |path| append_bytes(path, &[0; 4096]),
            surviving_records: 20,
            dropped_bytes: 4096,
        },
    ];
    for case in cases {
        let what = case.what;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = one_closed_segment(dir.path()).await;
        (case.damage)(&path);

        let (wal, mut reader, report) = open(config(dir.path())).await;
        let torn = report
            .torn_tail
            .clone()
            .unwrap_or_else(|| panic!("{what}: reported"));
        assert_eq!(torn.dropped_bytes, case.dropped_bytes, "{what}");
        assert_eq!(torn.segment, path, "{what}");
        assert_eq!(report.next_lsn, case.surviving_records + 1, "{what}");
        let valid_len = record::SEGMENT_HEADER_BYTES + case.surviving_records * RECORD_BYTES;
        assert_eq!(torn.offset, valid_len, "{what}");
        assert_eq!(
            std::fs::metadata(&path).expect("stat").len(),
            valid_len,
            "{what}"
        );

        let survivors = read_all(&mut reader).await;
        assert_eq!(survivors.len() as u64, case.surviving_records, "{what}");
        let lsn = wal.append(vec![payload("after", 0)]).await.expect("append");
        assert_eq!(
            lsn,
            case.surviving_records + 1,
            "{what}: appends continue after the cut"
        );
        assert_eq!(
            read_all(&mut reader).await,
            vec![(lsn, payload("after", 0))],
            "{what}"
        );
    }
}

#[tokio::test]
async fn a_segment_cut_inside_its_header_is_started_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = one_closed_segment(dir.path()).await;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|file| file.set_len(3))
        .expect("cut");
    let (wal, _reader, report) = open(config(dir.path())).await;
    assert_eq!(report.torn_tail.map(|torn| torn.dropped_bytes), Some(3));
    assert_eq!(
        wal.append(vec![payload("new", 0)]).await.expect("append"),
        1
    );
}

fn truncate(path: &Path, by: u64) {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open");
    let len = file.metadata().expect("stat").len();
    file.set_len(len - by).expect("truncate");
}

fn append_bytes(path: &Path, bytes: &[u8]) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open");
    file.write_all(bytes).expect("append");
}

fn flip_byte(path: &Path, offset: u64) {
    let mut bytes = std::fs::read(path).expect("read");
    bytes[offset as usize] ^= 0x01;
    std::fs::write(path, bytes).expect("write");
}

#[tokio::test]
async fn corruption_in_a_sealed_segment_is_an_error() {
    let record_bytes = 16 + payload("r", 0).len() as u64;
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let (wal, _reader, _) = open(WalConfig {
            segment_bytes: record::SEGMENT_HEADER_BYTES + 10 * record_bytes,
            ..config(dir.path())
        })
        .await;
        for index in 0..25 {
            wal.append(vec![payload("r", index)]).await.expect("append");
        }
        wal.close().await;
    }
    let files = segment_files(dir.path());
    assert_eq!(files.len(), 3, "10 + 10 + 5 records");
    // A payload byte of the fifth record of the first segment.
    let offset = record::SEGMENT_HEADER_BYTES + 4 * record_bytes + 20;
    flip_byte(&files[0], offset);

    let error = Wal::open(config(dir.path()))
        .await
        .err()
        .expect("open fails");
    let WalError::Corrupt {
        path,
        offset: reported_offset,
        reason,
    } = error
    else {
        panic!("expected Corrupt, got {error}");
    };
    assert_eq!(path, files[0]);
    assert_eq!(
        reported_offset,
        record::SEGMENT_HEADER_BYTES + 4 * record_bytes
    );
    assert_eq!(reason, "crc mismatch");
    assert_eq!(
        std::fs::metadata(&files[0]).expect("stat").len(),
        record::SEGMENT_HEADER_BYTES + 10 * record_bytes,
        "nothing was truncated"
    );
}

#[tokio::test]
async fn a_missing_segment_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let (wal, _reader, _) = open(WalConfig {
            segment_bytes: 200,
            ..config(dir.path())
        })
        .await;
        for index in 0..20 {
            wal.append(vec![payload("r", index)]).await.expect("append");
        }
        wal.close().await;
    }
    let files = segment_files(dir.path());
    std::fs::remove_file(&files[1]).expect("remove the second segment");
    let error = Wal::open(config(dir.path()))
        .await
        .err()
        .expect("open fails");
    assert!(matches!(error, WalError::Corrupt { .. }), "{error}");
}

// A process crash: a child (this test binary, re-run with an environment variable) appends from
// several tasks and prints each acknowledged LSN; it is killed with SIGKILL mid-stream. After
// reopening, every acknowledged record must be there, intact. Three rounds on the same
// directory, so recovery also runs on what an earlier recovery left.

const CRASH_CHILD_DIR: &str = "CAREAUDIT_WAL_CRASH_CHILD_DIR";
const CRASH_CHILD_ROUND: &str = "CAREAUDIT_WAL_CRASH_CHILD_ROUND";
const CRASH_CHILD_TASKS: usize = 8;

fn crash_config(dir: &Path) -> WalConfig {
    WalConfig {
        segment_bytes: 256 * 1024,
        ..config(dir)
    }
}

/// 600 to 1,100 bytes, different for every (round, task, index).
fn crash_payload(round: usize, task: usize, index: usize) -> Vec<u8> {
    let mut bytes = format!("{round}:{task}:{index}:").into_bytes();
    let fill = (round * 7 + task * 31 + index) % 251;
    bytes.resize(600 + (index * 37) % 500, fill as u8);
    bytes
}

#[test]
fn crash_child_appends_until_killed() {
    // Does something only when started by `a_crash_mid_stream_loses_no_acknowledged_record`.
    let Ok(dir) = std::env::var(CRASH_CHILD_DIR) else {
        return;
    };
    let round: usize = std::env::var(CRASH_CHILD_ROUND)
        .expect("round")
        .parse()
        .expect("round is a number");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let (wal, _reader, _) = open(crash_config(Path::new(&dir))).await;
        let appenders: Vec<_> = (0..CRASH_CHILD_TASKS)
            .map(|task| {
                let wal = wal.clone();
                tokio::spawn(async move {
                    for index in 0.. {
                        let lsn = wal
                            .append(vec![crash_payload(round, task, index)])
                            .await
                            .expect("append");
                        // Straight to the process's stdout (not the test harness's capture),
                        // one whole line per write, flushed before the next append.
                        let mut stdout = std::io::stdout().lock();
                        writeln!(stdout, "ack {lsn} {task} {index}")
                            .and_then(|()| stdout.flush())
                            .expect("stdout");
                    }
                })
            })
            .collect();
        for appender in appenders {
            appender.await.expect("appender");
        }
    });
}

#[test]
fn a_crash_mid_stream_loses_no_acknowledged_record() {
    const ACKS_BEFORE_KILL: usize = 3_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut acknowledged: Vec<(Lsn, Vec<u8>)> = Vec::new();
    for round in 0..3 {
        let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "wal::recovery_tests::crash_child_appends_until_killed",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CRASH_CHILD_DIR, dir.path())
            .env(CRASH_CHILD_ROUND, round.to_string())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("child starts");
        let stdout = child.stdout.take().expect("child stdout");
        let (lines_sender, lines) = std::sync::mpsc::channel::<String>();
        let line_reader = std::thread::spawn(move || {
            let mut stdout = std::io::BufReader::new(stdout);
            loop {
                let mut line = String::new();
                match stdout.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    // A line cut by the kill has no newline: it was not fully printed.
                    Ok(_) if line.ends_with('\n') => {
                        if lines_sender.send(line).is_err() {
                            return;
                        }
                    }
                    Ok(_) => return,
                }
            }
        });

        let mut acks_this_round = Vec::new();
        while acks_this_round.len() < ACKS_BEFORE_KILL {
            let line = lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|error| panic!("round {round}: child went quiet ({error})"));
            acks_this_round.extend(parse_ack(&line));
        }
        child.kill().expect("SIGKILL the child");
        child.wait().expect("child reaped");
        line_reader.join().expect("line reader");
        acks_this_round.extend(lines.try_iter().filter_map(|line| parse_ack(&line)));
        acknowledged.extend(
            acks_this_round
                .into_iter()
                .map(|(lsn, task, index)| (lsn, crash_payload(round, task, index))),
        );

        let on_disk: HashMap<Lsn, Vec<u8>> = runtime.block_on(async {
            let (wal, mut reader, report) = open(crash_config(dir.path())).await;
            let records = read_all(&mut reader).await;
            let lsns: Vec<Lsn> = records.iter().map(|(lsn, _)| *lsn).collect();
            assert_eq!(
                lsns,
                (1..report.next_lsn).collect::<Vec<_>>(),
                "round {round}: no gaps"
            );
            wal.close().await;
            records.into_iter().collect()
        });
        for (lsn, expected) in &acknowledged {
            assert_eq!(
                on_disk.get(lsn),
                Some(expected),
                "round {round}: acknowledged lsn {lsn} is on disk, intact"
            );
        }
    }
}

fn parse_ack(line: &str) -> Option<(Lsn, usize, usize)> {
    let mut words = line.split_whitespace();
    if words.next() != Some("ack") {
        return None;
    }
    let lsn = words.next()?.parse().ok()?;
    let task = words.next()?.parse().ok()?;
    let index = words.next()?.parse().ok()?;
    Some((lsn, task, index))
}
