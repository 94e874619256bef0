-- Sign-in and sessions of careaudit's own accounts (issue 8): lockout after repeated failures,
-- identities at an organisation's OpenID provider, server-side sessions, OpenID sign-ins in
-- flight, a record of every sign-in attempt, and a fuller self-audit.

-- Lockout: consecutive failures since the last success, and until when the account is locked.
ALTER TABLE app_users ADD COLUMN failed_sign_ins integer NOT NULL DEFAULT 0;
ALTER TABLE app_users ADD COLUMN locked_until timestamptz;
ALTER TABLE app_users ADD COLUMN last_sign_in_at timestamptz;

-- Patient portals query the subject access data (IHE ITI-81) as accounts of their own role.
ALTER TABLE app_user_roles DROP CONSTRAINT app_user_roles_role_check;
ALTER TABLE app_user_roles ADD CONSTRAINT app_user_roles_role_check
    CHECK (role IN ('privacy_officer', 'investigator', 'auditor', 'administrator', 'patient_portal'));

-- An account signs in through an identity provider (NHS CIS2 is OpenID Connect) when the
-- provider's issuer and the person's subject there are linked to it. Accounts are provisioned
-- by an administrator, never created by a first sign-in, so the provider cannot grant roles.
CREATE TABLE app_user_identities (
    issuer     text NOT NULL,
    subject    text NOT NULL,
    user_id    uuid NOT NULL REFERENCES app_users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);

-- Server-side sessions. Only the SHA-256 of the cookie's random token is stored, so reading
-- this table yields no usable cookie. The CSRF token is bound to the session.
CREATE TABLE app_sessions (
    token_sha256 text PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES app_users (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    auth_method  text NOT NULL CHECK (auth_method IN ('password', 'oidc')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX app_sessions_by_user ON app_sessions (user_id);

-- OpenID Connect sign-ins between the redirect to the provider and the callback: the state
-- names the row, which holds the nonce and the PKCE verifier; each row is used at most once.
CREATE TABLE oidc_pending (
    state         text PRIMARY KEY,
    provider      text NOT NULL,
    nonce         text NOT NULL,
    pkce_verifier text NOT NULL,
    return_to     text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Every sign-in attempt, for the security record: who, how, the outcome, from where.
CREATE TABLE sign_in_events (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    username       text NOT NULL,
    method         text NOT NULL,
    outcome        text NOT NULL,
    client_address text
);
CREATE INDEX sign_in_events_by_username ON sign_in_events (username, at);

-- The self-audit also keeps what was asked (dates, filters, format) and how many rows were
-- shown, so "who saw this patient's trail" can be answered precisely.
ALTER TABLE audit_data_views ADD COLUMN detail jsonb NOT NULL DEFAULT '{}'::jsonb;
CREATE INDEX audit_data_views_by_user ON audit_data_views (user_id, at) WHERE user_id IS NOT NULL;
CREATE INDEX audit_data_views_by_viewer ON audit_data_views (viewer, at);
