//! `map_atna_message` on arbitrary bytes (the MSG of an ITI-20 syslog record). Besides not
//! panicking: a mapped event has the fallback id (ATNA carries none), the further patients do
//! not repeat the first, and each tolerated deviation is named once.

#![no_main]

use collector::map_atna_message;
use domain::{Channel, Provenance, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let provenance = Provenance {
        source_node: "fuzz".to_owned(),
        channel: Channel::SyslogTls,
        authenticated_as: String::new(),
        received_at: Timestamp::from_millis(1_795_291_200_000),
    };
    let Ok(mapped) = map_atna_message(data, provenance, || "id".into()) else {
        return;
    };
    assert_eq!(mapped.event.event_id.as_str(), "id");
    assert!(mapped
        .additional_patients
        .iter()
        .all(|patient| patient.id != mapped.event.patient_id
            || patient.system != mapped.event.patient_id_system));
    for (index, deviation) in mapped.deviations.iter().enumerate() {
        assert!(
            !mapped.deviations[..index].contains(deviation),
            "deviation {deviation} recorded twice"
        );
    }
});
