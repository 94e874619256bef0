SELECT
    event_id,
    occurred_at,
    occurred_ms,
    user_id,
    user_org,
    patient_id,
    emergency_reason AS detail
FROM access_events
WHERE emergency_access = 1
  AND toUInt64(received_at) * 1000 + received_ms >= ?
  AND toUInt64(received_at) * 1000 + received_ms < ?
ORDER BY received_at, event_id
LIMIT 1 BY event_id
