//! Tests of the log on real files in temporary directories: round trips, batches, group commit
//! under concurrency, reopening, rollover and deletion, the space bound, the shipper's state and
//! replay, locking and close. Damage and crashes are in `recovery_tests.rs`; the helpers here
//! serve both.

use super::*;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

const MIB: u64 = 1024 * 1024;

pub(super) fn config(dir: &Path) -> WalConfig {
    WalConfig {
        dir: dir.to_path_buf(),
        segment_bytes: 64 * 1024,
        max_bytes: 64 * MIB,
    }
}

pub(super) async fn open(config: WalConfig) -> (Wal, WalReader, RecoveryReport) {
    Wal::open(config).await.expect("wal opens")
}

/// Everything durable and not yet returned, in one list.
pub(super) async fn read_all(reader: &mut WalReader) -> Vec<(Lsn, Vec<u8>)> {
    let mut records = Vec::new();
    loop {
        let batch = reader
            .next_batch(1000, usize::MAX, Duration::ZERO)
            .await
            .expect("batch reads");
        if batch.is_empty() {
            return records;
        }
        records.extend(batch);
    }
}

pub(super) fn payload(label: &str, index: usize) -> Vec<u8> {
    format!("{label}-{index:06}").into_bytes()
}

pub(super) fn segment_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("directory lists")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "wal"))
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn appended_records_are_read_back_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (wal, mut reader, report) = open(config(dir.path())).await;
    assert_eq!((report.next_lsn, report.torn_tail.clone()), (1, None));

    let last_of_first = wal
        .append(vec![payload("a", 0), payload("a", 1), Vec::new()])
        .await
        .expect("append");
    let last_of_second = wal.append(vec![payload("b", 0)]).await.expect("append");
    assert_eq!((last_of_first, last_of_second), (3, 4));

    let records = read_all(&mut reader).await;
    let expected = vec![
        (1, payload("a", 0)),
        (2, payload("a", 1)),
        (3, Vec::new()),
        (4, payload("b", 0)),
    ];
    assert_eq!(records, expected);

    let stats = wal.stats();
    assert_eq!(stats.last_appended_lsn, 4);
    assert_eq!(stats.appends, 2);
    assert_eq!(stats.records_appended, 4);
    assert_eq!(stats.unshipped_bytes, 4 * 16 + 3 * 8);
    assert!(matches!(
        wal.append(Vec::new()).await,
        Err(WalError::EmptyAppend)
    ));
}

#[tokio::test]
async fn a_batch_respects_its_record_and_byte_limits_and_waits_for_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (wal, mut reader, _) = open(config(dir.path())).await;
    let nothing = reader
        .next_batch(10, usize::MAX, Duration::from_millis(20))
        .await
        .expect("batch");
    assert!(nothing.is_empty());

    let waiting = tokio::spawn(async move {
        let batch = reader
            .next_batch(10, usize::MAX, Duration::from_secs(10))
            .await
            .expect("batch");
        (reader, batch)
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let records: Vec<Vec<u8>> = (0..10).map(|index| vec![b'x'; 100 + index]).collect();
    wal.append(records.clone()).await.expect("append");
    let (mut reader, first) = waiting.await.expect("reader task");
    assert_eq!(first.len(), 10, "woken by the append, gets the whole group");

    wal.append(records).await.expect("append");
    let by_count = reader
        .next_batch(3, usize::MAX, Duration::ZERO)
        .await
        .expect("batch");
    assert_eq!(
        by_count.iter().map(|(lsn, _)| *lsn).collect::<Vec<_>>(),
        [11, 12, 13]
    );
    // 103 + 104 fit in 210, 105 does not.
    let by_bytes = reader
        .next_batch(100, 210, Duration::ZERO)
        .await
        .expect("batch");
    assert_eq!(
        by_bytes.iter().map(|(lsn, _)| *lsn).collect::<Vec<_>>(),
        [14, 15]
    );
    // One record larger than the byte limit still comes, alone.
    let oversized = reader
        .next_batch(100, 1, Duration::ZERO)
        .await
        .expect("batch");
    assert_eq!(
        oversized.iter().map(|(lsn, _)| *lsn).collect::<Vec<_>>(),
        [16]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appenders_share_fsyncs_and_every_record_is_read_once_in_order() {
    const TASKS: usize = 16;
    const RECORDS_PER_TASK: usize = 5_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let (wal, mut reader, _) = open(WalConfig {
        segment_bytes: 256 * 1024,
        ..config(dir.path())
    })
    .await;

    // The shipper runs alongside, checkpointing as it goes, so rollover and deletion happen
    // under load too.
    let total = TASKS * RECORDS_PER_TASK;
    let shipper = tokio::spawn(async move {
        let mut records = Vec::with_capacity(total);
        while records.len() < total {
            let batch = reader
                .next_batch(4_000, usize::MAX, Duration::from_secs(10))
                .await
                .expect("batch");
            let Some((last_lsn, _)) = batch.last() else {
                panic!("no record within 10 s after {} of {total}", records.len());
            };
            reader
                .checkpoint(*last_lsn, Vec::new())
                .await
                .expect("checkpoint");
            records.extend(batch);
        }
        records
    });
    let appenders: Vec<_> = (0..TASKS)
        .map(|task| {
            let wal = wal.clone();
            tokio::spawn(async move {
                let mut previous_lsn = 0;
                for index in 0..RECORDS_PER_TASK {
                    let lsn = wal
                        .append(vec![payload(&format!("task{task:02}"), index)])
                        .await
                        .expect("append");
                    assert!(lsn > previous_lsn, "one appender's LSNs increase");
                    previous_lsn = lsn;
                }
            })
        })
        .collect();
    for appender in appenders {
        appender.await.expect("appender task");
    }
    let records = shipper.await.expect("shipper task");

    let lsns: Vec<Lsn> = records.iter().map(|(lsn, _)| *lsn).collect();
    assert_eq!(lsns, (1..=total as Lsn).collect::<Vec<_>>());
    let mut next_index_per_task: HashMap<String, usize> = HashMap::new();
    for (_, bytes) in &records {
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        let (task, index) = text.split_once('-').expect("label-index");
        let expected = next_index_per_task.entry(task.to_owned()).or_default();
        assert_eq!(
            index.parse::<usize>().expect("index"),
            *expected,
            "{task} in order, once each"
        );
        *expected += 1;
    }
    assert_eq!(next_index_per_task.len(), TASKS);
    assert!(next_index_per_task
        .values()
        .all(|count| *count == RECORDS_PER_TASK));

    let stats = wal.stats();
    assert_eq!(stats.appends, total as u64);
    assert_eq!(stats.unshipped_bytes, 0);
    assert!(
        stats.segments <= 2,
        "shipped segments are deleted: {stats:?}"
    );
    // Every fsync of the log is counted, checkpoints and directory syncs included; with 16
    // appenders waiting, groups average well above 4 appends.
    assert!(
        stats.fsyncs * 4 < stats.appends,
        "group commit: {} fsyncs for {} appends",
        stats.fsyncs,
        stats.appends
    );
}

#[tokio::test]
async fn reopening_resumes_lsns_and_the_reader_after_the_checkpoint() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let (wal, mut reader, _) = open(config(dir.path())).await;
        for index in 0..10 {
            wal.append(vec![payload("first", index)])
                .await
                .expect("append");
        }
        let batch = reader
            .next_batch(6, usize::MAX, Duration::ZERO)
            .await
            .expect("batch");
        assert_eq!(batch.len(), 6);
        reader
            .checkpoint(4, b"after four".to_vec())
            .await
            .expect("checkpoint");
        wal.close().await;
    }
    let (wal, mut reader, report) = open(config(dir.path())).await;
    assert_eq!(report.checkpointed_lsn, 4);
    assert_eq!(report.next_lsn, 11);
    assert_eq!(report.unshipped_records, 6);
    assert_eq!(report.torn_tail, None);
    assert_eq!(reader.checkpoint_state(), (4, b"after four".to_vec()));
    assert_eq!(
        wal.append(vec![payload("second", 0)])
            .await
            .expect("append"),
        11
    );

    let records = read_all(&mut reader).await;
    let lsns: Vec<Lsn> = records.iter().map(|(lsn, _)| *lsn).collect();
    assert_eq!(lsns, (5..=11).collect::<Vec<_>>());
    assert_eq!(records[0].1, payload("first", 4));
    assert_eq!(records[6].1, payload("second", 0));
}

#[tokio::test]
async fn reopening_after_everything_was_shipped_never_reuses_an_lsn() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let (wal, mut reader, _) = open(config(dir.path())).await;
        let last = wal.append(vec![payload("x", 0); 5]).await.expect("append");
        read_all(&mut reader).await;
        reader
            .checkpoint(last, Vec::new())
            .await
            .expect("checkpoint");
        wal.close().await;
    }
    // Even with every segment gone, the checkpoint alone keeps LSNs moving forward.
    for file in segment_files(dir.path()) {
        std::fs::remove_file(file).expect("remove segment");
    }
    let (wal, mut reader, report) = open(config(dir.path())).await;
    assert_eq!((report.next_lsn, report.unshipped_records), (6, 0));
    assert_eq!(wal.append(vec![payload("y", 0)]).await.expect("append"), 6);
    assert_eq!(read_all(&mut reader).await, vec![(6, payload("y", 0))]);
}

#[tokio::test]
async fn segments_roll_over_and_fully_shipped_ones_are_deleted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let record_bytes = 16 + payload("r", 0).len() as u64;
    let (wal, mut reader, _) = open(WalConfig {
        segment_bytes: record::SEGMENT_HEADER_BYTES + 10 * record_bytes,
        ..config(dir.path())
    })
    .await;
    for index in 0..35 {
        wal.append(vec![payload("r", index)]).await.expect("append");
    }
    let names: Vec<String> = segment_files(dir.path())
        .iter()
        .map(|path| {
            path.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "00000000000000000001.wal",
            "00000000000000000011.wal",
            "00000000000000000021.wal",
            "00000000000000000031.wal"
        ]
    );
    assert_eq!(wal.stats().segments, 4);

    let records = read_all(&mut reader).await;
    assert_eq!(records.len(), 35, "the reader crosses segment boundaries");
    reader.checkpoint(15, Vec::new()).await.expect("checkpoint");
    assert_eq!(
        segment_files(dir.path()).len(),
        3,
        "1..=10 deleted, 11..=20 still needed"
    );
    reader.checkpoint(30, Vec::new()).await.expect("checkpoint");
    assert_eq!(segment_files(dir.path()).len(), 1);
    reader.checkpoint(35, Vec::new()).await.expect("checkpoint");
    assert_eq!(
        segment_files(dir.path()).len(),
        1,
        "the active segment stays"
    );
    let stats = wal.stats();
    assert_eq!((stats.segments, stats.unshipped_bytes), (1, 0));
    assert_eq!(
        stats.bytes_on_disk,
        record::SEGMENT_HEADER_BYTES + 5 * record_bytes
    );
}

#[tokio::test]
async fn full_when_the_bound_is_reached_until_a_checkpoint_makes_room() {
    let dir = tempfile::tempdir().expect("temp dir");
    let record_bytes = 16 + 84;
    let (wal, mut reader, _) = open(WalConfig {
        max_bytes: 10 * record_bytes,
        ..config(dir.path())
    })
    .await;
    let lsn = wal.append(vec![vec![7; 84]; 8]).await.expect("8 of 10 fit");
    assert_eq!(lsn, 8);
    let refused = wal.append(vec![vec![7; 84]; 3]).await;
    assert!(
        matches!(
            refused,
            Err(WalError::Full {
                requested_bytes: 300,
                unshipped_bytes: 800,
                max_bytes: 1000
            })
        ),
        "{refused:?}"
    );
    assert_eq!(
        wal.stats().last_appended_lsn,
        8,
        "nothing of the refused append was written"
    );
    assert!(matches!(
        wal.append(vec![vec![7; 84]; 11]).await,
        Err(WalError::AppendTooLarge { .. })
    ));

    let waiter = {
        let wal = wal.clone();
        tokio::spawn(async move { wal.wait_for_space(3 * record_bytes).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiter.is_finished(), "no room yet");

    let batch = reader
        .next_batch(2, usize::MAX, Duration::ZERO)
        .await
        .expect("batch");
    reader
        .checkpoint(batch[1].0, Vec::new())
        .await
        .expect("checkpoint");
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("wait_for_space resolves after the checkpoint")
        .expect("waiter task");
    assert_eq!(
        wal.append(vec![vec![7; 84]; 3]).await.expect("now it fits"),
        11
    );
    assert_eq!(wal.stats().unshipped_bytes, 9 * record_bytes);
}

#[tokio::test]
async fn the_shipper_state_survives_reopen_and_a_batch_can_be_replayed() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let (wal, mut reader, _) = open(config(dir.path())).await;
        wal.append((0..10).map(|index| payload("e", index)).collect())
            .await
            .expect("append");
        let first = reader
            .next_batch(4, usize::MAX, Duration::ZERO)
            .await
            .expect("batch");
        reader
            .checkpoint(4, b"chain=h4".to_vec())
            .await
            .expect("checkpoint");
        assert_eq!(first.len(), 4);
        // The shipper records its intent for 5..=7, then crashes before the insert.
        let intent = reader
            .next_batch(3, usize::MAX, Duration::ZERO)
            .await
            .expect("batch");
        assert_eq!(intent.last().map(|(lsn, _)| *lsn), Some(7));
        reader
            .save_state(b"chain=h4;intent=5..=7".to_vec())
            .await
            .expect("save state");
        assert_eq!(
            reader.checkpoint_state(),
            (4, b"chain=h4;intent=5..=7".to_vec())
        );
        wal.close().await;
    }
    let (_wal, mut reader, _) = open(config(dir.path())).await;
    assert_eq!(
        reader.checkpoint_state(),
        (4, b"chain=h4;intent=5..=7".to_vec())
    );
    reader.seek_after(4).expect("seek to the checkpoint");
    let replay = reader
        .next_batch(3, usize::MAX, Duration::ZERO)
        .await
        .expect("batch");
    assert_eq!(
        replay,
        (5..=7)
            .map(|lsn| (lsn, payload("e", lsn as usize - 1)))
            .collect::<Vec<_>>()
    );

    // A failed insert is retried by going back within what was read.
    reader.seek_after(5).expect("seek back");
    let again = reader
        .next_batch(10, usize::MAX, Duration::ZERO)
        .await
        .expect("batch");
    assert_eq!(again.first().map(|(lsn, _)| *lsn), Some(6));
    assert_eq!(again.len(), 5);
    assert!(matches!(
        reader.seek_after(3),
        Err(WalError::SeekOutOfRange { .. })
    ));
    assert!(matches!(
        reader.seek_after(11),
        Err(WalError::SeekOutOfRange { .. })
    ));
    assert!(matches!(
        reader.checkpoint(11, Vec::new()).await,
        Err(WalError::CheckpointOutOfRange { .. })
    ));
    reader
        .checkpoint(10, b"chain=h10".to_vec())
        .await
        .expect("checkpoint");
    assert!(matches!(
        reader.checkpoint(9, Vec::new()).await,
        Err(WalError::CheckpointOutOfRange { .. })
    ));
}

#[tokio::test]
async fn a_second_open_is_refused_and_close_stops_appends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (wal, mut reader, _) = open(config(dir.path())).await;
    assert!(matches!(
        Wal::open(config(dir.path())).await,
        Err(WalError::Locked(_))
    ));
    let appends: Vec<_> = (0..50)
        .map(|index| {
            let wal = wal.clone();
            tokio::spawn(async move { wal.append(vec![payload("c", index)]).await })
        })
        .collect();
    tokio::task::yield_now().await;
    wal.close().await;
    let acknowledged = {
        let mut acknowledged = 0;
        for append in appends {
            match append.await.expect("append task") {
                Ok(_) => acknowledged += 1,
                Err(WalError::Closed) => {}
                Err(other) => panic!("unexpected {other}"),
            }
        }
        acknowledged
    };
    assert!(matches!(
        wal.append(vec![payload("late", 0)]).await,
        Err(WalError::Closed)
    ));
    assert_eq!(
        read_all(&mut reader).await.len(),
        acknowledged,
        "the reader drains after close"
    );
    drop((wal, reader));
    open(config(dir.path())).await;
}
