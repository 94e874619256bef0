//! The subject access report page, and the report as a table for its CSV and PDF.

use crate::api::{run_subject_access, TraceQuery};
use crate::error::DashboardError;
use crate::export::Format;
use crate::pages::page as layout;
use crate::reports::{Report, Section};
use crate::subject_access::SubjectAccessReport;
use crate::viewer::Viewer;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use maud::html;

/// The report as a table (for CSV and PDF).
pub fn as_report(report: &SubjectAccessReport) -> Report {
    Report {
        name: "subject-access".to_owned(),
        title: format!(
            "Who has accessed the record of patient {}",
            report.patient_id
        ),
        period: report.period.clone(),
        scope: report.organisations_covered.clone(),
        sections: vec![Section {
            heading: "Accesses".to_owned(),
            note: format!(
                "Staff are shown by {}. Times are UTC.{}",
                report.staff_shown_as,
                if report.truncated {
                    " INCOMPLETE: narrow the period."
                } else {
                    ""
                }
            ),
            columns: [
                "when",
                "organisation",
                "what",
                "purpose",
                "staff",
                "emergency access",
            ]
            .map(str::to_owned)
            .to_vec(),
            rows: report
                .entries
                .iter()
                .map(|entry| {
                    vec![
                        entry.occurred_at.clone(),
                        entry.organisation.clone(),
                        entry.action.clone(),
                        entry.purpose.clone(),
                        entry.staff.clone(),
                        if entry.emergency_access {
                            "yes".to_owned()
                        } else {
                            "no".to_owned()
                        },
                    ]
                })
                .collect(),
        }],
    }
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(patient_id): Path<String>,
    Query(query): Query<TraceQuery>,
) -> Result<Html<String>, DashboardError> {
    let report = run_subject_access(&state, &viewer, &patient_id, &query, Format::Html).await?;
    let api = format!(
        "/api/v1/patients/{}/subject-access?from={}&to={}",
        urlencoding::encode(&patient_id),
        urlencoding::encode(query.from.as_deref().unwrap_or("")),
        urlencoding::encode(query.to.as_deref().unwrap_or(""))
    );
    let table = as_report(&report);
    Ok(layout(
        &table.title,
        Some(&viewer),
        html! {
            form.filters method="get" {
                label { "From" input type="date" name="from" value=(query.from.clone().unwrap_or_default()); }
                label { "To" input type="date" name="to" value=(query.to.clone().unwrap_or_default()); }
                button type="submit" { "Change period" }
            }
            p { (report.entries.len()) " access(es) " (report.period) ", by staff of " (report.organisations_covered) "; staff shown by " (report.staff_shown_as) "." }
            p.downloads { a id="download-csv" href={ (api) "&format=csv" } { "CSV" } a id="download-pdf" href={ (api) "&format=pdf" } { "PDF" } }
            (crate::pages::reports::sections(&table))
        },
    ))
}
