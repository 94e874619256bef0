//! Shared set-up of the dashboards tests: two organisations, one emergency-access case in
//! each, and an account for every role; and helpers of the case workflow tests.

use dashboards::AccountRole;
use domain::Timestamp;
use tests::{patient_read, TestApp, WebClient};

/// Valid NHS numbers (modulus 11): the collector refuses care context for any other.
pub const PATIENT_A: &str = "9990001286";
pub const PATIENT_B: &str = "9990001294";
pub const USER_A: &str = "555000000005";
pub const USER_B: &str = "555000000013";
pub const PASSWORD: &str = "correct horse battery staple";

/// The accounts: (username, role, organisation).
pub const ACCOUNTS: [(&str, &str, Option<&str>); 7] = [
    ("officer-a", "privacy_officer", Some("RDM01")),
    ("officer-b", "privacy_officer", Some("RDM02")),
    ("investigator", "investigator", None),
    ("investigator-a", "investigator", Some("RDM01")),
    ("auditor", "auditor", None),
    ("admin", "administrator", None),
    ("portal", "patient_portal", None),
];

pub struct Seeded {
    pub case_a: String,
    pub case_b: String,
}

/// Organisations, accounts, and one case per organisation (emergency access by its user).
pub async fn seed(app: &TestApp) -> Seeded {
    app.add_organisation("RDM01", "po@rdm01.example").await;
    app.add_organisation("RDM02", "po@rdm02.example").await;
    for (username, role, org) in ACCOUNTS {
        dashboards::create_account(
            &app.pool,
            username,
            &format!("Account {username}"),
            PASSWORD,
            &[AccountRole {
                role,
                org_code: org.map(str::to_owned),
            }],
        )
        .await
        .expect("account");
    }
    for (id, user, org, patient) in [
        ("dash-a", USER_A, "RDM01", PATIENT_A),
        ("dash-b", USER_B, "RDM02", PATIENT_B),
    ] {
        let event = patient_read(
            id,
            user,
            org,
            patient,
            "ETREAT",
            Some("cardiac arrest <script>alert(1)</script>"),
        );
        assert_eq!(app.post_json(&event).await.0, 201);
    }
    // A routine view of patient A by org B's user, to be traced.
    let routine = patient_read("dash-routine", USER_B, "RDM02", PATIENT_A, "TREAT", None);
    assert_eq!(app.post_json(&routine).await.0, 201);
    app.wait_until_shipped().await;
    let later = Timestamp::from_millis(Timestamp::now().as_millis() + 5_000);
    analyzer::run_once(&app.analyzer_settings, &app.clickhouse, &app.pool, later)
        .await
        .expect("analyze");
    let reference = |org: &'static str| async move {
        sqlx::query_scalar::<_, String>("SELECT reference FROM cases WHERE org_code = $1")
            .bind(org)
            .fetch_one(&app.pool)
            .await
            .expect("a case")
    };
    Seeded {
        case_a: reference("RDM01").await,
        case_b: reference("RDM02").await,
    }
}

/// The value of the first `name="version"` field of a page (the version the forms carry).
pub fn form_version(page: &str) -> String {
    let marker = "name=\"version\" value=\"";
    let start = page.find(marker).expect("a form with the case version") + marker.len();
    let end = page[start..].find('"').expect("end of value");
    page[start..start + end].to_owned()
}

/// A browser signed in as `username` (with the seeded accounts' password).
pub async fn signed_in(app: &TestApp, username: &str) -> WebClient {
    let mut browser = WebClient::new(&app.dashboards_url);
    assert_eq!(browser.sign_in(username, PASSWORD).await, 303);
    browser
}

/// A case's state, disposition and version, as stored.
pub async fn case_row(app: &TestApp, reference: &str) -> (String, Option<String>, i32) {
    sqlx::query_as("SELECT state, disposition, version FROM cases WHERE reference = $1")
        .bind(reference)
        .fetch_one(&app.pool)
        .await
        .expect("case")
}
