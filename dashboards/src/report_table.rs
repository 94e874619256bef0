//! A report as titled tables, and the one renderer that makes every report's CSV and PDF (the
//! pages render the same tables as HTML): so a report is written once, as data.

use crate::error::DashboardError;
use crate::export::csv_bytes;
use crate::pdf::Document;
use serde::Serialize;

/// One table of a report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Section {
    pub heading: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// A sentence under the heading (how to read the table).
    pub note: String,
}

/// A report: a title, what it covers, its tables.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub name: String,
    pub title: String,
    pub period: String,
    pub scope: String,
    pub sections: Vec<Section>,
}

pub fn section(heading: &str, note: &str, columns: &[&str], rows: Vec<Vec<String>>) -> Section {
    Section {
        heading: heading.to_owned(),
        note: note.to_owned(),
        columns: columns.iter().map(|column| (*column).to_owned()).collect(),
        rows,
    }
}

impl Report {
    pub fn to_csv(&self) -> Result<Vec<u8>, DashboardError> {
        let preamble = vec![
            self.title.clone(),
            format!("{}; organisations: {}", self.period, self.scope),
        ];
        let rows = self.sections.iter().flat_map(|section| {
            section.rows.iter().map(move |row| {
                let mut cells = vec![section.heading.clone()];
                cells.extend(row.iter().cloned());
                cells
            })
        });
        let width = self
            .sections
            .iter()
            .map(|s| s.columns.len())
            .max()
            .unwrap_or(0);
        let header: Vec<String> = std::iter::once("table".to_owned())
            .chain((1..=width).map(|index| format!("column_{index}")))
            .collect();
        let mut with_headers = Vec::new();
        for section in &self.sections {
            let mut names = vec![format!("{} (columns)", section.heading)];
            names.extend(section.columns.iter().cloned());
            with_headers.push(names);
        }
        let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
        let column_rows = with_headers.into_iter().chain(rows);
        csv_bytes(
            &preamble,
            &header_refs,
            column_rows.map(|mut row| {
                row.resize(width + 1, String::new());
                row
            }),
        )
    }

    pub fn to_pdf(&self) -> Vec<u8> {
        let mut document = Document::new(self.title.clone());
        document.text(format!("{}. Organisations: {}.", self.period, self.scope));
        for section in &self.sections {
            document.heading(section.heading.clone());
            if !section.note.is_empty() {
                document.text(section.note.clone());
            }
            let widths: Vec<usize> = (0..section.columns.len())
                .map(|index| {
                    section
                        .rows
                        .iter()
                        .map(|row| row.get(index).map_or(0, |c| c.chars().count()))
                        .chain(std::iter::once(section.columns[index].chars().count()))
                        .max()
                        .unwrap_or(0)
                        .min(40)
                })
                .collect();
            let line = |cells: &[String]| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(cell, width)| {
                        format!(
                            "{:<width$}",
                            cell.chars().take(*width).collect::<String>(),
                            width = *width
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("  ")
            };
            let mut lines = vec![line(&section.columns)];
            lines.extend(section.rows.iter().map(|row| line(row)));
            if section.rows.is_empty() {
                lines.push("(none)".to_owned());
            }
            document.mono(lines);
        }
        crate::pdf::render(&document)
    }
}
