//! Compressed output is the plain output, zstd-framed: every feed file decodes (through
//! `feeds::open`, as the sender and the evaluation read them) to the bytes of an uncompressed
//! run of the same configuration.

use simulator::feeds;
use std::io::Read;

#[test]
fn compressed_feeds_decode_to_the_plain_bytes() {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    let mut config = simulator::SimConfig::preset(simulator::Size::Demo, 8, start);
    config.days = 2;
    let plain = tempfile::tempdir().expect("directory");
    let packed = tempfile::tempdir().expect("directory");
    simulator::generate(&config, plain.path()).expect("plain run");
    config.compress = true;
    simulator::generate(&config, packed.path()).expect("compressed run");
    let mut files = vec![
        feeds::AUDIT_EVENTS.to_owned(),
        feeds::ATNA.to_owned(),
        feeds::ADT.to_owned(),
        feeds::TRUTH.to_owned(),
    ];
    files.extend(
        feeds::CARE_TYPES
            .iter()
            .map(|kind| format!("{}/{kind}.ndjson", feeds::FHIR_DIR)),
    );
    for file in files {
        assert!(
            !packed.path().join(&file).exists(),
            "{file} is stored compressed"
        );
        let mut decoded = Vec::new();
        feeds::open(&packed.path().join(&file))
            .expect("compressed file")
            .read_to_end(&mut decoded)
            .expect("decodes");
        assert!(
            decoded == std::fs::read(plain.path().join(&file)).expect("plain file"),
            "{file} differs"
        );
    }
}
