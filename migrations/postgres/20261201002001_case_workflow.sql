-- The case workflow: assignment, closure, merges, notes, joint cases shared with a second
-- organisation, the breach log with its 72-hour clock, and the record of user warnings.

ALTER TABLE cases
    ADD COLUMN assigned_at  timestamptz,
    ADD COLUMN closed_at    timestamptz,
    -- Set when the case was merged into another: it is closed and its findings moved there.
    ADD COLUMN merged_into  bigint REFERENCES cases (id),
    -- When a high-severity case not picked up in time was escalated (at most once).
    ADD COLUMN escalated_at timestamptz,
    ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now();
CREATE INDEX cases_escalation ON cases (opened_at)
    WHERE state = 'new' AND assignee IS NULL AND escalated_at IS NULL AND severity IN ('high', 'critical');

-- Notes are part of the record: append-only like the timeline.
CREATE TABLE case_notes (
    id         bigserial PRIMARY KEY,
    case_id    bigint NOT NULL REFERENCES cases (id),
    author     text NOT NULL,
    body       text NOT NULL CHECK (btrim(body) <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_notes_by_case ON case_notes (case_id, created_at);
CREATE TRIGGER case_notes_append_only BEFORE UPDATE OR DELETE ON case_notes
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER case_notes_no_truncate BEFORE TRUNCATE ON case_notes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- A joint case: shared with a second organisation (the one whose patient data was viewed),
-- whose officers see and work it too.
CREATE TABLE case_shares (
    case_id   bigint NOT NULL REFERENCES cases (id),
    org_code  text NOT NULL REFERENCES organisations (ods_code),
    reason    text NOT NULL,
    shared_by text NOT NULL,
    shared_at timestamptz NOT NULL DEFAULT now(),
    -- false until alerts has queued the notifications to the organisation's officers.
    notified  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (case_id, org_code)
);
CREATE INDEX case_shares_to_notify ON case_shares (case_id) WHERE NOT notified;
CREATE INDEX case_shares_by_org ON case_shares (org_code);

-- The breach log: one entry per case marked as a potential personal data breach. The ICO
-- expects a report within 72 hours of the organisation becoming aware; deadline_at is that
-- moment. Every entry stays (reported or not, with the reason), so the log is also the record
-- of near misses. Changes are written to the case timeline with their old and new values.
CREATE TABLE breach_records (
    id                          bigserial PRIMARY KEY,
    case_id                     bigint NOT NULL UNIQUE REFERENCES cases (id),
    org_code                    text NOT NULL,
    aware_at                    timestamptz NOT NULL,
    deadline_at                 timestamptz NOT NULL,
    marked_by                   text NOT NULL,
    marked_at                   timestamptz NOT NULL,
    what_happened               text NOT NULL DEFAULT '',
    data_affected               text NOT NULL DEFAULT '',
    people_affected             integer CHECK (people_affected >= 0),
    people_affected_description text NOT NULL DEFAULT '',
    likely_effects              text NOT NULL DEFAULT '',
    remedial_action             text NOT NULL DEFAULT '',
    decision                    text NOT NULL DEFAULT 'pending' CHECK (decision IN ('pending', 'reported', 'not_reported')),
    ico_reference               text,
    reported_at                 timestamptz,
    not_reported_reason         text,
    decided_by                  text,
    decided_at                  timestamptz,
    updated_at                  timestamptz NOT NULL,
    CHECK (decision <> 'reported' OR (btrim(ico_reference) <> '' AND reported_at IS NOT NULL)),
    CHECK (decision <> 'not_reported' OR btrim(not_reported_reason) <> ''),
    CHECK (deadline_at = aware_at + interval '72 hours')
);
CREATE INDEX breach_records_pending ON breach_records (deadline_at) WHERE decision = 'pending';
CREATE TRIGGER breach_records_no_delete BEFORE DELETE ON breach_records
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER breach_records_no_truncate BEFORE TRUNCATE ON breach_records
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The optional warning to the user: who was warned and who was held out (to measure the
-- warning's effect on repeat behaviour), decided once per case.
CREATE TABLE user_warnings (
    case_id    bigint PRIMARY KEY REFERENCES cases (id),
    user_id    text NOT NULL,
    org_code   text NOT NULL,
    arm        text NOT NULL CHECK (arm IN ('warned', 'holdout', 'no_address')),
    decided_at timestamptz NOT NULL
);
CREATE INDEX user_warnings_by_org ON user_warnings (org_code, decided_at);
