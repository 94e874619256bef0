-- The analyzer's explanations of the same events (95% explained by a registration), so the
-- trace reads explanations at production size too. Placeholders as access_events.sql.
INSERT INTO access_explanations
SELECT
    concat('bench-', toString(n)) AS event_id,
    toDateTime(START + intDiv(n * 31536000, TOTAL) + (intHash64(n) % 600)) AS occurred_at,
    toDateTime(START + intDiv(n * 31536000, TOTAL) + (intHash64(n) % 600) + 2) AS received_at,
    toString(9000000000 + toUInt64(pow((intHash64(n * 3 + 1) % 1000000) / 1000000.0, 2) * PATIENTS)) AS patient_id,
    toString(500000000000 + u) AS user_id,
    concat('ORG', toString(u % ORGS)) AS user_org,
    toUInt8(intHash64(n + 9) % 100 < 95) AS explained,
    if(intHash64(n + 9) % 100 < 95, 'registration', '') AS kind,
    if(intHash64(n + 9) % 100 < 95, 'organisation', '') AS binding,
    if(intHash64(n + 9) % 100 < 95, concat('csv:registration:', toString(n % 1000)), '') AS relationship_id,
    'csv_load' AS source_channel,
    'gp.csv' AS source_message_id,
    toDateTime(START - 86400 * 365) AS valid_from,
    CAST(NULL AS Nullable(DateTime('UTC'))) AS valid_to,
    now() AS evaluated_at,
    toUInt64(1) AS version
FROM (SELECT number + OFFSET AS n, intHash64(number + OFFSET) % USERS AS u FROM numbers(COUNT))
