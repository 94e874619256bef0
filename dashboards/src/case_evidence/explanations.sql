-- The analyzer's latest explanation of each access by the case's user to the case's patients.
SELECT event_id, explained, kind, binding, relationship_id, source_channel, source_message_id,
       valid_from, valid_to
FROM access_explanations FINAL
WHERE patient_id IN (SELECT arrayJoin(?))
  AND user_id = ?
  AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
