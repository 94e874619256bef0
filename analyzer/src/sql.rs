//! The analyzer's ClickHouse queries live in `.sql` files with named placeholders (`{name}`),
//! and each file declares an example value for every placeholder (`-- example name = value`),
//! so `scripts/chdb_check_queries.py` can run it on a current ClickHouse. Here the placeholders
//! become the clickhouse crate's client-side `?` binds, filled by name, so a value is always
//! escaped by the crate and never spliced in by hand.
//!
//! Subqueries many files share (the window's patients, its unexplained accesses, merges in
//! force) are written once in `fragments/<name>.sql` and included as `{@name}`: ClickHouse
//! 18.16 has no `WITH name AS (subquery)`, so the expansion happens here (and, identically, in
//! the chDB check).

use crate::error::AnalyzerError;
use serde::Serialize;
use std::collections::BTreeMap;

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum BindValue {
    UInt(u64),
    Int(i64),
    Float(f64),
    Text(String),
    Texts(Vec<String>),
    Ints(Vec<i64>),
}

/// Values by placeholder name.
pub type Binds = BTreeMap<&'static str, BindValue>;

/// The shared subqueries, by name.
const FRAGMENTS: &[(&str, &str)] = &[
    (
        "merged_patients",
        include_str!("fragments/merged_patients.sql"),
    ),
    (
        "explained_patients",
        include_str!("fragments/explained_patients.sql"),
    ),
    (
        "linked_explained_patients",
        include_str!("fragments/linked_explained_patients.sql"),
    ),
    ("staff_rows", include_str!("fragments/staff_rows.sql")),
    ("window_users", include_str!("fragments/window_users.sql")),
    (
        "arrived_patients",
        include_str!("fragments/arrived_patients.sql"),
    ),
    (
        "unexplained_in_window",
        include_str!("fragments/unexplained_in_window.sql"),
    ),
    (
        "unexplained_pairs",
        include_str!("fragments/unexplained_pairs.sql"),
    ),
    (
        "unexplained_patients",
        include_str!("fragments/unexplained_patients.sql"),
    ),
    (
        "unexplained_explained_patients",
        include_str!("fragments/unexplained_explained_patients.sql"),
    ),
    (
        "window_patients",
        include_str!("fragments/window_patients.sql"),
    ),
];

fn without_comments(sql: &str) -> String {
    sql.lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `sql` with every `{@name}` replaced by its fragment (fragments may include fragments).
/// An unknown fragment is left as it is, so ClickHouse refuses the query by its name (and the
/// registry tests catch it first).
pub fn expand(sql: &str) -> String {
    let mut text = sql.to_owned();
    for _ in 0..4 {
        if !text.contains("{@") {
            break;
        }
        for (name, fragment) in FRAGMENTS {
            text = text.replace(&format!("{{@{name}}}"), without_comments(fragment).trim());
        }
    }
    text
}

/// The placeholder names of `sql` in order of appearance (repeats included).
pub fn placeholders(sql: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = sql;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        let name = &after[..close];
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            names.push(name);
        }
        rest = &after[close + 1..];
    }
    names
}

/// The example values a file declares, by name (what the chDB check substitutes).
pub fn examples(sql: &str) -> BTreeMap<&str, &str> {
    sql.lines()
        .filter_map(|line| line.trim_start().strip_prefix("-- example "))
        .filter_map(|declaration| declaration.split_once(" = "))
        .map(|(name, value)| (name.trim(), value.trim()))
        .collect()
}

/// `sql` with every placeholder replaced by its declared example, as the chDB check runs it
/// (and the integration tests on ClickHouse 18.16); the name of a placeholder without one is
/// the error.
pub fn with_examples(sql: &str) -> Result<String, String> {
    let examples = examples(sql);
    let expanded = expand(sql);
    let mut text = positional(&expanded);
    for name in placeholders(&expanded) {
        let value = examples.get(name).ok_or_else(|| name.to_owned())?;
        text = text.replacen('?', value, 1);
    }
    Ok(text)
}

/// `sql` with comments dropped and every placeholder turned into `?`.
fn positional(sql: &str) -> String {
    let mut text = without_comments(sql);
    for name in placeholders(sql) {
        text = text.replacen(&format!("{{{name}}}"), "?", 1);
    }
    text
}

/// A query of `file` (its name, for errors and, as a leading comment, for ClickHouse's query
/// log) with every placeholder bound from `binds`.
pub fn query(
    client: &clickhouse::Client,
    file: &'static str,
    sql: &'static str,
    binds: &Binds,
) -> Result<clickhouse::query::Query, AnalyzerError> {
    let expanded = expand(sql);
    // The file's name leads the text, so `system.query_log` attributes each query to its file.
    let mut query = client.query(&format!("/* {file} */ {}", positional(&expanded)));
    for name in placeholders(&expanded) {
        let value = binds.get(name).ok_or(AnalyzerError::MissingBind {
            file,
            name: name.to_owned(),
        })?;
        query = match value {
            BindValue::UInt(v) => query.bind(*v),
            BindValue::Int(v) => query.bind(*v),
            BindValue::Float(v) => query.bind(*v),
            BindValue::Text(v) => query.bind(v.as_str()),
            BindValue::Texts(v) => query.bind(v.clone()),
            BindValue::Ints(v) => query.bind(v.clone()),
        };
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_positional_binds_in_order() {
        let sql =
            "-- example a = 1\n-- example b = 'x'\nSELECT {a} + {a}, {b}\nFROM t WHERE x = [1]";
        assert_eq!(placeholders(sql), vec!["a", "a", "b"]);
        assert_eq!(positional(sql), "SELECT ? + ?, ?\nFROM t WHERE x = [1]");
        assert_eq!(examples(sql).get("b"), Some(&"'x'"));
    }

    #[test]
    fn fragments_expand_with_their_placeholders() {
        let text = expand("SELECT 1 WHERE event_id IN ({@unexplained_in_window})");
        assert!(!text.contains("{@"), "{text}");
        assert_eq!(
            placeholders(&text),
            ["window_start", "window_end", "skipped_orgs"]
        );
    }
}
