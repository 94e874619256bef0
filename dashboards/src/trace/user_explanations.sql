-- The analyzer's latest explanation of each access by this user.
SELECT event_id, explained, kind, binding, relationship_id, source_channel, source_message_id,
       valid_from, valid_to
FROM access_explanations FINAL
WHERE patient_id IN (
    SELECT patient_id FROM access_by_user
    WHERE user_id = ? AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
)
  AND user_id = ?
  AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
