//! HL7 v2.4 ADT messages for hospital visits (A04 register, A01 admit, A02 transfer, A03
//! discharge), as a PAS sends them: MSH-4 the trust's ODS code, PID-3 the NHS number (type NH,
//! authority NHS), PD1-3 the registered practice, PV1-3 the ward (the staff directory's team),
//! PV1-6 the prior ward on a transfer, PV1-7/17 the attending and admitting doctors by SDS user
//! id, PV1-19 the visit number, PV1-44/45 admit and discharge times. Times are UTC without an
//! offset (as careaudit reads them). Written MLLP-framed (VT message FS CR), as sent.

use crate::care::Visit;
use crate::region::Region;

/// HL7 TS to the second, UTC.
fn ts(at: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|time| time.format("%Y%m%d%H%M%S").to_string())
        .unwrap_or_default()
}

/// A person's name as an XPN/XCN component list, upper-case as PAS systems send it.
fn xcn(region: &Region, staff: u32) -> String {
    let (family, given) = region.staff_name(staff);
    format!(
        "{}^{}^{}^^^DR",
        region.user_id(staff),
        family.to_uppercase(),
        given.to_uppercase()
    )
}

/// The ADT message for one visit event (segments separated by CR).
pub fn adt(region: &Region, visit: &Visit) -> String {
    let org = &region.orgs[visit.org as usize];
    let patient = &region.patients[visit.patient as usize];
    let (family, given) = region.patient_name(visit.patient);
    let (line, postcode) = region.address(patient.household);
    let practice = &region.orgs[patient.gp as usize];
    let ward = &region.teams[visit.ward as usize].code;
    let prior = visit
        .prior_ward
        .map(|team| format!("{}^^^{}", region.teams[team as usize].code, org.code))
        .unwrap_or_default();
    let structure = match visit.trigger {
        "A01" | "A04" => "ADT_A01",
        "A02" => "ADT_A02",
        _ => "ADT_A03",
    };
    let birth = format!(
        "{}{:02}{:02}",
        patient.birth_year,
        visit.patient % 12 + 1,
        visit.patient % 28 + 1
    );
    let mut pv1 = vec![String::new(); 46];
    pv1[0] = "PV1".to_owned();
    pv1[1] = "1".to_owned();
    pv1[2] = visit.class.to_string();
    pv1[3] = format!("{ward}^^^{}", org.code);
    pv1[6] = prior;
    pv1[7] = xcn(region, visit.attending);
    pv1[17] = visit
        .admitting
        .map(|doctor| xcn(region, doctor))
        .unwrap_or_default();
    pv1[19] = visit.visit.clone();
    pv1[44] = ts(visit.admitted);
    pv1[45] = visit.discharged.map(ts).unwrap_or_default();
    let segments = [
        format!(
            "MSH|^~\\&|PAS|{}|CAREAUDIT|NHS|{}||ADT^{}^{structure}|{}-{}|P|2.4",
            org.code,
            ts(visit.at),
            visit.trigger,
            visit.visit,
            visit.trigger
        ),
        format!("EVN|{}|{}||||{}", visit.trigger, ts(visit.at), ts(visit.at)),
        format!(
            "PID|1||{}^^^NHS^NH||{}^{}||{birth}|{}|||{line}^^London^^{postcode}^GBR^H",
            region.nhs_number(visit.patient),
            family.to_uppercase(),
            given.to_uppercase(),
            if patient.female { "F" } else { "M" },
        ),
        format!("PD1|||{}^^{}", practice.name, practice.code),
        pv1.join("|"),
    ];
    segments.join("\r")
}

/// One message with MLLP framing.
pub fn mllp(message: &str) -> Vec<u8> {
    let mut framed = Vec::with_capacity(message.len() + 3);
    framed.push(0x0b);
    framed.extend_from_slice(message.as_bytes());
    framed.extend_from_slice(&[0x1c, 0x0d]);
    framed
}
