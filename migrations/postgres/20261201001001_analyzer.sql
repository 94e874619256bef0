-- The analyzer's ranking, late explanations, suppressions and rule precision.

-- Why a case ranks where it does: the components of `cases.score` (severity per rule weighted
-- by the rule's measured precision, statistical evidence, patients covered, repeat behaviour),
-- rewritten by the analyzer whenever a finding joins the case or is explained away.
ALTER TABLE cases ADD COLUMN score_components jsonb NOT NULL DEFAULT '{}'::jsonb;
-- Set when care context that arrived after the accesses explained every finding of the case.
ALTER TABLE cases ADD COLUMN explained_away_at timestamptz;
CREATE INDEX cases_grouping_by_user ON cases (user_id, last_event_at) WHERE state <> 'closed';
-- A user's earlier cases (repeat behaviour in the score) are read for every finding recorded.
CREATE INDEX cases_by_user ON cases (user_id);

-- A finding that later care context explains is kept (it is part of the record) and marked,
-- with the explanation that did it (relationship kind, binding, source message).
ALTER TABLE findings ADD COLUMN explained_away_at timestamptz;
ALTER TABLE findings ADD COLUMN explained_by jsonb;
CREATE INDEX findings_open_recent ON findings (occurred_at) WHERE explained_away_at IS NULL;

-- A suppression stops a rule (or every rule, rule_id NULL) from raising cases about a user, a
-- patient and/or an organisation until it expires or is revoked, for a stated reason (e.g. a
-- safeguarding lead whose role is to review many records). It must name at least one of the
-- three, so it can never silence a rule everywhere (that is a setting, not a suppression).
CREATE TABLE suppressions (
    id            bigserial PRIMARY KEY,
    rule_id       text,
    user_id       text,
    patient_id    text,
    org_code      text,
    reason        text NOT NULL CHECK (btrim(reason) <> ''),
    created_by    text NOT NULL CHECK (btrim(created_by) <> ''),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    revoked_by    text,
    revoke_reason text,
    CHECK (user_id IS NOT NULL OR patient_id IS NOT NULL OR org_code IS NOT NULL),
    CHECK (expires_at > created_at),
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
CREATE INDEX suppressions_active ON suppressions (expires_at) WHERE revoked_at IS NULL;

-- Who created or revoked which suppression, when and why. Append-only.
CREATE TABLE suppression_audit (
    id             bigserial PRIMARY KEY,
    suppression_id bigint NOT NULL REFERENCES suppressions (id),
    at             timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,
    action         text NOT NULL CHECK (action IN ('created', 'revoked')),
    detail         jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX suppression_audit_by_suppression ON suppression_audit (suppression_id, at);
CREATE TRIGGER suppression_audit_append_only BEFORE UPDATE OR DELETE ON suppression_audit
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER suppression_audit_no_truncate BEFORE TRUNCATE ON suppression_audit
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- What a suppression held back: the finding that would have been raised, kept so that every
-- suppression can be shown to have done only what it said (unique per rule and event, like
-- findings, so re-running a window adds nothing).
CREATE TABLE suppressed_findings (
    id             bigserial PRIMARY KEY,
    suppression_id bigint NOT NULL REFERENCES suppressions (id),
    rule_id        text NOT NULL,
    event_id       text NOT NULL,
    severity       text NOT NULL,
    occurred_at    timestamptz NOT NULL,
    user_id        text NOT NULL,
    user_org       text,
    patient_id     text NOT NULL,
    explanation    text NOT NULL,
    evidence       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (rule_id, event_id)
);
CREATE INDEX suppressed_findings_by_suppression ON suppressed_findings (suppression_id);

-- Per rule, the outcomes of the cases its findings are part of: confirmed (an inappropriate
-- disposition), appropriate, undetermined, explained away by late care context, still open.
-- precision = confirmed / (confirmed + appropriate), NULL until a case has been decided.
CREATE VIEW rule_outcomes AS
SELECT f.rule_id,
       count(DISTINCT f.case_id) AS cases,
       count(DISTINCT f.case_id) FILTER (WHERE c.disposition IN
           ('inappropriate_education', 'inappropriate_disciplinary', 'reported_to_ico')) AS confirmed,
       count(DISTINCT f.case_id) FILTER (WHERE c.disposition = 'appropriate') AS appropriate,
       count(DISTINCT f.case_id) FILTER (WHERE c.disposition = 'unable_to_determine') AS undetermined,
       count(DISTINCT f.case_id) FILTER (WHERE c.explained_away_at IS NOT NULL) AS explained_away,
       count(DISTINCT f.case_id) FILTER (WHERE c.state <> 'closed') AS open,
       count(*) AS findings,
       count(*) FILTER (WHERE f.explained_away_at IS NOT NULL) AS findings_explained_away
FROM findings f
JOIN cases c ON c.id = f.case_id
GROUP BY f.rule_id;

-- Findings that do not (yet) make a case: weak evidence on its own (an unexplained access is
-- low severity) waits here until the user's findings close in time reach the case-opening
-- score, then moves into a case. Unique per rule and event like findings.
CREATE TABLE pending_findings (
    id          bigserial PRIMARY KEY,
    rule_id     text NOT NULL,
    event_id    text NOT NULL,
    severity    text NOT NULL,
    occurred_at timestamptz NOT NULL,
    user_id     text NOT NULL,
    user_org    text,
    patient_id  text NOT NULL,
    explanation text NOT NULL,
    evidence    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (rule_id, event_id)
);
CREATE INDEX pending_findings_by_user ON pending_findings (user_id, occurred_at);
