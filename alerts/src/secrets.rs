//! The secrets directory rows name (SMTP passwords, webhook signing keys), and whose they are.
//! An organisation's administrator chooses its relay's host and its webhooks' URLs, so a name
//! in one organisation's row must never reach another's secret, or the deployment's: each
//! organisation has its own namespace (`alerts.organisation_secrets.<ORG>.<name>`) and the
//! deployment-wide webhooks use `alerts.secrets.<name>`. A name is a plain word (letters,
//! digits, `_`, `-`), so it cannot even spell another namespace; names are checked when an
//! administrator configures them and again at send time, for rows written before the rule.

use crate::error::AlertsError;
use crate::outbox::SendFailure;
use secrecy::SecretString;
use std::collections::HashMap;

/// The longest secret name accepted.
const MAX_NAME: usize = 64;

/// Where a secret name is read from: `org_code`'s own secrets, or the deployment's.
fn namespace(owner: Option<&str>) -> String {
    match owner {
        Some(org_code) => format!("alerts.organisation_secrets.{org_code}"),
        None => "alerts.secrets".to_owned(),
    }
}

/// Why `name` cannot name a secret of `owner` (`None`: the deployment), if it cannot.
fn name_problem(owner: Option<&str>, name: &str) -> Option<String> {
    let plain = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        return None;
    }
    let whose = match owner {
        Some(org_code) => format!(
            "one of {org_code}'s own secrets; an organisation cannot use another organisation's \
             or the deployment's secrets"
        ),
        None => "one of the deployment's secrets".to_owned(),
    };
    Some(format!(
        "{name:?} is not the name of {whose} (a name is 1-{MAX_NAME} letters, digits, '_' or \
         '-', read from {}.<name>)",
        namespace(owner)
    ))
}

/// Configuration time: refuses a name that is not a plain name of `owner`'s secrets.
pub(crate) fn check_name(owner: Option<&str>, field: &str, name: &str) -> Result<(), AlertsError> {
    match name_problem(owner, name) {
        Some(problem) => Err(AlertsError::invalid(format!("{field}: {problem}"))),
        None => Ok(()),
    }
}

/// The secrets of the settings, by owner. Organisation codes and names are case-insensitive
/// (environment variables arrive lowercased).
pub(crate) struct Secrets {
    deployment: HashMap<String, SecretString>,
    organisations: HashMap<String, HashMap<String, SecretString>>,
}

fn lowercased(secrets: &HashMap<String, SecretString>) -> HashMap<String, SecretString> {
    secrets
        .iter()
        .map(|(name, secret)| (name.to_lowercase(), secret.clone()))
        .collect()
}

impl Secrets {
    pub(crate) fn new(
        deployment: &HashMap<String, SecretString>,
        organisations: &HashMap<String, HashMap<String, SecretString>>,
    ) -> Self {
        Self {
            deployment: lowercased(deployment),
            organisations: organisations
                .iter()
                .map(|(org_code, secrets)| (org_code.to_lowercase(), lowercased(secrets)))
                .collect(),
        }
    }

    /// Send time: the secret `name` of `owner` (`None`: the deployment's). A name outside the
    /// owner's namespace fails for good; a missing secret is retried (an operator may add it).
    pub(crate) fn get(
        &self,
        owner: Option<&str>,
        name: &str,
    ) -> Result<&SecretString, SendFailure> {
        if let Some(problem) = name_problem(owner, name) {
            return Err(SendFailure {
                message: format!("refused: {problem}"),
                permanent: true,
            });
        }
        let secrets = match owner {
            Some(org_code) => self.organisations.get(&org_code.to_lowercase()),
            None => Some(&self.deployment),
        };
        secrets
            .and_then(|secrets| secrets.get(&name.to_lowercase()))
            .ok_or_else(|| SendFailure {
                message: format!(
                    "the secret {name:?} is not configured ({}.{name})",
                    namespace(owner)
                ),
                permanent: false,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn secret(value: &str) -> SecretString {
        SecretString::from(value.to_owned())
    }

    #[test]
    fn a_name_reaches_only_its_owners_secrets() {
        let deployment = HashMap::from([("siem_hook".to_owned(), secret("deployment"))]);
        let organisations = HashMap::from([
            (
                "rdm01".to_owned(),
                HashMap::from([("hook".to_owned(), secret("rdm01"))]),
            ),
            (
                "RDM02".to_owned(),
                HashMap::from([("Hook".to_owned(), secret("rdm02"))]),
            ),
        ]);
        let secrets = Secrets::new(&deployment, &organisations);
        let cases = [
            (Some("RDM01"), "hook", Ok("rdm01")),
            (Some("RDM02"), "HOOK", Ok("rdm02")),
            (None, "siem_hook", Ok("deployment")),
            (Some("RDM01"), "siem_hook", Err(false)),
            (Some("RDM03"), "hook", Err(false)),
            (None, "hook", Err(false)),
            (Some("RDM01"), "RDM02/hook", Err(true)),
            (Some("RDM01"), "rdm02.hook", Err(true)),
            (Some("RDM01"), "", Err(true)),
            (None, "rdm01/hook", Err(true)),
        ];
        for (owner, name, expected) in cases {
            let found = secrets
                .get(owner, name)
                .map(|s| s.expose_secret().to_owned())
                .map_err(|failure| failure.permanent);
            assert_eq!(found, expected.map(str::to_owned), "{owner:?} {name:?}");
            assert_eq!(
                check_name(owner, "secret_name", name).is_ok(),
                !matches!(expected, Err(true)),
                "{owner:?} {name:?}"
            );
        }
        let refused = check_name(Some("RDM01"), "secret_name", "RDM02/hook")
            .expect_err("refused")
            .to_string();
        assert!(
            refused
                .starts_with("secret_name: \"RDM02/hook\" is not the name of one of RDM01's own")
                && refused.contains("alerts.organisation_secrets.RDM01.<name>"),
            "{refused}"
        );
    }
}
