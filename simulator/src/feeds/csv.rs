//! The CSV extracts, as HR and PDS extracts look: the staff directory (with home address, the
//! member of staff's own NHS number when they are a patient, start and leave dates), GP
//! registrations, and the VIP list. Columns are the ones `careaudit load` documents.

use crate::region::Region;
use chrono::NaiveDate;
use std::io::Write;

fn date(start: NaiveDate, day: i32) -> String {
    (start + chrono::Duration::days(i64::from(day)))
        .format("%Y-%m-%d")
        .to_string()
}

pub fn staff(out: impl Write, region: &Region, start: NaiveDate) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "user_id",
        "family_name",
        "given_names",
        "org_code",
        "role_codes",
        "start_date",
        "leave_date",
        "job_title",
        "team",
        "home_address_line",
        "home_postcode",
        "patient_id",
    ])?;
    for (index, member) in region.staff.iter().enumerate() {
        let index = index as u32;
        let (family, given) = region.staff_name(index);
        let (line, postcode) = region.staff_address(index);
        writer.write_record([
            region.user_id(index).as_str(),
            family,
            given,
            &region.orgs[member.org as usize].code,
            member.role.code,
            &date(start, member.start_day),
            &member
                .leave_day
                .map(|day| date(start, day))
                .unwrap_or_default(),
            member.role.job,
            &region.teams[member.team as usize].code,
            &line,
            &postcode,
            &member
                .patient
                .map(|patient| region.nhs_number(patient))
                .unwrap_or_default(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// Everyone is registered with their household's practice, since a date derived from when
/// they were born or moved in.
pub fn registrations(out: impl Write, region: &Region, start: NaiveDate) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["nhs_number", "practice_code", "registered_from"])?;
    let year = chrono::Datelike::year(&start);
    for (index, patient) in region.patients.iter().enumerate() {
        let index = index as u32;
        let from_year = i32::from(patient.birth_year).max(year - 12);
        let from = NaiveDate::from_ymd_opt(from_year, index % 12 + 1, index % 28 + 1)
            .unwrap_or(start)
            .min(start);
        writer.write_record([
            region.nhs_number(index).as_str(),
            &region.orgs[patient.gp as usize].code,
            &from.format("%Y-%m-%d").to_string(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

pub fn vip(out: impl Write, region: &Region) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["nhs_number", "flag", "value", "reason"])?;
    for (index, patient) in region.patients.iter().enumerate() {
        if patient.vip {
            writer.write_record([
                region.nhs_number(index as u32).as_str(),
                "vip",
                "true",
                "high-profile patient",
            ])?;
        }
    }
    writer.flush()?;
    Ok(())
}
