-- The care relationships the patient has (and merged identifiers have), open or closed.
SELECT relationship_id, patient_id, kind, user_id, team, org_code, valid_from, valid_to,
       source_channel, source_message_id
FROM care_relationships FINAL
WHERE patient_id IN (
    SELECT ?
    UNION ALL
    SELECT alias_id FROM patient_links FINAL WHERE canonical_id = ? AND deleted = 0
    UNION ALL
    SELECT arrayElement(splitByChar('|', alias_id), -1) FROM patient_links FINAL WHERE canonical_id = ? AND deleted = 0
)
  AND deleted = 0
ORDER BY valid_from, relationship_id
LIMIT 10000
