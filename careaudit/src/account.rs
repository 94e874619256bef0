//! `careaudit account create|link`: provisioning careaudit's own accounts, since no sign-in
//! ever creates one. The password is read from an environment variable (never from the
//! command line, where `ps` and shell histories would show it); roles are `role` (every
//! organisation) or `role@ODS` (one organisation).

use crate::settings::Settings;
use anyhow::Context;

#[derive(Debug, Clone, clap::Subcommand)]
pub enum AccountCommand {
    /// Create an account (or reset its password and roles).
    Create {
        username: String,
        /// The name shown in the dashboards and the self-audit.
        #[arg(long)]
        display_name: String,
        /// `privacy_officer@RDM01`, `investigator`, `auditor`, `administrator`,
        /// `patient_portal`; repeatable.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The environment variable holding the password.
        #[arg(long, default_value = "CAREAUDIT_ACCOUNT_PASSWORD")]
        password_env: String,
    },
    /// Let a person sign in with an OpenID provider: link the provider's subject to an account.
    Link {
        username: String,
        /// The provider's issuer URL exactly as in its ID tokens.
        #[arg(long)]
        issuer: String,
        /// The person's subject (`sub`) at that provider.
        #[arg(long)]
        subject: String,
    },
}

fn parse_role(raw: &str) -> anyhow::Result<dashboards::AccountRole> {
    let (name, org) = match raw.split_once('@') {
        Some((name, org)) => (name, Some(org.to_owned())),
        None => (raw, None),
    };
    let role = dashboards::Role::parse(name).with_context(|| format!("unknown role {name:?}"))?;
    Ok(dashboards::AccountRole {
        role: role.as_str(),
        org_code: org,
    })
}

pub async fn run(settings: &Settings, command: AccountCommand) -> anyhow::Result<()> {
    let pool = settings.postgres.connect().await?;
    match command {
        AccountCommand::Create {
            username,
            display_name,
            roles,
            password_env,
        } => {
            let password = std::env::var(&password_env)
                .with_context(|| format!("set the password in ${password_env}"))?;
            anyhow::ensure!(
                password.chars().count() >= 12,
                "the password must have at least 12 characters"
            );
            let roles = roles
                .iter()
                .map(|raw| parse_role(raw))
                .collect::<anyhow::Result<Vec<_>>>()?;
            dashboards::create_account(&pool, &username, &display_name, &password, &roles).await?;
            println!("account {username} created with {} role(s)", roles.len());
        }
        AccountCommand::Link {
            username,
            issuer,
            subject,
        } => {
            dashboards::link_identity(&pool, &username, &issuer, &subject).await?;
            println!("{username} may now sign in as {subject} at {issuer}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_role;

    #[test]
    fn roles_parse_with_and_without_an_organisation() {
        let scoped = parse_role("privacy_officer@RDM01").expect("valid");
        assert_eq!(
            (scoped.role, scoped.org_code.as_deref()),
            ("privacy_officer", Some("RDM01"))
        );
        assert_eq!(parse_role("auditor").expect("valid").org_code, None);
        assert!(parse_role("superuser").is_err());
    }
}
