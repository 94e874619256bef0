-- The audit-trail rows behind a case's findings, with the payload exactly as received.
SELECT event_id, patient_id, occurred_at, occurred_ms, action, outcome, user_id, user_name, user_org,
       user_roles, purpose_of_use, emergency_reason, data_entities, client_address, source_node,
       channel, received_at, received_ms, raw_format, raw_payload
FROM access_events
WHERE patient_id IN (SELECT arrayJoin(?))
  AND has(?, event_id)
ORDER BY occurred_at, occurred_ms, event_id
LIMIT 1 BY event_id
