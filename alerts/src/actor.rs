//! Who is acting, and what they may do. Every workflow, breach-log and directory function takes
//! an [`Actor`]; the checks live here so that no caller can forget them: an officer of
//! organisation A never reads or changes B's cases (unless B shared a joint case with A), an
//! auditor only reads, and only administrators manage the directory.

use crate::case_api::Scope;

/// Roles that may change a case of one of their organisations.
const WORKING_ROLES: [&str; 2] = ["privacy_officer", "administrator"];

/// The person (or component) acting: a careaudit username and the roles it holds, each for one
/// organisation or, with `None`, for all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub username: String,
    pub roles: Vec<(String, Option<String>)>,
}

impl Actor {
    /// careaudit itself or an operator's command line (e.g. `careaudit load officers`): an
    /// administrator of every organisation, recorded under `name` on every timeline.
    pub fn system(name: &str) -> Self {
        Self {
            username: name.to_owned(),
            roles: vec![("administrator".to_owned(), None)],
        }
    }

    /// The organisations whose cases this actor may read.
    pub fn scope(&self) -> Scope {
        if self.roles.iter().any(|(_, org)| org.is_none()) {
            return Scope::AllOrganisations;
        }
        Scope::Organisations(
            self.roles
                .iter()
                .filter_map(|(_, org)| org.clone())
                .collect(),
        )
    }

    /// May read anything about `org_code`'s cases.
    pub fn may_read(&self, org_code: &str) -> bool {
        self.roles
            .iter()
            .any(|(_, org)| org.as_deref().is_none_or(|org| org == org_code))
    }

    /// May change cases of `org_code` (privacy officers and administrators of it).
    pub fn may_work(&self, org_code: &str) -> bool {
        self.roles.iter().any(|(role, org)| {
            WORKING_ROLES.contains(&role.as_str())
                && org.as_deref().is_none_or(|org| org == org_code)
        })
    }

    /// Administrator of `org_code` (or of all organisations).
    pub fn administers(&self, org_code: &str) -> bool {
        self.roles.iter().any(|(role, org)| {
            role == "administrator" && org.as_deref().is_none_or(|org| org == org_code)
        })
    }

    /// Administrator of every organisation: manages what is not one organisation's (global
    /// webhooks, the joint-case rule, staff addresses).
    pub fn administers_all(&self) -> bool {
        self.roles
            .iter()
            .any(|(role, org)| role == "administrator" && org.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[(&str, Option<&str>)]) -> Actor {
        Actor {
            username: "someone".to_owned(),
            roles: roles
                .iter()
                .map(|(role, org)| ((*role).to_owned(), org.map(str::to_owned)))
                .collect(),
        }
    }

    #[test]
    fn permissions_follow_role_and_organisation() {
        let officer_a = actor(&[("privacy_officer", Some("A"))]);
        let auditor_a = actor(&[("auditor", Some("A"))]);
        let admin = actor(&[("administrator", None)]);
        let investigator = actor(&[("investigator", None)]);
        let cases = [
            (&officer_a, "A", true, true, false),
            (&officer_a, "B", false, false, false),
            (&auditor_a, "A", true, false, false),
            (&admin, "B", true, true, true),
            (&investigator, "B", true, false, false),
        ];
        for (who, org, read, work, administer) in cases {
            assert_eq!(who.may_read(org), read, "{who:?} read {org}");
            assert_eq!(who.may_work(org), work, "{who:?} work {org}");
            assert_eq!(who.administers(org), administer, "{who:?} administer {org}");
        }
        assert_eq!(
            officer_a.scope(),
            Scope::Organisations(vec!["A".to_owned()])
        );
        assert_eq!(investigator.scope(), Scope::AllOrganisations);
        assert!(Actor::system("careaudit load").administers_all());
    }
}
