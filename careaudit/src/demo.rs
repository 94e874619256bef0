//! `careaudit demo`: a small synthetic day (three organisations, their staff, a few hundred
//! patients and record views, a few emergency accesses) loaded through the collector's own HTTP
//! API, with dashboard accounts to look at the result. Seeded, so every run is the same day.

use anyhow::Context;
use chrono::{Duration, NaiveTime, TimeZone, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::settings::Settings;
use crate::{run_components, Components};

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Seed of the synthetic day.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Only post the events to a running collector (at --collector-url), then exit.
    #[arg(long)]
    pub load_only: bool,
    /// The collector to post to (default: this configuration's collector).
    #[arg(long)]
    pub collector_url: Option<String>,
    /// Record views in the day.
    #[arg(long, default_value_t = 400)]
    pub views: usize,
}

/// An organisation of the demo region.
#[derive(Debug, Clone)]
pub struct DemoOrganisation {
    pub ods_code: &'static str,
    pub name: &'static str,
    pub privacy_officer_email: &'static str,
}

pub const ORGANISATIONS: [DemoOrganisation; 3] = [
    DemoOrganisation {
        ods_code: "RDM01",
        name: "Riverside University Hospitals NHS Trust",
        privacy_officer_email: "privacy.officer@riverside.nhs.example",
    },
    DemoOrganisation {
        ods_code: "RDM02",
        name: "Northgate Mental Health NHS Trust",
        privacy_officer_email: "ig.team@northgate.nhs.example",
    },
    DemoOrganisation {
        ods_code: "G00001",
        name: "Parkside Medical Practice",
        privacy_officer_email: "practice.manager@parkside.nhs.example",
    },
];

/// One record view to express as a FHIR AuditEvent (IHE BALP PatientRead).
#[derive(Debug, Clone)]
pub struct ViewSpec {
    pub event_id: String,
    pub recorded: chrono::DateTime<Utc>,
    pub user_id: String,
    pub user_name: String,
    pub role_code: String,
    pub org_code: String,
    pub nhs_number: String,
    /// A v3-ActReason purpose of use, e.g. `TREAT` or `ETREAT`.
    pub purpose: String,
    /// The reason text given for the purpose of use (emergency access reasons).
    pub reason: Option<String>,
}

/// A BALP PatientRead AuditEvent following the NHS conventions careaudit documents.
pub fn patient_read_event(view: &ViewSpec) -> Value {
    let mut purpose = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": view.purpose}]});
    if let Some(reason) = &view.reason {
        purpose["text"] = json!(reason);
    }
    json!({
        "resourceType": "AuditEvent",
        "id": view.event_id,
        "meta": {"profile": ["https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead"]},
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest", "display": "Restful Operation"},
        "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": "read", "display": "read"}],
        "action": "R",
        "recorded": view.recorded.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "outcome": "0",
        "agent": [
            {
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP", "display": "information recipient"}]},
                "who": {"identifier": {"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": view.user_id}, "display": view.user_name},
                "role": [{"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/NHSRBACRole", "code": view.role_code}]}],
                "requestor": true,
                "purposeOfUse": [purpose]
            },
            {
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleClass", "code": "PROV", "display": "healthcare provider"}]},
                "who": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": view.org_code}},
                "requestor": false
            },
            {
                "type": {"coding": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110153", "display": "Source Role ID"}]},
                "who": {"display": "shared-care-record-node-1"},
                "requestor": false
            }
        ],
        "source": {"site": "shared-care-record", "observer": {"display": "shared-care-record-node-1"}},
        "entity": [{
            "what": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": view.nhs_number}},
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1", "display": "Person"},
            "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient"}
        }]
    })
}

/// A valid NHS number (modulus 11 check digit) in the 999 range reserved for testing.
pub fn test_nhs_number(rng: &mut impl Rng) -> String {
    loop {
        let digits: Vec<u32> = std::iter::once(9)
            .chain(std::iter::once(9))
            .chain(std::iter::once(9))
            .chain((0..6).map(|_| rng.gen_range(0..10)))
            .collect();
        let sum: u32 = digits
            .iter()
            .zip((2..=10).rev())
            .map(|(digit, weight)| digit * weight)
            .sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => continue,
            check => check,
        };
        return digits
            .iter()
            .chain(std::iter::once(&check))
            .map(ToString::to_string)
            .collect();
    }
}

struct DemoStaff {
    user_id: String,
    name: String,
    role_code: &'static str,
    org_code: &'static str,
}

/// The synthetic day: record views by staff of the three organisations, a few of them
/// emergency accesses. Returns the views in time order.
pub fn generate_day(seed: u64, views: usize, day: chrono::NaiveDate) -> Vec<ViewSpec> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    const GIVEN: [&str; 10] = [
        "Amira", "Ben", "Chloe", "Dev", "Ewa", "Femi", "Grace", "Hiro", "Isla", "Jonah",
    ];
    const FAMILY: [&str; 10] = [
        "Okafor", "Smith", "Patel", "Nowak", "Jones", "Khan", "Murphy", "Chen", "Evans", "Ali",
    ];
    const ROLES: [&str; 4] = ["R8000", "R8001", "R8003", "R0260"];
    let staff: Vec<DemoStaff> = (0..36)
        .map(|index| {
            let organisation = &ORGANISATIONS[index % ORGANISATIONS.len()];
            DemoStaff {
                user_id: format!("5550{:08}", 1_000 + index),
                name: format!(
                    "{} {}",
                    GIVEN[index % GIVEN.len()],
                    FAMILY[(index * 7 + 3) % FAMILY.len()]
                ),
                role_code: ROLES[index % ROLES.len()],
                org_code: organisation.ods_code,
            }
        })
        .collect();
    let patients: Vec<String> = (0..250).map(|_| test_nhs_number(&mut rng)).collect();
    let start =
        Utc.from_utc_datetime(&day.and_time(NaiveTime::from_hms_opt(7, 30, 0).unwrap_or_default()));
    let emergency_reasons = [
        "patient unconscious in ED, no GP record available",
        "covering colleague's caseload",
        "urgent medicines reconciliation out of hours",
    ];
    let emergency_slots: Vec<usize> = {
        let mut slots: Vec<usize> = (0..views).collect();
        slots.shuffle(&mut rng);
        slots.truncate(emergency_reasons.len().min(views));
        slots
    };
    let mut specs: Vec<ViewSpec> = (0..views)
        .map(|index| {
            let member = &staff[rng.gen_range(0..staff.len())];
            let offset_ms = rng.gen_range(0..13 * 3_600_000_i64);
            let emergency = emergency_slots.iter().position(|slot| *slot == index);
            ViewSpec {
                event_id: format!("demo-{seed}-{index:05}"),
                recorded: start + Duration::milliseconds(offset_ms),
                user_id: member.user_id.clone(),
                user_name: member.name.clone(),
                role_code: member.role_code.to_owned(),
                org_code: member.org_code.to_owned(),
                nhs_number: patients[rng.gen_range(0..patients.len())].clone(),
                purpose: if emergency.is_some() {
                    "ETREAT"
                } else {
                    "TREAT"
                }
                .to_owned(),
                reason: emergency.map(|slot| emergency_reasons[slot].to_owned()),
            }
        })
        .collect();
    specs.sort_by_key(|spec| spec.recorded);
    specs
}

/// Posts every view to the collector; fails on the first event not acknowledged with 201.
pub async fn post_views(collector_url: &str, views: &[ViewSpec]) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let url = format!("{}/fhir/AuditEvent", collector_url.trim_end_matches('/'));
    for view in views {
        let response = client
            .post(&url)
            .header("content-type", "application/fhir+json")
            .json(&patient_read_event(view))
            .send()
            .await
            .with_context(|| format!("posting to {url}"))?;
        let status = response.status();
        if status != reqwest::StatusCode::CREATED {
            let body = response.text().await.unwrap_or_default();
            anyhow::bail!(
                "collector answered {status} for event {}: {body}",
                view.event_id
            );
        }
    }
    Ok(())
}

fn random_password(rng: &mut impl Rng) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

async fn wait_until_ready(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(url)
            .send()
            .await
            .is_ok_and(|response| response.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("{url} did not become ready")
}

/// Runs careaudit with the demo loaded until `shutdown` (Ctrl-C).
pub async fn run(
    settings: &Settings,
    args: DemoArgs,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let collector_url = args
        .collector_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", settings.collector.listen));
    let day = (Utc::now() - Duration::days(1)).date_naive();
    let views = generate_day(args.seed, args.views, day);
    if args.load_only {
        post_views(&collector_url, &views).await?;
        println!("posted {} audit events to {collector_url}", views.len());
        return Ok(());
    }

    migrations::migrate_all(&settings.stores())
        .await
        .context("migrating the stores")?;
    let pool = settings.postgres.connect().await?;
    for organisation in &ORGANISATIONS {
        let record = alerts::Organisation {
            ods_code: organisation.ods_code.to_owned(),
            name: organisation.name.to_owned(),
            privacy_officer_email: Some(organisation.privacy_officer_email.to_owned()),
        };
        alerts::upsert_organisation(&pool, &record).await?;
    }
    let mut rng = rand::rngs::OsRng;
    let admin_password = random_password(&mut rng);
    let officer_password = random_password(&mut rng);
    dashboards::create_account(
        &pool,
        "admin",
        "Demo administrator",
        &admin_password,
        &[dashboards::AccountRole {
            role: "administrator",
            org_code: None,
        }],
    )
    .await?;
    let officer_org = ORGANISATIONS[0].ods_code;
    dashboards::create_account(
        &pool,
        "officer",
        "Demo privacy officer",
        &officer_password,
        &[dashboards::AccountRole {
            role: "privacy_officer",
            org_code: Some(officer_org.to_owned()),
        }],
    )
    .await?;

    let components = {
        let (settings, token) = (settings.clone(), shutdown.clone());
        tokio::spawn(async move { run_components(&settings, Components::ALL, token).await })
    };
    wait_until_ready(&format!("{collector_url}/healthz")).await?;
    post_views(&collector_url, &views).await?;
    let emergencies = views.iter().filter(|view| view.reason.is_some()).count();
    let scope = alerts::Scope::AllOrganisations;
    for _ in 0..60 {
        let cases = alerts::list_cases(&pool, &scope, &alerts::CaseFilter::default()).await?;
        if cases.len() >= emergencies {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let dashboard = format!("http://{}/cases", settings.dashboards.listen);
    println!();
    println!("careaudit is running with a synthetic day loaded ({} record views, {emergencies} emergency accesses).", views.len());
    println!("  Dashboard:  {dashboard}");
    println!("  Sign in:    admin / {admin_password}   (administrator, all organisations)");
    println!("              officer / {officer_password}   (privacy officer of {officer_org})");
    println!("  Collector:  {collector_url}/fhir/AuditEvent");
    println!(
        "  JSON API:   http://{}/api/v1/cases",
        settings.dashboards.listen
    );
    println!(
        "Notification emails go to the SMTP server at {}:{}. Press Ctrl-C to stop.",
        settings.alerts.smtp.host, settings.alerts.smtp.port
    );
    components.await.context("components task")?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhs_numbers_carry_a_valid_check_digit() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..200 {
            let number = test_nhs_number(&mut rng);
            assert_eq!(number.len(), 10);
            let digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
            let sum: u32 = digits[..9]
                .iter()
                .zip((2..=10).rev())
                .map(|(d, w)| d * w)
                .sum();
            assert_eq!((11 - sum % 11) % 11, digits[9], "{number}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_day() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        let first = generate_day(3, 100, day);
        let second = generate_day(3, 100, day);
        let ids = |views: &[ViewSpec]| {
            views
                .iter()
                .map(|v| (v.event_id.clone(), v.nhs_number.clone(), v.recorded))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&first), ids(&second));
        assert_eq!(
            first.iter().filter(|view| view.purpose == "ETREAT").count(),
            3
        );
    }
}
