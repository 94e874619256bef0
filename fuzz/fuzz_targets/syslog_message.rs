//! `parse_syslog` on arbitrary frames, with a receive time of now, of the epoch and at the ends of
//! the representable range (RFC 3164 timestamps take their year from it). Besides not
//! panicking: PRI splits into a real facility and severity, MSG is never longer than the frame,
//! and each tolerated deviation is named once.

#![no_main]

use collector::parse_syslog;
use domain::Timestamp;
use libfuzzer_sys::fuzz_target;

/// 2026-11-21T20:00:00Z, the epoch, just before it, and the extremes.
const NOWS: [i64; 5] = [1_795_291_200_000, 0, -1, i64::MIN, i64::MAX];

fuzz_target!(|data: &[u8]| {
    for now in NOWS {
        let Ok(message) = parse_syslog(data, Timestamp::from_millis(now)) else {
            continue;
        };
        assert!(message.facility.is_none_or(|facility| facility <= 23));
        assert!(message.severity.is_none_or(|severity| severity <= 7));
        assert!(message.message.len() <= data.len());
        for (index, deviation) in message.deviations.iter().enumerate() {
            assert!(
                !message.deviations[..index].contains(deviation),
                "deviation {deviation} recorded twice"
            );
        }
    }
});
