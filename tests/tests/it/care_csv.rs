//! CSV loads of the care context through `careaudit load` (the real binary, as an operator runs
//! it): header checks, per-row errors with line numbers, good rows kept, flags not clobbered.

use tests::{careaudit_binary, Background, TestApp};

async fn load(app: &TestApp, kind: &str, text: &str) -> (bool, String) {
    let directory = tempfile::tempdir().expect("temporary directory");
    let file = directory.path().join(format!("{kind}.csv"));
    std::fs::write(&file, text).expect("write fixture");
    let output = tokio::process::Command::new(careaudit_binary())
        .args(["load", kind])
        .arg(&file)
        .args(["--collector-url", &app.collector_url])
        .output()
        .await
        .expect("careaudit load runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn csv_loads_keep_good_rows_and_name_bad_lines() {
    let app = TestApp::spawn("care_csv", Background::NONE).await;
    let staff = "user_id,family_name,given_names,org_code,role_codes,job_title,team,home_address_line,home_postcode,start_date,leave_date\n\
                 555000000101,Okafor,Amira,RDM01,R8000;R8001,Consultant,Cardiology,1 High St,N1 9GU,2019-01-07,\n\
                 555000000102,Smith,Ben,RDM01,R8000,Nurse,Ward 7,2 High St,N1 9GU,2020-02-03,2026-06-30\n\
                 ,Nobody,Here,RDM01,R8000,Nurse,,,,2020-01-01,\n";
    let (ok, output) = load(&app, "staff", staff).await;
    assert!(ok, "{output}");
    assert!(output.contains("2 rows accepted, 1 refused"), "{output}");
    assert!(output.contains("line 4: user_id is empty"), "{output}");

    let registrations = "nhs_number,practice_code,registered_from,registered_to\n9000000009,G00001,2015-04-01,\n9000000008,G00001,2015-04-01,\n";
    let (ok, output) = load(&app, "registrations", registrations).await;
    assert!(
        ok && output.contains("1 rows accepted, 1 refused")
            && output.contains("line 3: nhs_number is not a valid NHS number"),
        "{output}"
    );

    let (ok, output) = load(
        &app,
        "vip",
        "nhs_number,flag,reason\n9000000009,vip,public figure\n",
    )
    .await;
    assert!(ok, "{output}");
    let (ok, output) = load(&app, "vip", "nhs_number,reason\n9000000009,x\n").await;
    assert!(
        !ok && output.contains("the header lacks the required column(s): flag"),
        "{output}"
    );

    app.wait_until_shipped().await;
    #[derive(Debug, clickhouse::Row, serde::Deserialize)]
    struct Staff {
        role_codes: Vec<String>,
        leave_date: Option<u16>,
    }
    let staff_rows: Vec<Staff> = app
        .clickhouse
        .query("SELECT role_codes, leave_date FROM staff FINAL ORDER BY user_id")
        .fetch_all()
        .await
        .expect("staff");
    assert_eq!(staff_rows.len(), 2);
    assert_eq!(staff_rows[0].role_codes, ["R8000", "R8001"]);
    assert!(staff_rows[0].leave_date.is_none() && staff_rows[1].leave_date.is_some());
    let registrations: Vec<(String, String, String)> = app
        .clickhouse
        .query("SELECT patient_id, kind, org_code FROM care_relationships FINAL")
        .fetch_all()
        .await
        .expect("relationships");
    assert_eq!(
        registrations,
        [(
            "9000000009".to_owned(),
            "registration".to_owned(),
            "G00001".to_owned()
        )]
    );
    let flags: Vec<(String, String, u8, String)> = app
        .clickhouse
        .query("SELECT patient_id, flag, value, source_channel FROM patient_flags FINAL")
        .fetch_all()
        .await
        .expect("flags");
    assert_eq!(
        flags,
        [(
            "9000000009".to_owned(),
            "vip".to_owned(),
            1,
            "csv_vip".to_owned()
        )]
    );
    let report = collector::verify(&app.clickhouse).await.expect("verify");
    assert!(report.is_intact(), "{:?}", report.problems);
}
