-- Every access by the case's user to the case's patients around the case: the timeline.
-- From access_by_patient (access_events without the payload, granules of 1,024 rows).
SELECT event_id, patient_id, occurred_at, occurred_ms, action, user_org, purpose_of_use,
       emergency_access, source_node
FROM access_by_patient
WHERE patient_id IN (SELECT arrayJoin(?))
  AND user_id = ?
  AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
ORDER BY occurred_at, occurred_ms, event_id
LIMIT 1 BY event_id
LIMIT 5000
