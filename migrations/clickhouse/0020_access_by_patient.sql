-- Patient-ordered copies of the audit trail and of the explanations for the dashboards' patient
-- trace and case timeline, with a fine index granularity.
--
-- Why: access_events is ordered by patient, but with the default granularity (8,192 rows) a
-- patient lookup reads at least one granule in every part it touches, ~400,000 rows and ~40 MB
-- over 50 parts at 100M events, to return a few dozen rows, most of the bytes being the raw
-- payload's neighbours. These tables hold only the columns the trace and the case timeline
-- read (no payload; the case page reads payloads from access_events by event id, in the
-- finding's month) and use granules of 1,024 rows, so the same lookup reads 8x fewer rows of
-- far narrower columns. index_granularity cannot be altered on an existing table, hence new
-- tables.
--
-- Filled like access_by_user: materialized views on access_events and access_explanations.
-- The views are created before the backfill, so an insert that lands while the migration runs is
-- written by the view, and perhaps also by the backfill: both tables are ReplacingMergeTree with
-- the event id in the sort key (plus version for the explanations), identical rows collapse on
-- merge, and every reader keeps one row per event (LIMIT 1 BY event_id). The backfill is not
-- guarded against a re-run for the same reason: a re-run only happens when an earlier run
-- stopped before writing the ledger row, possibly in the middle of the backfill, and then
-- copying everything again is what completes it (a guard such as "skip when the table is not
-- empty" would leave it incomplete, and an anti-join on the event ids would hold every id of the
-- trail in memory).
CREATE TABLE IF NOT EXISTS access_by_patient
(
    event_id String,
    patient_id String,
    occurred_at DateTime('UTC'),
    occurred_ms UInt16,
    received_at DateTime('UTC'),
    received_ms UInt16,
    action String,
    outcome UInt8,
    user_id String,
    user_name String,
    user_org String,
    user_roles Array(String),
    purpose_of_use Array(String),
    emergency_access UInt8,
    emergency_reason String,
    source_node String,
    channel String,
    payload_sha256 String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (patient_id, occurred_at, event_id)
SETTINGS index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS access_by_patient_mv TO access_by_patient AS
SELECT
    event_id, patient_id, occurred_at, occurred_ms, received_at, received_ms, action, outcome,
    user_id, user_name, user_org, user_roles, purpose_of_use, emergency_access, emergency_reason,
    source_node, channel, payload_sha256
FROM access_events;

CREATE TABLE IF NOT EXISTS access_explanations_by_patient
(
    event_id String,
    occurred_at DateTime('UTC'),
    received_at DateTime('UTC'),
    patient_id String,
    user_id String,
    user_org String,
    explained UInt8,
    kind String,
    binding String,
    relationship_id String,
    source_channel String,
    source_message_id String,
    valid_from DateTime('UTC'),
    valid_to Nullable(DateTime('UTC')),
    evaluated_at DateTime('UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (patient_id, occurred_at, event_id)
SETTINGS index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS access_explanations_by_patient_mv TO access_explanations_by_patient AS
SELECT
    event_id, occurred_at, received_at, patient_id, user_id, user_org, explained, kind, binding,
    relationship_id, source_channel, source_message_id, valid_from, valid_to, evaluated_at, version
FROM access_explanations;

-- Backfill (re-run safe, see above).
INSERT INTO access_by_patient
SELECT
    event_id, patient_id, occurred_at, occurred_ms, received_at, received_ms, action, outcome,
    user_id, user_name, user_org, user_roles, purpose_of_use, emergency_access, emergency_reason,
    source_node, channel, payload_sha256
FROM access_events;

INSERT INTO access_explanations_by_patient
SELECT
    event_id, occurred_at, received_at, patient_id, user_id, user_org, explained, kind, binding,
    relationship_id, source_channel, source_message_id, valid_from, valid_to, evaluated_at, version
FROM access_explanations;
