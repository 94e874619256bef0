-- The analyzer's work queue: every access event as it became queryable, ordered by the time
-- ClickHouse stored it. A materialized view fills it from each insert into access_events, and
-- `stored_at` is the server's clock at that insert, so a window of stored_at is exactly "what
-- became visible between two instants", whatever the event's own time or the collector's
-- receive time says. (A receive-time window misses events that a collector ships late, e.g.
-- from its write-ahead log after a ClickHouse outage.) Both analyzer paths read their windows
-- here as range reads of the sort key, without scanning the patient-ordered table.
--
-- The rows carry the columns the rules read (no payload). A re-shipped batch is stored again
-- with a later stored_at and evaluated again; findings are unique per (rule, event), so that is
-- harmless. Retention: partitions are months of stored_at, dropped by the retention job.
CREATE TABLE IF NOT EXISTS access_arrivals
(
    stored_at DateTime('UTC'),
    event_id String,
    occurred_at DateTime('UTC'),
    occurred_ms UInt16,
    received_at DateTime('UTC'),
    action String,
    outcome UInt8,
    event_type String,
    event_subtypes Array(String),
    patient_id String,
    user_id String,
    user_org String,
    user_roles Array(String),
    purpose_of_use Array(String),
    emergency_access UInt8,
    emergency_reason String,
    data_entities Array(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(stored_at)
ORDER BY (stored_at, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS access_arrivals_mv TO access_arrivals AS
SELECT
    now() AS stored_at, event_id, occurred_at, occurred_ms, received_at, action, outcome,
    event_type, event_subtypes, patient_id, user_id, user_org, user_roles, purpose_of_use,
    emergency_access, emergency_reason, data_entities
FROM access_events;
