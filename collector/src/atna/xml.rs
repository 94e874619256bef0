//! Reading an ATNA `AuditMessage` into the few elements careaudit maps. Both dialects are read
//! the same way: a coded value's code is `csd-code` (DICOM) or `code` (RFC 3881), its system
//! `codeSystemName` (or RFC 3881's `codeSystem`), its text `originalText` or `displayName`.
//!
//! The input is untrusted, so: UTF-8 only, at most [`MAX_AUDIT_MESSAGE_BYTES`], nesting at most
//! [`MAX_DEPTH`] deep, no DOCTYPE (so no DTD and no entities beyond the five predefined ones),
//! and everything else the mapping does not read is skipped without being kept.

use super::AtnaError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use quick_xml::XmlVersion;

/// Far above any real audit message (a large ITI-18 query is a few tens of KB).
pub const MAX_AUDIT_MESSAGE_BYTES: usize = 1024 * 1024;
/// An AuditMessage is at most five levels deep (`.../SOPClass/Instance`).
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Default)]
pub(super) struct WireAuditMessage {
    pub event: Option<WireEvent>,
    pub participants: Vec<WireParticipant>,
    pub objects: Vec<WireObject>,
}

#[derive(Debug, Default)]
pub(super) struct WireEvent {
    pub action_code: Option<String>,
    pub date_time: Option<String>,
    pub outcome: Option<String>,
    pub event_id: Option<CodedValue>,
    pub event_types: Vec<CodedValue>,
    pub purposes_of_use: Vec<CodedValue>,
}

#[derive(Debug, Default)]
pub(super) struct WireParticipant {
    pub user_id: Option<String>,
    pub alternative_user_id: Option<String>,
    pub user_name: Option<String>,
    pub user_is_requestor: Option<String>,
    /// DICOM 2019+: `1` person, `2` process.
    pub user_type_code: Option<String>,
    pub network_access_point_id: Option<String>,
    pub roles: Vec<CodedValue>,
}

#[derive(Debug, Default)]
pub(super) struct WireObject {
    pub id: Option<String>,
    pub type_code: Option<String>,
    pub type_code_role: Option<String>,
    pub id_type: Option<CodedValue>,
}

#[derive(Debug, Default, Clone)]
pub(super) struct CodedValue {
    pub code: Option<String>,
    pub system: Option<String>,
    pub text: Option<String>,
}

impl CodedValue {
    /// `system|code`, or the bare code when the system is absent.
    pub fn token(&self) -> Option<String> {
        let code = self.code.as_deref()?.trim();
        if code.is_empty() {
            return None;
        }
        Some(match self.system.as_deref().map(str::trim) {
            Some(system) if !system.is_empty() => format!("{system}|{code}"),
            _ => code.to_owned(),
        })
    }

    pub fn code_is(&self, code: &str) -> bool {
        self.code.as_deref().map(str::trim) == Some(code)
    }
}

/// Where an element sits, as far as the mapping cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    AuditMessage,
    EventIdentification,
    ActiveParticipant,
    ParticipantObject,
    Ignored,
}

pub(super) fn read_audit_message(
    xml: &[u8],
    deviations: &mut Vec<&'static str>,
) -> Result<WireAuditMessage, AtnaError> {
    if xml.len() > MAX_AUDIT_MESSAGE_BYTES {
        return Err(AtnaError::new(
            "too_large",
            format!("the audit message is larger than {MAX_AUDIT_MESSAGE_BYTES} bytes"),
        ));
    }
    let text = std::str::from_utf8(xml)
        .map_err(|_| invalid_xml("the audit message is not valid UTF-8".to_owned()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let mut message = WireAuditMessage::default();
    let mut stack: Vec<Context> = Vec::new();
    let mut root_seen = false;
    loop {
        let event = reader.read_event().map_err(|error| {
            invalid_xml(format!("the audit message is not well-formed XML: {error}"))
        })?;
        match event {
            Event::Start(element) => {
                let context = open_element(&element, stack.last().copied(), &mut message)?;
                root_seen = true;
                stack.push(context);
                if stack.len() > MAX_DEPTH {
                    return Err(invalid_xml(format!(
                        "elements are nested deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            Event::Empty(element) => {
                open_element(&element, stack.last().copied(), &mut message)?;
                root_seen = true;
                if stack.is_empty() {
                    break;
                }
            }
            Event::End(_) => {
                if stack.pop().is_none() {
                    return Err(invalid_xml("an end tag has no start tag".to_owned()));
                }
                if stack.is_empty() {
                    break;
                }
            }
            Event::Text(content) if !root_seen && !content.trim().is_empty() => {
                return Err(invalid_xml("the payload is not XML".to_owned()));
            }
            Event::GeneralRef(_) if !root_seen => {
                return Err(invalid_xml("the payload is not XML".to_owned()));
            }
            Event::DocType(_) => {
                return Err(invalid_xml(
                    "document type declarations are not accepted".to_owned(),
                ));
            }
            Event::Eof if root_seen => {
                return Err(invalid_xml(
                    "the document ends before AuditMessage is closed".to_owned(),
                ));
            }
            Event::Eof => {
                return Err(invalid_xml(
                    "the payload contains no XML element".to_owned(),
                ));
            }
            Event::Text(_)
            | Event::GeneralRef(_)
            | Event::CData(_)
            | Event::Comment(_)
            | Event::Decl(_)
            | Event::PI(_) => {}
        }
    }
    // Relays have been seen to append bytes after the message; the message itself is complete.
    let end = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
    let trailing = text.get(end..).unwrap_or_default();
    if !trailing
        .trim_matches(|c: char| c.is_whitespace() || c == '\0')
        .is_empty()
    {
        deviations.push("trailing_content");
    }
    Ok(message)
}

/// Records what the mapping needs from one element and says where its children will sit.
fn open_element(
    element: &BytesStart,
    parent: Option<Context>,
    message: &mut WireAuditMessage,
) -> Result<Context, AtnaError> {
    let name = element.local_name();
    let name = name.as_ref();
    let Some(parent) = parent else {
        if name == "AuditMessage" {
            return Ok(Context::AuditMessage);
        }
        return Err(AtnaError::new(
            "not_audit_message",
            "the root element is not AuditMessage",
        ));
    };
    let mut attributes = Attributes::read(element)?;
    let context = match (parent, name) {
        (Context::AuditMessage, "EventIdentification") if message.event.is_none() => {
            message.event = Some(WireEvent {
                action_code: attributes.take("EventActionCode"),
                date_time: attributes.take("EventDateTime"),
                outcome: attributes.take("EventOutcomeIndicator"),
                ..WireEvent::default()
            });
            Context::EventIdentification
        }
        (Context::AuditMessage, "ActiveParticipant") => {
            message.participants.push(WireParticipant {
                user_id: attributes.take("UserID"),
                alternative_user_id: attributes.take("AlternativeUserID"),
                user_name: attributes.take("UserName"),
                user_is_requestor: attributes.take("UserIsRequestor"),
                user_type_code: attributes.take("UserTypeCode"),
                network_access_point_id: attributes.take("NetworkAccessPointID"),
                roles: Vec::new(),
            });
            Context::ActiveParticipant
        }
        (Context::AuditMessage, "ParticipantObjectIdentification") => {
            message.objects.push(WireObject {
                id: attributes.take("ParticipantObjectID"),
                type_code: attributes.take("ParticipantObjectTypeCode"),
                type_code_role: attributes.take("ParticipantObjectTypeCodeRole"),
                id_type: None,
            });
            Context::ParticipantObject
        }
        (Context::EventIdentification, _) => {
            if let Some(event) = message.event.as_mut() {
                match name {
                    "EventID" if event.event_id.is_none() => {
                        event.event_id = Some(attributes.coded_value());
                    }
                    "EventTypeCode" => event.event_types.push(attributes.coded_value()),
                    "PurposeOfUse" => event.purposes_of_use.push(attributes.coded_value()),
                    _ => {}
                }
            }
            Context::Ignored
        }
        (Context::ActiveParticipant, "RoleIDCode") => {
            if let Some(participant) = message.participants.last_mut() {
                participant.roles.push(attributes.coded_value());
            }
            Context::Ignored
        }
        (Context::ParticipantObject, "ParticipantObjectIDTypeCode") => {
            if let Some(object) = message.objects.last_mut() {
                object
                    .id_type
                    .get_or_insert_with(|| attributes.coded_value());
            }
            Context::Ignored
        }
        _ => Context::Ignored,
    };
    Ok(context)
}

/// One element's attributes by local name, values unescaped and normalised.
struct Attributes(Vec<(String, String)>);

impl Attributes {
    fn read(element: &BytesStart) -> Result<Self, AtnaError> {
        let mut pairs = Vec::new();
        for attribute in element.attributes() {
            let attribute = attribute
                .map_err(|error| invalid_xml(format!("an attribute is malformed: {error}")))?;
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|error| {
                    invalid_xml(format!("an attribute value is malformed: {error}"))
                })?;
            let name = attribute.key.local_name().as_ref().to_owned();
            pairs.push((name, value.into_owned()));
        }
        Ok(Self(pairs))
    }

    fn take(&mut self, name: &str) -> Option<String> {
        let index = self.0.iter().position(|(key, _)| key == name)?;
        Some(self.0.swap_remove(index).1)
    }

    fn coded_value(&mut self) -> CodedValue {
        CodedValue {
            code: self.take("csd-code").or_else(|| self.take("code")),
            system: self
                .take("codeSystemName")
                .or_else(|| self.take("codeSystem")),
            text: self
                .take("originalText")
                .or_else(|| self.take("displayName")),
        }
    }
}

fn invalid_xml(reason: String) -> AtnaError {
    AtnaError::new("invalid_xml", reason)
}
