SELECT event_id, toUInt64(received_at) * 1000 + received_ms AS received_ms
FROM access_events
WHERE has(?, event_id)
LIMIT 1 BY event_id
