-- A chunk of synthetic audit events, generated inside ClickHouse (loading 100M events through
-- the collector would take hours on this machine). Events are spread evenly over a year in
-- number order (so each chunk lands in one or two monthly partitions, as real ingest does);
-- patients are skewed (the id is the square of a uniform draw: a few patients are viewed very
-- often, most a few dozen times a year); each user belongs to one organisation; 1% of views
-- are emergency accesses. Placeholders: OFFSET, COUNT, TOTAL, PATIENTS, USERS, ORGS, START.
INSERT INTO access_events
SELECT
    concat('bench-', toString(n)) AS event_id,
    toDateTime(START + intDiv(n * 31536000, TOTAL) + (intHash64(n) % 600)) AS occurred_at,
    toUInt16(intHash64(n + 1) % 1000) AS occurred_ms,
    toDateTime(START + intDiv(n * 31536000, TOTAL) + (intHash64(n) % 600) + 2) AS received_at,
    toUInt16(intHash64(n + 2) % 1000) AS received_ms,
    'R' AS action,
    toUInt8(0) AS outcome,
    'rest' AS event_type,
    ['read'] AS event_subtypes,
    toString(9000000000 + toUInt64(pow((intHash64(n * 3 + 1) % 1000000) / 1000000.0, 2) * PATIENTS)) AS patient_id,
    'https://fhir.nhs.uk/Id/nhs-number' AS patient_id_system,
    toString(500000000000 + u) AS user_id,
    'https://fhir.nhs.uk/Id/sds-user-id' AS user_id_system,
    concat('Staff member ', toString(u)) AS user_name,
    concat('ORG', toString(u % ORGS)) AS user_org,
    ['R8000'] AS user_roles,
    [if(intHash64(n + 5) % 100 = 0, 'http://terminology.hl7.org/CodeSystem/v3-ActReason|ETREAT', 'http://terminology.hl7.org/CodeSystem/v3-ActReason|TREAT')] AS purpose_of_use,
    toUInt8(intHash64(n + 5) % 100 = 0) AS emergency_access,
    if(intHash64(n + 5) % 100 = 0, 'patient unconscious in ED', '') AS emergency_reason,
    ['Patient/summary'] AS data_entities,
    '10.1.2.3' AS client_address,
    concat('node-', toString(n % 5)) AS source_node,
    'fhir_http' AS channel,
    'CN=node' AS authenticated_as,
    'fhir+json' AS raw_format,
    lower(concat(hex(MD5(concat('a', toString(n)))), hex(MD5(concat('b', toString(n)))))) AS payload_sha256,
    concat('{"resourceType":"AuditEvent","id":"bench-', toString(n), '","action":"R","recorded":"', toString(occurred_at), '"}') AS raw_payload
FROM (SELECT number + OFFSET AS n, intHash64(number + OFFSET) % USERS AS u FROM numbers(COUNT))
