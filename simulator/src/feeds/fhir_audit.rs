//! FHIR R4 AuditEvents following IHE BALP (PatientRead, PatientQuery) and the NHS conventions
//! careaudit documents: the user by SDS user id with the RBAC role in `agent.role`, the
//! organisation as a `v3-RoleClass#PROV` agent by ODS code, the patient by NHS number,
//! `purposeOfUse`, and SCR-style alerts in `purposeOfEvent` (`urn:careaudit:scr-alert-type`).
//! Written as NDJSON, one event a line, from borrowed structs (no JSON tree per event, which
//! matters at ten million events).

use crate::events::{instant, AuditSpec, EventKind};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::Serialize;
use std::io::Write;

const BALP: &str = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit";
const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    resource_type: &'static str,
    id: &'a str,
    meta: Meta,
    #[serde(rename = "type")]
    event_type: Coding<'a>,
    subtype: [Coding<'a>; 1],
    action: &'static str,
    recorded: String,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    purpose_of_event: Vec<Concept<'a>>,
    agent: (UserAgent<'a>, OrgAgent<'a>),
    source: Source<'a>,
    entity: Vec<Entity<'a>>,
}

#[derive(Serialize)]
struct Meta {
    profile: [String; 1],
}

#[derive(Serialize)]
struct Coding<'a> {
    system: &'a str,
    code: &'a str,
}

#[derive(Serialize)]
struct Concept<'a> {
    coding: [Coding<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserAgent<'a> {
    #[serde(rename = "type")]
    agent_type: Concept<'a>,
    who: Who<'a>,
    role: [Concept<'a>; 1],
    requestor: bool,
    purpose_of_use: [Concept<'a>; 1],
}

#[derive(Serialize)]
struct OrgAgent<'a> {
    #[serde(rename = "type")]
    agent_type: Concept<'a>,
    who: Who<'a>,
    requestor: bool,
}

#[derive(Serialize)]
struct Who<'a> {
    identifier: Identifier<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<&'a str>,
}

#[derive(Serialize)]
struct Identifier<'a> {
    system: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct Source<'a> {
    site: &'a str,
    observer: Display<'a>,
}

#[derive(Serialize)]
struct Display<'a> {
    display: &'a str,
}

#[derive(Serialize)]
struct Entity<'a> {
    what: What<'a>,
    #[serde(rename = "type")]
    entity_type: Coding<'a>,
    role: Coding<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum What<'a> {
    Identifier { identifier: Identifier<'a> },
    Reference { reference: String },
}

/// Writes one AuditEvent as a line of NDJSON.
pub fn write(out: &mut impl Write, spec: &AuditSpec<'_>) -> std::io::Result<()> {
    let (subtype, action, profile) = match spec.kind {
        EventKind::Search => ("search", "E", "PatientQuery"),
        EventKind::Read | EventKind::Data(_) => ("read", "R", "PatientRead"),
    };
    let purpose = match spec.alert {
        Some(alert) if alert.kind == "emergency-access" => "ETREAT",
        _ => "TREAT",
    };
    let patient = Entity {
        what: What::Identifier {
            identifier: Identifier {
                system: "https://fhir.nhs.uk/Id/nhs-number",
                value: &spec.nhs_number,
            },
        },
        entity_type: Coding {
            system: "http://terminology.hl7.org/CodeSystem/audit-entity-type",
            code: "1",
        },
        role: Coding {
            system: "http://terminology.hl7.org/CodeSystem/object-role",
            code: "1",
        },
        query: None,
    };
    let mut entity = vec![patient];
    match spec.kind {
        EventKind::Search => entity.push(Entity {
            what: What::Reference {
                reference: "Patient".to_owned(),
            },
            entity_type: Coding {
                system: "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                code: "2",
            },
            role: Coding {
                system: "http://terminology.hl7.org/CodeSystem/object-role",
                code: "24",
            },
            query: Some(
                BASE64.encode(
                    format!(
                        "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{}",
                        spec.nhs_number
                    )
                    .as_bytes(),
                ),
            ),
        }),
        EventKind::Data(resource_type) => entity.push(Entity {
            what: What::Reference {
                reference: format!("{resource_type}/{}", spec.event_id),
            },
            entity_type: Coding {
                system: "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                code: "2",
            },
            role: Coding {
                system: "http://terminology.hl7.org/CodeSystem/object-role",
                code: "4",
            },
            query: None,
        }),
        EventKind::Read => {}
    }
    let event = Event {
        resource_type: "AuditEvent",
        id: &spec.event_id,
        meta: Meta {
            profile: [format!("{BALP}.{profile}")],
        },
        event_type: Coding {
            system: "http://terminology.hl7.org/CodeSystem/audit-event-type",
            code: "rest",
        },
        subtype: [Coding {
            system: "http://hl7.org/fhir/restful-interaction",
            code: subtype,
        }],
        action,
        recorded: instant(spec.at),
        outcome: "0",
        purpose_of_event: spec
            .alert
            .map(|alert| Concept {
                coding: [Coding {
                    system: "urn:careaudit:scr-alert-type",
                    code: alert.kind,
                }],
                text: Some(&alert.reason),
            })
            .into_iter()
            .collect(),
        agent: (
            UserAgent {
                agent_type: Concept {
                    coding: [Coding {
                        system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                        code: "IRCP",
                    }],
                    text: None,
                },
                who: Who {
                    identifier: Identifier {
                        system: "https://fhir.nhs.uk/Id/sds-user-id",
                        value: &spec.user_id,
                    },
                    display: Some(&spec.user_name),
                },
                role: [Concept {
                    coding: [Coding {
                        system: "https://fhir.nhs.uk/CodeSystem/NHSRBACRole",
                        code: spec.role_code,
                    }],
                    text: None,
                }],
                requestor: true,
                purpose_of_use: [Concept {
                    coding: [Coding {
                        system: ACT_REASON,
                        code: purpose,
                    }],
                    text: None,
                }],
            },
            OrgAgent {
                agent_type: Concept {
                    coding: [Coding {
                        system: "http://terminology.hl7.org/CodeSystem/v3-RoleClass",
                        code: "PROV",
                    }],
                    text: None,
                },
                who: Who {
                    identifier: Identifier {
                        system: "https://fhir.nhs.uk/Id/ods-organization-code",
                        value: spec.org_code,
                    },
                    display: None,
                },
                requestor: false,
            },
        ),
        source: Source {
            site: spec.node,
            observer: Display { display: spec.node },
        },
        entity,
    };
    serde_json::to_writer(&mut *out, &event)?;
    out.write_all(b"\n")
}
