//! `map_audit_event` on arbitrary bytes (a FHIR AuditEvent as JSON). Besides not panicking: a
//! rejection always names at least one issue.

#![no_main]

use collector::map_audit_event;
use domain::{Channel, Provenance, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let provenance = Provenance {
        source_node: "fuzz".to_owned(),
        channel: Channel::FhirHttp,
        authenticated_as: String::new(),
        received_at: Timestamp::from_millis(1_795_291_200_000),
    };
    if let Err(error) = map_audit_event(data, provenance, || "id".into()) {
        assert!(!error.issues.is_empty(), "a rejection without an issue");
    }
});
