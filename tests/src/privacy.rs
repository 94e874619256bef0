//! The privacy scan of every notification: a guard holds a test's stores and, when a sink or
//! receiver is dropped, reads every patient identifier and name the test loaded (ClickHouse:
//! audit events, patients, patient identifiers; PostgreSQL: cases, case patients, findings) and
//! fails the test if any message carries one. Sinks and receivers call it on drop, so no test
//! can forget it.

use migrations::StoreSettings;

#[derive(Clone)]
pub struct PrivacyGuard {
    stores: StoreSettings,
}

/// What must never appear: identifiers (matched anywhere) and name words (matched as words).
#[derive(Debug, Default, Clone)]
pub struct ForbiddenTerms {
    pub identifiers: Vec<String>,
    pub names: Vec<String>,
}

impl ForbiddenTerms {
    /// The first term `message` carries, if any.
    pub fn find_in(&self, message: &str) -> Option<String> {
        // Undo quoted-printable soft line breaks and header folding, which could otherwise split
        // an identifier in the raw message.
        let unfolded = message
            .replace("=\r\n", "")
            .replace("=\n", "")
            .replace("\r\n ", " ")
            .replace("\n ", " ");
        let message = unfolded.as_str();
        if let Some(identifier) = self
            .identifiers
            .iter()
            .find(|id| message.contains(id.as_str()))
        {
            return Some(identifier.clone());
        }
        let lower = message.to_lowercase();
        let words: std::collections::HashSet<&str> = lower
            .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
            .collect();
        self.names
            .iter()
            .find(|name| words.contains(name.to_lowercase().as_str()))
            .cloned()
    }
}

impl PrivacyGuard {
    pub fn new(stores: StoreSettings) -> Self {
        Self { stores }
    }

    /// Reads the terms from the stores (blocking: runs on a thread of its own, so it works in
    /// `Drop` inside or outside a runtime).
    pub fn forbidden_terms(&self) -> ForbiddenTerms {
        let stores = self.stores.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(read_terms(&stores))
        })
        .join()
        .unwrap_or_else(|_| panic!("the privacy scan could not read the test's stores"))
    }

    /// Fails (panics) when any message carries patient data, naming the term and the source.
    pub fn assert_clean(&self, source: &str, messages: &[String]) {
        if std::thread::panicking() || messages.is_empty() {
            return;
        }
        let terms = self.forbidden_terms();
        for message in messages {
            if let Some(term) = terms.find_in(message) {
                panic!("privacy: a notification received by the {source} carries patient data {term:?}:\n{message}");
            }
        }
    }
}

async fn read_terms(stores: &StoreSettings) -> ForbiddenTerms {
    let clickhouse = stores.clickhouse.client();
    let mut identifiers: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for query in [
        "SELECT DISTINCT patient_id FROM access_events",
        "SELECT DISTINCT id_value FROM patient_identifiers",
        "SELECT DISTINCT arrayJoin([patient_id, nhs_number]) FROM patients",
    ] {
        identifiers.extend(
            clickhouse
                .query(query)
                .fetch_all::<String>()
                .await
                .expect("read identifiers from ClickHouse"),
        );
    }
    for query in [
        "SELECT DISTINCT family_name FROM patients",
        "SELECT DISTINCT given_names FROM patients",
    ] {
        for value in clickhouse
            .query(query)
            .fetch_all::<String>()
            .await
            .expect("read names from ClickHouse")
        {
            names.extend(value.split_whitespace().map(str::to_owned));
        }
    }
    let pool = stores
        .postgres
        .connect()
        .await
        .expect("connect to PostgreSQL");
    let from_cases: Vec<String> = sqlx::query_scalar(
        "SELECT patient_id FROM cases UNION SELECT patient_id FROM case_patients UNION SELECT patient_id FROM findings",
    )
    .fetch_all(&pool)
    .await
    .expect("read patients from PostgreSQL");
    pool.close().await;
    identifiers.extend(from_cases);
    // Short values would match by accident (and are not identifiers anyone could trace).
    identifiers.retain(|id| id.chars().count() >= 6);
    identifiers.sort();
    identifiers.dedup();
    names.retain(|name| name.chars().count() >= 3);
    names.sort();
    names.dedup();
    ForbiddenTerms { identifiers, names }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_match_anywhere_and_names_as_words() {
        let terms = ForbiddenTerms {
            identifiers: vec!["9990001232".to_owned()],
            names: vec!["Okafor".to_owned(), "Ann".to_owned()],
        };
        let cases = [
            ("Case CA-000001, see https://h/cases/CA-000001", None),
            ("patient 9990001232 viewed", Some("9990001232")),
            ("ref=x9990001232y", Some("9990001232")),
            ("Dear OKAFOR,", Some("Okafor")),
            ("Annual report, planning", None),
            ("seen by Ann today", Some("Ann")),
            ("quoted-printable 99900=\r\n01232 split", Some("9990001232")),
        ];
        for (message, expected) in cases {
            assert_eq!(terms.find_in(message).as_deref(), expected, "{message}");
        }
    }
}
