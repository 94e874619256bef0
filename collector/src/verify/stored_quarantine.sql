SELECT quarantine_id, payload_sha256, reason_code, received_at, received_ms
FROM quarantine
ORDER BY quarantine_id
