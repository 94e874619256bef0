//! CSV bulk loads of the care context, as HR and PDS extracts look in practice: the staff
//! directory, GP registrations, and VIP / confidential flags. The header is checked first (a
//! missing required column refuses the file); then every row is checked on its own, good rows
//! become [`CareFact`]s and bad ones are reported with their line number and reason.

use chrono::NaiveDate;
use domain::{
    is_valid_nhs_number, CareFact, PatientFlagKind, RelationshipKind, RelationshipRecord,
    StaffRecord, Timestamp,
};
use serde::Serialize;
use std::collections::HashMap;

/// Which extract a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvKind {
    Staff,
    Registrations,
    Vip,
}

impl CsvKind {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "staff" => Some(Self::Staff),
            "registrations" => Some(Self::Registrations),
            "vip" => Some(Self::Vip),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Registrations => "registrations",
            Self::Vip => "vip",
        }
    }

    /// The columns a file of this kind must have (any order; other columns are ignored).
    pub fn required_columns(self) -> &'static [&'static str] {
        match self {
            Self::Staff => &[
                "user_id",
                "family_name",
                "given_names",
                "org_code",
                "role_codes",
                "start_date",
                "leave_date",
            ],
            Self::Registrations => &["nhs_number", "practice_code", "registered_from"],
            Self::Vip => &["nhs_number", "flag"],
        }
    }

    /// The columns read when present.
    fn optional_columns(self) -> &'static [&'static str] {
        match self {
            Self::Staff => &[
                "job_title",
                "team",
                "home_address_line",
                "home_postcode",
                "patient_id",
            ],
            Self::Registrations => &["registered_to"],
            Self::Vip => &["value", "reason"],
        }
    }
}

/// A row that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    pub error: String,
}

/// What a file yielded: facts with the line each came from, and the rows refused.
#[derive(Debug, Default)]
pub struct CsvLoad {
    pub facts: Vec<(u64, CareFact)>,
    pub errors: Vec<RowError>,
    pub ignored_columns: Vec<String>,
}

/// Why a whole file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvFileError {
    #[error("the file has no header line")]
    Empty,
    #[error("the header lacks the required column(s): {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("the header is not valid CSV: {0}")]
    InvalidHeader(String),
}

struct Row<'a> {
    columns: &'a HashMap<String, usize>,
    record: &'a csv::StringRecord,
}

impl Row<'_> {
    fn get(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|index| self.record.get(*index))
            .map(str::trim)
            .unwrap_or_default()
    }

    fn required(&self, column: &str) -> Result<&str, String> {
        let value = self.get(column);
        if value.is_empty() {
            return Err(format!("{column} is empty"));
        }
        Ok(value)
    }

    fn date(&self, column: &str) -> Result<Option<NaiveDate>, String> {
        let value = self.get(column);
        if value.is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("{column} is not a date (YYYY-MM-DD)"))
    }

    fn nhs_number(&self) -> Result<String, String> {
        let raw: String = self
            .required("nhs_number")?
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if !is_valid_nhs_number(&raw) {
            return Err(
                "nhs_number is not a valid NHS number (ten digits with a modulus 11 check digit)"
                    .to_owned(),
            );
        }
        Ok(raw)
    }
}

fn midnight(date: NaiveDate) -> Timestamp {
    Timestamp::from(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

fn staff(row: &Row<'_>) -> Result<CareFact, String> {
    let start_date = row.date("start_date")?;
    let leave_date = row.date("leave_date")?;
    if let (Some(start), Some(leave)) = (start_date, leave_date) {
        if leave < start {
            return Err("leave_date is before start_date".to_owned());
        }
    }
    Ok(CareFact::Staff(StaffRecord {
        user_id: row.required("user_id")?.to_owned(),
        family_name: row.get("family_name").to_owned(),
        given_names: row.get("given_names").to_owned(),
        org_code: row.required("org_code")?.to_uppercase(),
        role_codes: row
            .get("role_codes")
            .split([';', ' ', '|'])
            .map(str::trim)
            .filter(|code| !code.is_empty())
            .map(str::to_owned)
            .collect(),
        job_title: row.get("job_title").to_owned(),
        team: row.get("team").to_owned(),
        home_address_line: row.get("home_address_line").to_owned(),
        home_postcode: row.get("home_postcode").to_uppercase(),
        start_date,
        leave_date,
        patient_id: row.get("patient_id").to_owned(),
    }))
}

fn registration(row: &Row<'_>) -> Result<CareFact, String> {
    let nhs_number = row.nhs_number()?;
    let practice = row.required("practice_code")?.to_uppercase();
    let from = row
        .date("registered_from")?
        .ok_or("registered_from is empty")?;
    let to = row.date("registered_to")?;
    if to.is_some_and(|to| to < from) {
        return Err("registered_to is before registered_from".to_owned());
    }
    Ok(CareFact::Relationship(RelationshipRecord {
        relationship_id: format!("csv:registration:{nhs_number}:{practice}:{from}"),
        patient_id: nhs_number,
        kind: RelationshipKind::Registration,
        user_id: String::new(),
        team: String::new(),
        org_code: practice,
        valid_from: midnight(from),
        valid_to: to.map(midnight),
        cancelled: false,
    }))
}

fn vip(row: &Row<'_>) -> Result<CareFact, String> {
    let patient_id = row.nhs_number()?;
    let flag = match row.required("flag")?.to_ascii_lowercase().as_str() {
        "vip" => PatientFlagKind::Vip,
        "confidential" => PatientFlagKind::Confidential,
        "sharing_objection" | "objection" => PatientFlagKind::SharingObjection,
        other => {
            return Err(format!(
                "flag {other:?} is not one of vip, confidential, sharing_objection"
            ))
        }
    };
    let value = match row.get("value").to_ascii_lowercase().as_str() {
        "" | "true" | "yes" | "y" | "1" => true,
        "false" | "no" | "n" | "0" => false,
        other => return Err(format!("value {other:?} is not true or false")),
    };
    Ok(CareFact::PatientFlag {
        patient_id,
        flag,
        value,
        reason: row.get("reason").to_owned(),
    })
}

/// Reads a whole file. Rows are independent: one bad row never stops the others.
pub fn read_csv(kind: CsvKind, bytes: &[u8]) -> Result<CsvLoad, CsvFileError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|error| CsvFileError::InvalidHeader(error.to_string()))?
        .clone();
    if header.iter().all(str::is_empty) {
        return Err(CsvFileError::Empty);
    }
    let columns: HashMap<String, usize> = header
        .iter()
        .enumerate()
        .map(|(index, name)| (name.trim().to_ascii_lowercase(), index))
        .collect();
    let missing: Vec<String> = kind
        .required_columns()
        .iter()
        .filter(|column| !columns.contains_key(**column))
        .map(|column| (*column).to_owned())
        .collect();
    if !missing.is_empty() {
        return Err(CsvFileError::MissingColumns(missing));
    }
    let known: Vec<&str> = kind
        .required_columns()
        .iter()
        .chain(kind.optional_columns())
        .copied()
        .collect();
    let mut load = CsvLoad {
        ignored_columns: header
            .iter()
            .map(|name| name.trim().to_ascii_lowercase())
            .filter(|name| !known.contains(&name.as_str()))
            .collect(),
        ..CsvLoad::default()
    };
    for (index, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|record| record.position())
            .map_or(index as u64 + 2, |position| position.line());
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                load.errors.push(RowError {
                    line,
                    error: format!("not valid CSV: {error}"),
                });
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let row = Row {
            columns: &columns,
            record: &record,
        };
        let fact = match kind {
            CsvKind::Staff => staff(&row),
            CsvKind::Registrations => registration(&row),
            CsvKind::Vip => vip(&row),
        };
        match fact {
            Ok(fact) => load.facts.push((line, fact)),
            Err(error) => load.errors.push(RowError { line, error }),
        }
    }
    Ok(load)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: CsvKind, text: &str, facts: usize, errors: &[(u64, &str)]) {
        let load = read_csv(kind, text.as_bytes()).expect("file accepted");
        assert_eq!(load.facts.len(), facts, "{:?}", load.errors);
        let found: Vec<(u64, &str)> = load
            .errors
            .iter()
            .map(|error| (error.line, error.error.as_str()))
            .collect();
        assert_eq!(found, errors);
    }

    #[test]
    fn staff_rows_are_checked_one_by_one() {
        let text = "user_id,family_name,given_names,org_code,role_codes,job_title,start_date,leave_date,home_postcode\n\
                    555000000001,Okafor,Amira,rdm01,R8000;R8001,Consultant,2020-01-06,,n1 9gu\n\
                    ,Smith,Ben,RDM01,R8000,Nurse,2021-02-01,,\n\
                    555000000003,Patel,Chloe,RDM02,R0260,Porter,2022-03-01,2021-01-01,\n\
                    555000000004,Nowak,Dev,RDM02,R8003,Pharmacist,01/02/2020,,\n";
        check(
            CsvKind::Staff,
            text,
            1,
            &[
                (3, "user_id is empty"),
                (4, "leave_date is before start_date"),
                (5, "start_date is not a date (YYYY-MM-DD)"),
            ],
        );
        let load = read_csv(CsvKind::Staff, text.as_bytes()).expect("accepted");
        let CareFact::Staff(first) = &load.facts[0].1 else {
            panic!("staff fact")
        };
        assert_eq!(
            (
                first.org_code.as_str(),
                first.role_codes.clone(),
                first.home_postcode.as_str()
            ),
            (
                "RDM01",
                vec!["R8000".to_owned(), "R8001".to_owned()],
                "N1 9GU"
            )
        );
    }

    #[test]
    fn a_missing_required_column_refuses_the_file() {
        let error = read_csv(
            CsvKind::Registrations,
            b"nhs_number,registered_from\n9000000009,2020-01-01\n",
        )
        .expect_err("refused");
        assert_eq!(
            error,
            CsvFileError::MissingColumns(vec!["practice_code".to_owned()])
        );
        assert_eq!(
            read_csv(CsvKind::Vip, b"").expect_err("refused"),
            CsvFileError::Empty
        );
    }

    #[test]
    fn registrations_need_valid_nhs_numbers() {
        let text = "\u{feff}nhs_number,practice_code,registered_from,registered_to,extra\n9000000009,g00001,2019-05-01,\n9000000008,G00001,2019-05-01,\n";
        check(
            CsvKind::Registrations,
            text,
            1,
            &[(
                3,
                "nhs_number is not a valid NHS number (ten digits with a modulus 11 check digit)",
            )],
        );
        let load = read_csv(CsvKind::Registrations, text.as_bytes()).expect("accepted");
        assert_eq!(load.ignored_columns, ["extra"]);
    }

    #[test]
    fn vip_flags_default_to_set() {
        let text = "nhs_number,flag,value,reason\n9000000009,vip,,public figure\n9000000009,confidential,no,\n9000000009,famous,yes,\n";
        check(
            CsvKind::Vip,
            text,
            2,
            &[(
                4,
                "flag \"famous\" is not one of vip, confidential, sharing_objection",
            )],
        );
    }
}
