//! The output directory: one file per feed (plus the late-arriving care context and the truth
//! file), written as the simulation streams. The layout, and the order a sender must follow
//! so that care context arrives before the accesses it explains:
//!
//! | step | file | feed |
//! |---|---|---|
//! | 1 | `fhir/Organization.ndjson` | FHIR Organization |
//! | 2 | `staff.csv`, `registrations.csv`, `vip.csv` | CSV loads (`/load/{staff,registrations,vip}`) |
//! | 3 | `fhir/<Type>.ndjson` for Patient, RelatedPerson, Consent, EpisodeOfCare, CareTeam, ServiceRequest, Appointment, Encounter | FHIR care resources (`POST /fhir/<Type>`, NDJSON) |
//! | 4 | `adt.hl7` | HL7 v2 ADT, MLLP-framed |
//! | 5 | `audit-events.ndjson`, `atna.syslog` | FHIR AuditEvent NDJSON; ATNA RFC 5424 with octet counting |
//! | 6 | `late/fhir/<Type>.ndjson`, `late/adt.hl7` | care context that arrives after the accesses |
//!
//! `truth.ndjson` is the ground truth ([`crate::truth`]); `manifest.json` the configuration and
//! the counts.

pub mod atna;
pub mod csv;
pub mod fhir_audit;
pub mod fhir_care;
pub mod hl7;

use crate::truth::TruthRecord;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub const AUDIT_EVENTS: &str = "audit-events.ndjson";
pub const ATNA: &str = "atna.syslog";
pub const ADT: &str = "adt.hl7";
pub const FHIR_DIR: &str = "fhir";
pub const LATE_DIR: &str = "late";
pub const STAFF: &str = "staff.csv";
pub const REGISTRATIONS: &str = "registrations.csv";
pub const VIP: &str = "vip.csv";
pub const TRUTH: &str = "truth.ndjson";
pub const MANIFEST: &str = "manifest.json";

/// The care resource types in the order they are sent (directories first, then the facts
/// that refer to them).
pub const CARE_TYPES: [&str; 9] = [
    "Organization",
    "Patient",
    "RelatedPerson",
    "Consent",
    "EpisodeOfCare",
    "CareTeam",
    "ServiceRequest",
    "Appointment",
    "Encounter",
];

/// The open files of one output directory.
pub struct Feeds {
    dir: PathBuf,
    audit: Out,
    atna: Out,
    adt: Out,
    late_adt: Out,
    fhir: BTreeMap<&'static str, Out>,
    late_fhir: BTreeMap<&'static str, Out>,
    truth: Out,
}

/// A feed file: plain, or zstd-compressed with `.zst` appended to its name (a London month is
/// ~19 GB plain and a tenth of that compressed).
pub enum Sink {
    Plain(File),
    Zstd(zstd::Encoder<'static, File>),
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match self {
            Self::Plain(file) => file.write(bytes),
            Self::Zstd(encoder) => encoder.write(bytes),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Plain(file) => file.flush(),
            Self::Zstd(encoder) => encoder.flush(),
        }
    }
}

type Out = BufWriter<Sink>;

/// The path a feed file has on disk (`.zst` appended when compressed).
pub fn stored_path(path: &Path, compress: bool) -> PathBuf {
    match compress {
        true => {
            let mut name = path.as_os_str().to_owned();
            name.push(".zst");
            PathBuf::from(name)
        }
        false => path.to_owned(),
    }
}

fn create(path: PathBuf, compress: bool) -> std::io::Result<Out> {
    let file = File::create(stored_path(&path, compress))?;
    let sink = match compress {
        // Level 1: the simulator must stay far faster than the disk, and it still shrinks the
        // repetitive JSON and XML about tenfold.
        true => Sink::Zstd(zstd::Encoder::new(file, 1)?),
        false => Sink::Plain(file),
    };
    Ok(BufWriter::with_capacity(1 << 20, sink))
}

fn finish(out: Out) -> std::io::Result<()> {
    match out.into_inner().map_err(|error| error.into_error())? {
        Sink::Plain(mut file) => file.flush(),
        Sink::Zstd(encoder) => encoder.finish().map(|_| ()),
    }
}

/// Opens a feed file for reading, plain or compressed, whichever exists.
pub fn open(path: &Path) -> std::io::Result<Box<dyn std::io::Read + Send>> {
    match File::open(path) {
        Ok(file) => Ok(Box::new(file)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let file = File::open(stored_path(path, true))?;
            Ok(Box::new(zstd::Decoder::new(file)?))
        }
        Err(error) => Err(error),
    }
}

impl Feeds {
    /// Creates (or empties) every feed file under `dir`, zstd-compressed when `compress`.
    pub fn create(dir: &Path, compress: bool) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir.join(FHIR_DIR))?;
        std::fs::create_dir_all(dir.join(LATE_DIR).join(FHIR_DIR))?;
        let mut fhir = BTreeMap::new();
        let mut late_fhir = BTreeMap::new();
        for resource_type in CARE_TYPES {
            fhir.insert(
                resource_type,
                create(
                    dir.join(FHIR_DIR).join(format!("{resource_type}.ndjson")),
                    compress,
                )?,
            );
            late_fhir.insert(
                resource_type,
                create(
                    dir.join(LATE_DIR)
                        .join(FHIR_DIR)
                        .join(format!("{resource_type}.ndjson")),
                    compress,
                )?,
            );
        }
        Ok(Self {
            dir: dir.to_owned(),
            audit: create(dir.join(AUDIT_EVENTS), compress)?,
            atna: create(dir.join(ATNA), compress)?,
            adt: create(dir.join(ADT), compress)?,
            late_adt: create(dir.join(LATE_DIR).join(ADT), compress)?,
            fhir,
            late_fhir,
            truth: create(dir.join(TRUTH), compress)?,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A care resource, to its type's file.
    pub fn fhir(&mut self, late: bool, resource: &serde_json::Value) -> std::io::Result<()> {
        let resource_type = resource["resourceType"].as_str().unwrap_or_default();
        let files = if late {
            &mut self.late_fhir
        } else {
            &mut self.fhir
        };
        let Some(out) = files.get_mut(resource_type) else {
            return Err(std::io::Error::other(format!(
                "no feed file for {resource_type}"
            )));
        };
        serde_json::to_writer(&mut *out, resource)?;
        out.write_all(b"\n")
    }

    pub fn hl7(&mut self, late: bool, message: &str) -> std::io::Result<()> {
        let out = if late {
            &mut self.late_adt
        } else {
            &mut self.adt
        };
        out.write_all(&hl7::mllp(message))
    }

    pub fn audit_event(&mut self, spec: &crate::events::AuditSpec<'_>) -> std::io::Result<()> {
        fhir_audit::write(&mut self.audit, spec)
    }

    pub fn atna_message(&mut self, message: &[u8]) -> std::io::Result<()> {
        self.atna.write_all(&atna::frame(message))
    }

    pub fn truth(&mut self, record: &TruthRecord) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.truth, record)?;
        self.truth.write_all(b"\n")
    }

    /// Flushes (and finishes the compression of) every file.
    pub fn finish(self) -> std::io::Result<()> {
        for out in [self.audit, self.atna, self.adt, self.late_adt, self.truth] {
            finish(out)?;
        }
        for out in self.fhir.into_values().chain(self.late_fhir.into_values()) {
            finish(out)?;
        }
        Ok(())
    }
}
