-- A merged identifier (`authority|value` from HL7 or FHIR) also matches what was recorded
-- under its bare value (audit events keep the identifier system in a column of its own).
SELECT event_id, patient_id, occurred_at, occurred_ms, action, user_id, user_name, user_org,
       purpose_of_use, emergency_access, source_node, channel
FROM access_events
WHERE patient_id IN (
    SELECT ?
    UNION ALL
    SELECT alias_id FROM patient_links FINAL WHERE canonical_id = ? AND deleted = 0
    UNION ALL
    SELECT arrayElement(splitByChar('|', alias_id), -1) FROM patient_links FINAL WHERE canonical_id = ? AND deleted = 0
)
  AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
ORDER BY occurred_at, occurred_ms, event_id
LIMIT 1 BY event_id
