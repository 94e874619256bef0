-- Routing: who receives a case. An organisation has privacy officers, each with their own
-- address and notification preferences; the organisation's own contact address
-- (organisations.privacy_officer_email) stays as the address staff are told to write to, and
-- becomes an officer here so routing has one source. Optional per-organisation SMTP relays,
-- webhook endpoints, the joint-case rule (which exchange nodes serve an organisation's data)
-- and the staff addresses for the optional warning to the user.

ALTER TABLE organisations
    -- Minutes a high-severity case may stay new and unassigned before it is escalated; NULL
    -- takes the deployment default (alerts.escalation_minutes).
    ADD COLUMN escalation_minutes integer CHECK (escalation_minutes > 0),
    -- The optional "your access was reviewed" email to a user whose low-severity case was
    -- confirmed inappropriate, and the share of users held out of it to measure its effect.
    ADD COLUMN user_warnings boolean NOT NULL DEFAULT false,
    ADD COLUMN user_warning_holdout_percent integer NOT NULL DEFAULT 0
        CHECK (user_warning_holdout_percent BETWEEN 0 AND 100),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE privacy_officers (
    id               bigserial PRIMARY KEY,
    org_code         text NOT NULL REFERENCES organisations (ods_code),
    email            text NOT NULL CHECK (email <> ''),
    display_name     text NOT NULL,
    -- The officer's careaudit account (app_users.username), when they have one: cases are
    -- assigned to accounts.
    username         text,
    -- New cases: an email at once, only in the digest, or not at all.
    case_alerts      text NOT NULL DEFAULT 'immediate' CHECK (case_alerts IN ('immediate', 'digest', 'none')),
    -- Immediate alerts only for cases at least this severe.
    min_severity     text NOT NULL DEFAULT 'low' CHECK (min_severity IN ('low', 'medium', 'high', 'critical')),
    digest           text NOT NULL DEFAULT 'none' CHECK (digest IN ('none', 'daily', 'weekly')),
    escalations      boolean NOT NULL DEFAULT true,
    breach_reminders boolean NOT NULL DEFAULT true,
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_code, email)
);

INSERT INTO privacy_officers (org_code, email, display_name)
SELECT ods_code, privacy_officer_email, 'Privacy officer'
FROM organisations
WHERE privacy_officer_email IS NOT NULL AND privacy_officer_email <> '';

-- An organisation's own SMTP relay. The password is never stored here: password_secret names
-- an entry of the settings (alerts.secrets, e.g. CAREAUDIT__ALERTS__SECRETS__RIVERSIDE_SMTP).
CREATE TABLE organisation_smtp (
    org_code           text PRIMARY KEY REFERENCES organisations (ods_code),
    host               text NOT NULL CHECK (host <> ''),
    port               integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
    tls                text NOT NULL CHECK (tls IN ('none', 'starttls', 'implicit')),
    username           text,
    password_secret    text,
    from_address       text NOT NULL,
    -- An extra trusted root (PEM) for relays with a certificate from a private CA.
    ca_certificate_pem text,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((username IS NULL) = (password_secret IS NULL))
);

-- Webhooks: an organisation's (or, with org_code NULL, every organisation's: the operator's
-- SIEM) HTTPS endpoint. The signing secret is named, not stored (alerts.secrets).
CREATE TABLE webhook_endpoints (
    id          bigserial PRIMARY KEY,
    org_code    text REFERENCES organisations (ods_code),
    url         text NOT NULL CHECK (url ~ '^https?://'),
    secret_name text NOT NULL CHECK (secret_name <> ''),
    kinds       text[] NOT NULL DEFAULT ARRAY['case_opened', 'case_shared', 'escalation', 'breach_reminder', 'digest'],
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (org_code, url)
);

-- The joint-case rule: events served by this exchange node carry this organisation's data, so
-- a case about such an event is shared with it (when it is not the user's own organisation).
CREATE TABLE organisation_data_sources (
    source_node text PRIMARY KEY CHECK (source_node <> ''),
    org_code    text NOT NULL REFERENCES organisations (ods_code),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Where a member of staff (a user of the shared care record, not of careaudit) receives the
-- optional warning email.
CREATE TABLE user_contacts (
    user_id    text PRIMARY KEY CHECK (user_id <> ''),
    email      text NOT NULL CHECK (email <> ''),
    updated_at timestamptz NOT NULL DEFAULT now()
);
