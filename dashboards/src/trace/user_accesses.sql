-- What this user viewed: the patients come from the by-user table (a range read), the full
-- rows (with the payload digest the integrity chain covers) from access_by_patient, the
-- patient-ordered copy of access_events without the payload (migration 0020).
SELECT event_id, patient_id, occurred_at, occurred_ms, received_at, received_ms, action, outcome,
       user_id, user_name, user_org, user_roles, purpose_of_use, emergency_access,
       emergency_reason, source_node, channel, payload_sha256
FROM access_by_patient
WHERE patient_id IN (
    SELECT patient_id FROM access_by_user
    WHERE user_id = ? AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
)
  AND user_id = ?
  AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
  AND (? = 1 OR has(?, user_org))
ORDER BY occurred_at, occurred_ms, event_id
LIMIT 1 BY event_id
LIMIT ?
