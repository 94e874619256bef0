//! Small pieces of HL7 v2 vocabulary that appear inside other formats (FHIR identifiers and
//! DICOM/ATNA participant ids often carry HL7 CX values).

/// Splits an HL7 v2 CX value (`ID^check digit^scheme^&OID&ISO`) into the identifier and, when
/// the assigning authority is an ISO OID, `urn:oid:<OID>`. A value without `^` is returned as is.
pub fn split_hl7_cx(value: &str) -> (&str, Option<String>) {
    let Some((id, rest)) = value.split_once('^') else {
        return (value, None);
    };
    let authority = rest.split('^').nth(2).unwrap_or_default();
    let mut parts = authority.split('&');
    let namespace = parts.next().unwrap_or_default();
    let universal_id = parts.next().unwrap_or_default();
    let universal_type = parts.next().unwrap_or_default();
    let system = if !universal_id.is_empty() && universal_type.eq_ignore_ascii_case("ISO") {
        Some(format!("urn:oid:{universal_id}"))
    } else if !namespace.is_empty() {
        Some(namespace.to_owned())
    } else {
        None
    };
    (id, system)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_cx_values() {
        let cases = [
            (
                "e3cdfc81a0d24bd^^^&2.16.840.1.113883.4.2&ISO",
                ("e3cdfc81a0d24bd", Some("urn:oid:2.16.840.1.113883.4.2")),
            ),
            ("123^^^HOSP", ("123", Some("HOSP"))),
            ("123^4^M11^&1.2.3&ISO", ("123", Some("urn:oid:1.2.3"))),
            ("9000000009", ("9000000009", None)),
            ("abc^", ("abc", None)),
        ];
        for (raw, (id, system)) in cases {
            assert_eq!(split_hl7_cx(raw), (id, system.map(str::to_owned)), "{raw}");
        }
    }
}
