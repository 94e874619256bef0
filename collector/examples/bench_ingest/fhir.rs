//! `fhir-bodies`: the HTTP benchmark's input. Every syslog line of the kit's message files
//! (`gen_messages.py`: RFC 5424 + ATNA XML) is read with careaudit's own syslog parser and ATNA
//! mapper, and the same access (user, role, organisation, patient, action, time, source,
//! address) is written as an IHE BALP AuditEvent following the NHS conventions in the README:
//! so the HTTP and the syslog runs carry the same events in their two wire forms. Bodies of
//! `--per-body` NDJSON lines each, written before any measurement.

use crate::Args;
use anyhow::Context;
use collector::{map_atna_message, parse_syslog};
use domain::{AccessEvent, Action, Channel, Provenance, Timestamp};
use serde_json::{json, Value};
use std::io::{BufRead, Write};

/// One event in this many is an emergency access (purpose of use ETREAT with a reason).
const EMERGENCY_ONE_IN: u128 = 250;
const EMERGENCY_REASONS: [&str; 3] = [
    "Patient unconscious in ED, no legitimate relationship on record",
    "Urgent medication reconciliation out of hours",
    "Safeguarding concern raised by ambulance crew",
];

pub fn write_bodies(args: &Args) -> anyhow::Result<()> {
    let messages = args.text("messages")?;
    let out = args.text("out")?;
    let per_body: usize = args.number("per-body", Some(10_000))?;
    std::fs::create_dir_all(&out)?;
    let namespace = uuid::Uuid::from_u128(0x0bec_4a1e_7f00_4c3a_b1a1_fb5e_11ce_0001);
    let mut body = Vec::new();
    let (mut lines, mut bodies, mut bytes) = (0_usize, 0_usize, 0_usize);
    let flush = |body: &mut Vec<u8>, bodies: &mut usize| -> anyhow::Result<()> {
        if body.is_empty() {
            return Ok(());
        }
        let path = format!("{out}/body.{:04}.ndjson", *bodies);
        std::fs::write(&path, &body).with_context(|| format!("writing {path}"))?;
        body.clear();
        *bodies += 1;
        Ok(())
    };
    for file in crate::files_in(&messages, ".txt")?
        .into_iter()
        .filter(|path| {
            path.file_name().is_some_and(|name| {
                name.to_string_lossy().starts_with("msgs.")
                    && !name.to_string_lossy().contains("all")
            })
        })
    {
        let reader = std::io::BufReader::new(std::fs::File::open(&file)?);
        for line in reader.lines() {
            let line = line?;
            let id = uuid::Uuid::new_v5(&namespace, line.as_bytes());
            let event = audit_event(&line, id).with_context(|| format!("line {}", lines + 1))?;
            let start = body.len();
            serde_json::to_writer(&mut body, &event)?;
            bytes += body.len() - start;
            body.write_all(b"\n")?;
            lines += 1;
            if lines % per_body == 0 {
                flush(&mut body, &mut bodies)?;
            }
        }
    }
    flush(&mut body, &mut bodies)?;
    println!(
        "{}",
        json!({"events": lines, "bodies": bodies, "mean_event_bytes": bytes as f64 / lines.max(1) as f64})
    );
    Ok(())
}

/// The access one kit syslog line describes, as a BALP AuditEvent.
fn audit_event(line: &str, id: uuid::Uuid) -> anyhow::Result<Value> {
    let now = Timestamp::now();
    let message =
        parse_syslog(line.as_bytes(), now).map_err(|error| anyhow::anyhow!("{}", error.reason))?;
    let provenance = Provenance {
        source_node: message.hostname.clone(),
        channel: Channel::SyslogTcp,
        authenticated_as: String::new(),
        received_at: now,
    };
    let mapped = map_atna_message(&message.message, provenance, || id.to_string())
        .map_err(|error| anyhow::anyhow!("{}", error.reason))?;
    let event: AccessEvent = mapped.event;
    let subtype = match event.action {
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update",
        Action::Delete => "delete",
        Action::Execute => "search",
    };
    let emergency = id.as_u128() % EMERGENCY_ONE_IN == 0;
    let mut purpose = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": if emergency { "ETREAT" } else { "TREAT" }}]});
    if emergency {
        purpose["text"] = json!(EMERGENCY_REASONS[(id.as_u128() % 3) as usize]);
    }
    let roles: Vec<Value> = event
        .user_roles
        .iter()
        .map(|role| json!({"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/NHSRBACRole", "code": role.as_str()}]}))
        .collect();
    // The organisation the kit's syslog-ng config stores (AuditEnterpriseSiteID); careaudit's
    // ATNA mapper does not take the audit source's site as the user's organisation, but a FHIR
    // sender names the user's organisation in its own agent, as BALP and the NHS conventions do.
    let org = attribute(line, "AuditEnterpriseSiteID").unwrap_or_default();
    Ok(json!({
        "resourceType": "AuditEvent",
        "id": id.to_string(),
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest"},
        "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": subtype}],
        "action": event.action.code(),
        "recorded": event.occurred_at.to_datetime().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "outcome": "0",
        "agent": [
            {
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
                "who": {"identifier": {"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": event.user_id.as_str()}, "display": event.user_name},
                "role": roles,
                "requestor": true,
                "network": {"address": event.client_address, "type": "2"},
                "purposeOfUse": [purpose]
            },
            {
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleClass", "code": "PROV"}]},
                "who": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": org}},
                "requestor": false
            }
        ],
        "source": {"site": message.hostname, "observer": {"display": message.app_name}},
        "entity": [
            {
                "what": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": event.patient_id.as_str()}},
                "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1"},
                "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1"}
            }
        ]
    }))
}

/// The value of the first `name="..."` attribute in `text`.
fn attribute<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let start = text.find(&format!(" {name}=\""))? + name.len() + 3;
    let length = text[start..].find('"')?;
    Some(&text[start..start + length])
}
