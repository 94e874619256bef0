-- The analyzer's latest explanation of each access to this patient (any of its identifiers).
SELECT event_id, explained, kind, binding, relationship_id, source_channel, source_message_id,
       valid_from, valid_to
FROM access_explanations FINAL
WHERE patient_id IN (SELECT arrayJoin(?))
  AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
