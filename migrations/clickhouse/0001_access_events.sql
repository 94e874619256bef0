-- The normalised audit trail. One row per access event, written only by the collector.
--
-- Layout: "who viewed patient P" is a range read of access_events (ordered by patient), and
-- "what did user U view" is a range read of access_by_user (ordered by user), which a
-- materialized view fills from the same insert. Time is DateTime('UTC') plus a UInt16 of
-- milliseconds because ClickHouse 18.16 has no DateTime64.
--
-- Deduplication: the event id is the last column of the sort key and the engine is
-- ReplacingMergeTree, so a retried insert of the same event collapses on merge. Readers that must
-- not see an unmerged duplicate use FINAL or LIMIT 1 BY event_id.
--
-- Retention: partitions are months of occurred_at; dropping old partitions is a scheduled job
-- (TTL does not exist on 18.16).
CREATE TABLE IF NOT EXISTS access_events
(
    event_id String,
    occurred_at DateTime('UTC'),
    occurred_ms UInt16,
    received_at DateTime('UTC'),
    received_ms UInt16,
    action String,
    outcome UInt8,
    event_type String,
    event_subtypes Array(String),
    patient_id String,
    patient_id_system String,
    user_id String,
    user_id_system String,
    user_name String,
    user_org String,
    user_roles Array(String),
    purpose_of_use Array(String),
    emergency_access UInt8,
    emergency_reason String,
    data_entities Array(String),
    client_address String,
    source_node String,
    channel String,
    authenticated_as String,
    raw_format String,
    payload_sha256 String,
    raw_payload String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (patient_id, occurred_at, event_id);

-- The same events ordered by user, without the raw payload (evidence is fetched from
-- access_events by patient and event id).
CREATE TABLE IF NOT EXISTS access_by_user
(
    event_id String,
    occurred_at DateTime('UTC'),
    occurred_ms UInt16,
    received_at DateTime('UTC'),
    received_ms UInt16,
    action String,
    outcome UInt8,
    patient_id String,
    user_id String,
    user_name String,
    user_org String,
    user_roles Array(String),
    purpose_of_use Array(String),
    emergency_access UInt8,
    data_entities Array(String),
    source_node String,
    channel String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (user_id, occurred_at, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS access_by_user_mv TO access_by_user AS
SELECT
    event_id, occurred_at, occurred_ms, received_at, received_ms, action, outcome, patient_id,
    user_id, user_name, user_org, user_roles, purpose_of_use, emergency_access, data_entities,
    source_node, channel
FROM access_events;
