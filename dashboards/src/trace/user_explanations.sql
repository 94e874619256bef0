-- The analyzer's latest explanation of each access by this user.
-- The latest evaluation wins (highest version). `FINAL` would say the same but on ClickHouse
-- 18.16 it reads far more than the patient's range; `LIMIT 1 BY` after the range read does not.
-- access_explanations_by_patient holds the same rows in granules of 1,024 (migration 0020).
SELECT event_id, explained, kind, binding, relationship_id, source_channel, source_message_id,
       valid_from, valid_to
FROM access_explanations_by_patient
WHERE patient_id IN (
    SELECT patient_id FROM access_by_user
    WHERE user_id = ? AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
)
  AND user_id = ?
  AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
ORDER BY version DESC
LIMIT 1 BY event_id
