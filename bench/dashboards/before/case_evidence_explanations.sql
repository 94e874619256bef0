-- The analyzer's latest explanation of each access by the case's user to the case's patients.
-- The latest evaluation wins (highest version). `FINAL` would say the same but on ClickHouse
-- 18.16 it reads far more than the patient's range; `LIMIT 1 BY` after the range read does not.
SELECT event_id, explained, kind, binding, relationship_id, source_channel, source_message_id,
       valid_from, valid_to
FROM access_explanations
WHERE patient_id IN (SELECT arrayJoin(?))
  AND user_id = ?
  AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
ORDER BY version DESC
LIMIT 1 BY event_id
