-- Who viewed this patient's record: every access recorded under any of the patient's
-- identifiers (the patient's own and those merged into it, see patient_identities.sql).
-- Scoped to the organisations of the reader's role (flag 1 = all).
SELECT event_id, patient_id, occurred_at, occurred_ms, received_at, received_ms, action, outcome,
       user_id, user_name, user_org, user_roles, purpose_of_use, emergency_access,
       emergency_reason, source_node, channel, payload_sha256
FROM access_events
WHERE patient_id IN (SELECT arrayJoin(?))
  AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
  AND (? = 1 OR has(?, user_org))
ORDER BY occurred_at, occurred_ms, event_id
LIMIT 1 BY event_id
LIMIT ?
