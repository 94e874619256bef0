//! Roles and what each may do. A role is held for one organisation or, with no organisation,
//! for all of them; what a viewer may see is always computed from the roles that grant the
//! permission in question, so an unscoped auditor role never widens a privacy officer's queue.

use alerts::Scope;

/// A role a careaudit account can hold (`app_user_roles.role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Triages and works the cases of their own organisation(s).
    PrivacyOfficer,
    /// Runs patient and user traces (of their organisations' staff, or everyone's when granted
    /// without an organisation), produces subject access reports, works cases.
    Investigator,
    /// Reads reports, the breach log and the self-audit; changes nothing.
    Auditor,
    /// Everything, including accounts.
    Administrator,
    /// A patient portal system: the standard FHIR query of a patient's accesses (IHE ITI-81).
    PatientPortal,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::PrivacyOfficer,
        Role::Investigator,
        Role::Auditor,
        Role::Administrator,
        Role::PatientPortal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PrivacyOfficer => "privacy_officer",
            Self::Investigator => "investigator",
            Self::Auditor => "auditor",
            Self::Administrator => "administrator",
            Self::PatientPortal => "patient_portal",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == raw)
    }

    /// Whether this role grants `permission` (the authorization matrix, in one place).
    pub fn grants(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Self::Administrator => permission != PortalQuery,
            Self::PrivacyOfficer => matches!(permission, ViewCases | WorkCases | Reports),
            Self::Investigator => {
                matches!(permission, ViewCases | WorkCases | Traces | SubjectAccess)
            }
            Self::Auditor => matches!(permission, Reports | SelfAudit),
            Self::PatientPortal => permission == PortalQuery,
        }
    }
}

/// Something a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// The case queue and case pages (with their evidence).
    ViewCases,
    /// Changing a case: transitions, assignment, notes, bulk actions.
    WorkCases,
    /// Patient and user traces and their evidence packs.
    Traces,
    /// Subject access reports for a patient.
    SubjectAccess,
    /// Governance, DSPT coverage, rule performance and the breach log.
    Reports,
    /// The report of who looked at which audit data through careaudit.
    SelfAudit,
    /// Accounts and settings.
    Administer,
    /// `GET /fhir/AuditEvent` (IHE ITI-81) for patient portals.
    PortalQuery,
}

/// A role held by an account: for one organisation, or for all (`org_code` `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRole {
    pub role: &'static str,
    pub org_code: Option<String>,
}

/// The organisations the roles granting `permission` cover: `None` when no role grants it.
pub fn scope_for(roles: &[(String, Option<String>)], permission: Permission) -> Option<Scope> {
    let granting: Vec<&Option<String>> = roles
        .iter()
        .filter(|(role, _)| Role::parse(role).is_some_and(|role| role.grants(permission)))
        .map(|(_, org)| org)
        .collect();
    if granting.is_empty() {
        return None;
    }
    if granting.iter().any(|org| org.is_none()) {
        return Some(Scope::AllOrganisations);
    }
    let mut codes: Vec<String> = granting.into_iter().flatten().cloned().collect();
    codes.sort();
    codes.dedup();
    Some(Scope::Organisations(codes))
}

/// The organisations of a scope for SQL (`NULL` = all).
pub fn scope_codes(scope: &Scope) -> Option<Vec<String>> {
    match scope {
        Scope::AllOrganisations => None,
        Scope::Organisations(codes) => Some(codes.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(list: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        list.iter()
            .map(|(role, org)| (role.to_string(), org.map(str::to_owned)))
            .collect()
    }

    #[test]
    fn scope_comes_only_from_roles_that_grant_the_permission() {
        let cases = [
            (
                vec![("privacy_officer", Some("A"))],
                Permission::ViewCases,
                Some(Scope::Organisations(vec!["A".into()])),
            ),
            (
                vec![("privacy_officer", Some("A")), ("auditor", None)],
                Permission::ViewCases,
                Some(Scope::Organisations(vec!["A".into()])),
            ),
            (
                vec![("privacy_officer", Some("A")), ("auditor", None)],
                Permission::Reports,
                Some(Scope::AllOrganisations),
            ),
            (vec![("auditor", None)], Permission::ViewCases, None),
            (vec![("auditor", None)], Permission::Traces, None),
            (
                vec![("investigator", Some("B")), ("investigator", Some("A"))],
                Permission::Traces,
                Some(Scope::Organisations(vec!["A".into(), "B".into()])),
            ),
            (
                vec![("administrator", None)],
                Permission::Administer,
                Some(Scope::AllOrganisations),
            ),
            (vec![("administrator", None)], Permission::PortalQuery, None),
            (
                vec![("patient_portal", None)],
                Permission::PortalQuery,
                Some(Scope::AllOrganisations),
            ),
            (vec![("patient_portal", None)], Permission::ViewCases, None),
            (vec![("unknown_role", None)], Permission::ViewCases, None),
        ];
        for (held, permission, expected) in cases {
            assert_eq!(
                scope_for(&roles(&held), permission),
                expected,
                "{held:?} {permission:?}"
            );
        }
    }

    #[test]
    fn role_names_parse_back() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
