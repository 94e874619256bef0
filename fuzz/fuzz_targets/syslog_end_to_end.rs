//! A syslog byte stream as the TCP listener handles it: framed (limit 64 KiB), each frame parsed,
//! each message's MSG mapped as ATNA XML. Only "no panic" is checked here; the invariants of each
//! stage have their own targets.

#![no_main]

use collector::{map_atna_message, parse_syslog, SyslogFramer};
use domain::{Channel, Provenance, Timestamp};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_795_291_200_000;

fuzz_target!(|data: &[u8]| {
    let mut framer = SyslogFramer::new(64 * 1024);
    let mut frames = Vec::new();
    framer.push(data, &mut frames);
    frames.extend(framer.finish());
    for frame in frames.into_iter().flatten() {
        let Ok(message) = parse_syslog(&frame, Timestamp::from_millis(NOW)) else {
            continue;
        };
        let provenance = Provenance {
            source_node: "fuzz".to_owned(),
            channel: Channel::SyslogTcp,
            authenticated_as: String::new(),
            received_at: Timestamp::from_millis(NOW),
        };
        let _ = map_atna_message(&message.message, provenance, || "id".into());
    }
});
