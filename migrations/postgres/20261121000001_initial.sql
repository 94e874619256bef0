-- Workflow state of careaudit: organisations and their officers, careaudit's own users, findings,
-- cases with an append-only timeline, the notification outbox and the analyzer's watermarks.

CREATE TABLE organisations (
    ods_code              text PRIMARY KEY CHECK (ods_code <> ''),
    name                  text NOT NULL,
    privacy_officer_email text,
    created_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE app_users (
    id            uuid PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username <> ''),
    display_name  text NOT NULL,
    email         text,
    password_hash text,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- A role held by a careaudit user, for one organisation (privacy officers) or everywhere
-- (org_code NULL: administrators, and investigators granted access across organisations).
CREATE TABLE app_user_roles (
    user_id  uuid NOT NULL REFERENCES app_users (id) ON DELETE CASCADE,
    role     text NOT NULL CHECK (role IN ('privacy_officer', 'investigator', 'auditor', 'administrator')),
    org_code text REFERENCES organisations (ods_code),
    UNIQUE NULLS NOT DISTINCT (user_id, role, org_code)
);

-- The analyzer's durable progress per job: the collector receive time (epoch milliseconds) up to
-- which every event has been evaluated.
CREATE TABLE analyzer_watermarks (
    job          text PRIMARY KEY,
    watermark_ms bigint NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE case_reference_seq;

CREATE TABLE cases (
    id                 bigserial PRIMARY KEY,
    reference          text NOT NULL UNIQUE,
    org_code           text NOT NULL,
    user_id            text NOT NULL,
    patient_id         text NOT NULL,
    state              text NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'triage', 'investigating', 'closed')),
    disposition        text CHECK (disposition IN ('appropriate', 'inappropriate_education',
                           'inappropriate_disciplinary', 'reported_to_ico', 'unable_to_determine')),
    assignee           uuid REFERENCES app_users (id),
    severity           text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    score              double precision NOT NULL DEFAULT 0,
    first_event_at     timestamptz NOT NULL,
    last_event_at      timestamptz NOT NULL,
    opened_at          timestamptz NOT NULL DEFAULT now(),
    -- 'pending' until alerts has queued the notifications for this case.
    notification_state text NOT NULL DEFAULT 'pending' CHECK (notification_state IN ('pending', 'queued')),
    -- Optimistic concurrency: every update must name the version it read.
    version            integer NOT NULL DEFAULT 1
);
CREATE INDEX cases_queue ON cases (org_code, state, score DESC);
CREATE INDEX cases_grouping ON cases (user_id, patient_id, last_event_at) WHERE state <> 'closed';
CREATE INDEX cases_pending_notification ON cases (id) WHERE notification_state = 'pending';

CREATE TABLE findings (
    id          bigserial PRIMARY KEY,
    rule_id     text NOT NULL,
    event_id    text NOT NULL,
    severity    text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    occurred_at timestamptz NOT NULL,
    user_id     text NOT NULL,
    user_org    text,
    patient_id  text NOT NULL,
    explanation text NOT NULL,
    case_id     bigint NOT NULL REFERENCES cases (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Re-running a window must not duplicate findings.
    UNIQUE (rule_id, event_id)
);
CREATE INDEX findings_by_case ON findings (case_id);

-- Who did what to a case, when. Append-only: a trigger refuses updates and deletes.
CREATE TABLE case_timeline (
    id      bigserial PRIMARY KEY,
    case_id bigint NOT NULL REFERENCES cases (id),
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,
    action  text NOT NULL,
    detail  jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX case_timeline_by_case ON case_timeline (case_id, at);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER case_timeline_append_only BEFORE UPDATE OR DELETE ON case_timeline
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER case_timeline_no_truncate BEFORE TRUNCATE ON case_timeline
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The transactional outbox: a notification is written in the same transaction as the state
-- change that causes it, then delivered by a worker. dedupe_key makes queuing idempotent.
CREATE TABLE notification_outbox (
    id              bigserial PRIMARY KEY,
    dedupe_key      text NOT NULL UNIQUE,
    case_id         bigint REFERENCES cases (id),
    channel         text NOT NULL CHECK (channel IN ('email', 'webhook')),
    recipient       text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE state = 'pending';

-- careaudit audits itself: every look at audit data through careaudit (a case page, a trace, an
-- export) is recorded here, append-only, and can be reported.
CREATE TABLE audit_data_views (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    viewer     text NOT NULL,
    view       text NOT NULL,
    case_ref   text,
    patient_id text,
    user_id    text
);
CREATE INDEX audit_data_views_by_patient ON audit_data_views (patient_id, at) WHERE patient_id IS NOT NULL;
CREATE TRIGGER audit_data_views_append_only BEFORE UPDATE OR DELETE ON audit_data_views
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
