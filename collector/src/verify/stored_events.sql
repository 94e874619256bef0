SELECT event_id, payload_sha256, patient_id, user_id, occurred_at, occurred_ms, received_at, received_ms
FROM access_events
ORDER BY event_id
