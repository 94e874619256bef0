-- The care relationships the patient has under any of its identifiers, open or closed.
SELECT relationship_id, patient_id, kind, user_id, team, org_code, valid_from, valid_to,
       source_channel, source_message_id
FROM care_relationships FINAL
WHERE patient_id IN (SELECT arrayJoin(?))
  AND deleted = 0
ORDER BY valid_from, relationship_id
LIMIT 10000
