//! Reloading the directory keeps what the input does not carry: an officer CSV from HR with
//! only names and addresses does not reset anyone's notification preferences, account or
//! deactivation, an organisation CSV with only codes and names keeps escalation times and
//! user-warning settings, and the API's PUT changes only the fields its body names (`null`
//! clears an optional one).

use alerts::{Actor, DirectoryKind, Officer, OrganisationRecord};
use serde_json::json;
use tests::{Background, TestApp};

#[tokio::test]
async fn a_reload_changes_only_the_columns_it_carries() {
    let app = TestApp::spawn("alerts_directory_reload", Background::NONE).await;
    let admin = Actor::system("test");
    let organisation = OrganisationRecord {
        ods_code: "RDM01".to_owned(),
        name: "Riverside".to_owned(),
        contact_email: Some("ig@rdm01.example".to_owned()),
        escalation_minutes: Some(30),
        user_warnings: true,
        user_warning_holdout_percent: 20,
    };
    alerts::put_organisation(&app.pool, &admin, &organisation)
        .await
        .expect("organisation");
    let tuned = Officer {
        username: Some("officer-a".to_owned()),
        case_alerts: "digest".to_owned(),
        min_severity: "high".to_owned(),
        digest: "weekly".to_owned(),
        escalations: false,
        ..Officer::new("RDM01", "po@rdm01.example", "Privacy officer")
    };
    let left = Officer {
        active: false,
        ..Officer::new("RDM01", "left@rdm01.example", "Left in March")
    };
    for officer in [&tuned, &left] {
        alerts::put_officer(&app.pool, &admin, officer)
            .await
            .expect("officer");
    }

    let officers_csv = "org_code,email,display_name\n\
                        RDM01,po@rdm01.example,Pat Officer\n\
                        RDM01,left@rdm01.example,Left in March\n\
                        RDM01,new@rdm01.example,New Officer\n";
    let report =
        alerts::load_directory_csv(&app.pool, &admin, DirectoryKind::Officers, officers_csv)
            .await
            .expect("load officers");
    assert_eq!((report.accepted, report.rejected), (3, 0), "{report:?}");
    let officers = alerts::list_officers(&app.pool, &admin, Some("RDM01"))
        .await
        .expect("officers");
    let by_email = |email: &str| {
        officers
            .iter()
            .find(|o| o.email == email)
            .cloned()
            .expect("officer listed")
    };
    assert_eq!(
        by_email("po@rdm01.example"),
        Officer {
            display_name: "Pat Officer".to_owned(),
            ..tuned.clone()
        },
        "the preferences and account stay"
    );
    assert!(!by_email("left@rdm01.example").active, "still deactivated");
    assert_eq!(
        by_email("new@rdm01.example"),
        Officer::new("RDM01", "new@rdm01.example", "New Officer"),
        "a new officer gets the defaults"
    );
    // A blank cell is "not given" too; a given one changes.
    let partial = "org_code,email,display_name,digest,active\n\
                   RDM01,po@rdm01.example,,daily,\n\
                   RDM01,left@rdm01.example,,,yes\n";
    let report = alerts::load_directory_csv(&app.pool, &admin, DirectoryKind::Officers, partial)
        .await
        .expect("load officers");
    assert_eq!((report.accepted, report.rejected), (2, 0), "{report:?}");
    let officers = alerts::list_officers(&app.pool, &admin, Some("RDM01"))
        .await
        .expect("officers");
    let po = officers
        .iter()
        .find(|o| o.email == "po@rdm01.example")
        .expect("po");
    assert_eq!(
        (
            po.display_name.as_str(),
            po.digest.as_str(),
            po.case_alerts.as_str()
        ),
        ("Pat Officer", "daily", "digest")
    );
    assert!(officers
        .iter()
        .any(|o| o.email == "left@rdm01.example" && o.active));

    let organisations_csv = "ods_code,name\nRDM01,Riverside NHS FT\n";
    let report = alerts::load_directory_csv(
        &app.pool,
        &admin,
        DirectoryKind::Organisations,
        organisations_csv,
    )
    .await
    .expect("load organisations");
    assert_eq!((report.accepted, report.rejected), (1, 0), "{report:?}");
    let stored = |app: &TestApp| {
        let pool = app.pool.clone();
        async move {
            alerts::list_organisations(&pool, &Actor::system("test"))
                .await
                .expect("organisations")
                .into_iter()
                .find(|o| o.ods_code == "RDM01")
                .expect("RDM01")
        }
    };
    assert_eq!(
        stored(&app).await,
        OrganisationRecord {
            name: "Riverside NHS FT".to_owned(),
            ..organisation.clone()
        }
    );

    // The API: a PUT names what it changes; null clears an optional setting.
    app.account("admin", "administrator", None).await;
    let (status, answer) = app
        .api(
            reqwest::Method::PUT,
            "/api/v1/organisations/RDM01",
            "admin",
            Some(json!({"user_warning_holdout_percent": 10})),
        )
        .await;
    assert_eq!(status, 204, "{answer}");
    let (status, answer) = app
        .api(
            reqwest::Method::PUT,
            "/api/v1/organisations/RDM01",
            "admin",
            Some(json!({"escalation_minutes": null})),
        )
        .await;
    assert_eq!(status, 204, "{answer}");
    assert_eq!(
        stored(&app).await,
        OrganisationRecord {
            name: "Riverside NHS FT".to_owned(),
            escalation_minutes: None,
            user_warning_holdout_percent: 10,
            ..organisation.clone()
        }
    );
    let (status, answer) = app
        .api_post(
            "/api/v1/organisations/RDM01/officers",
            "admin",
            json!({"email": "po@rdm01.example", "min_severity": "critical"}),
        )
        .await;
    assert_eq!(status, 204, "{answer}");
    let officers = alerts::list_officers(&app.pool, &admin, Some("RDM01"))
        .await
        .expect("officers");
    let po = officers
        .iter()
        .find(|o| o.email == "po@rdm01.example")
        .expect("po");
    assert_eq!(
        (
            po.display_name.as_str(),
            po.min_severity.as_str(),
            po.digest.as_str()
        ),
        ("Pat Officer", "critical", "daily")
    );
    // A new organisation still needs its name.
    let (status, answer) = app
        .api(
            reqwest::Method::PUT,
            "/api/v1/organisations/RDM09",
            "admin",
            Some(json!({"escalation_minutes": 60})),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
}
