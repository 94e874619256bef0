//! The directory careaudit routes by: organisations, officers and staff addresses loaded from
//! CSV with `careaudit load` (the real binary) and through the API, bad lines reported by
//! number with their reason and every good line kept, and administration kept to
//! administrators.

use secrecy::ExposeSecret;
use serde_json::json;
use tests::{careaudit_binary, Background, TestApp};

fn load(app: &TestApp, kind: &str, csv: &str) -> (bool, String) {
    let file = tempfile::NamedTempFile::new().expect("temporary file");
    std::fs::write(file.path(), csv).expect("write csv");
    let output = std::process::Command::new(careaudit_binary())
        .args(["load", kind])
        .arg(file.path())
        .env(
            "CAREAUDIT__POSTGRES__URL",
            app.stores.postgres.url.expose_secret(),
        )
        .env("RUST_LOG", "warn")
        .output()
        .expect("run careaudit load");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

#[tokio::test]
async fn organisations_and_officers_load_from_csv_line_by_line() {
    let app = TestApp::spawn("directory_csv", Background::NONE).await;
    let (ok, output) = load(
        &app,
        "organisations",
        "ods_code,name,contact_email,escalation_minutes,colour\n\
         RDM01,Riverside University Hospitals,ig@riverside.example,60,blue\n\
         RDM02,Northgate Mental Health,not-an-address,,green\n\
         G00001,Parkside Medical Practice,,,\n",
    );
    assert!(ok, "{output}");
    assert!(output.contains("2 rows accepted, 1 refused"), "{output}");
    assert!(
        output.contains("line 3: contact_email: invalid address \"not-an-address\""),
        "{output}"
    );
    assert!(output.contains("ignored columns: colour"), "{output}");
    let (ok, output) = load(
        &app,
        "officers",
        "org_code,email,display_name,digest,min_severity\n\
         RDM01,amira.okafor@riverside.example,Amira Okafor,daily,medium\n\
         RDM01,ben@riverside.example,Ben Smith,hourly,low\n\
         RDM09,x@nowhere.example,Nobody,none,low\n\
         G00001,pm@parkside.example,Practice Manager,,\n",
    );
    assert!(ok, "{output}");
    assert!(output.contains("2 rows accepted, 2 refused"), "{output}");
    assert!(
        output.contains("line 3: digest: \"hourly\" is not one of none, daily, weekly"),
        "{output}"
    );
    assert!(
        output.contains("line 4: no organisation \"RDM09\" is registered"),
        "{output}"
    );
    let (ok, output) = load(
        &app,
        "officers",
        "org_code,email,display_name\nRDM01,broken,Broken\n",
    );
    assert!(!ok, "nothing accepted is a failure: {output}");

    // The same through the API, as administrator; officers read their own organisation only.
    app.account("admin", "administrator", None).await;
    app.account("officer-a", "privacy_officer", Some("RDM01"))
        .await;
    let response = app
        .http
        .post(format!(
            "{}/api/v1/directory/user-contacts",
            app.dashboards_url
        ))
        .basic_auth("admin", Some("pw-admin"))
        .header("content-type", "text/csv")
        .body("user_id,email\n555000000801,a.user@riverside.example\n,missing@riverside.example\n")
        .send()
        .await
        .expect("reachable");
    assert_eq!(response.status(), 200);
    let report: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        (report["accepted"].as_u64(), report["rejected"].as_u64()),
        (Some(1), Some(1)),
        "{report}"
    );
    let (status, officers) = app
        .api_get("/api/v1/organisations/RDM01/officers", "officer-a")
        .await;
    assert_eq!(status, 200);
    let emails: Vec<&str> = officers
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|o| o["email"].as_str())
        .collect();
    // The organisation's contact address is where staff write to; officers are listed apart.
    assert_eq!(emails, ["amira.okafor@riverside.example"]);
    assert_eq!(officers[0]["digest"], "daily");
    let (_, elsewhere) = app
        .api_get("/api/v1/organisations/G00001/officers", "officer-a")
        .await;
    assert_eq!(
        elsewhere,
        json!([]),
        "another organisation's officers are not listed"
    );
    let (status, answer) = app
        .api(
            reqwest::Method::PUT,
            "/api/v1/organisations/RDM01",
            "officer-a",
            Some(json!({"ods_code": "RDM01", "name": "Renamed"})),
        )
        .await;
    assert_eq!(status, 403, "{answer}");
    let (status, _) = app
        .api(reqwest::Method::PUT, "/api/v1/organisations/RDM01", "admin", Some(json!({"ods_code": "RDM01", "name": "Riverside", "user_warnings": true, "user_warning_holdout_percent": 20})))
        .await;
    assert_eq!(status, 204);
    let (_, organisations) = app.api_get("/api/v1/organisations", "officer-a").await;
    assert_eq!(
        organisations,
        json!([{"ods_code": "RDM01", "name": "Riverside", "contact_email": "ig@riverside.example", "escalation_minutes": 60, "user_warnings": true, "user_warning_holdout_percent": 20}]),
        "the fields the PUT did not name keep the values the CSV loaded"
    );
    let response = app
        .http
        .post(format!("{}/api/v1/directory/officers", app.dashboards_url))
        .basic_auth("officer-a", Some("pw-officer-a"))
        .header("content-type", "text/csv")
        .body("org_code,email,display_name\nG00001,sneaky@riverside.example,Sneaky\n")
        .send()
        .await
        .expect("reachable");
    assert_eq!(
        response.status(),
        403,
        "an officer cannot add officers to another organisation"
    );
}
