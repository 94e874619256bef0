-- A merged identifier (`authority|value` from HL7 or FHIR) also matches what was recorded
-- under its bare value (audit events keep the identifier system in a column of its own).
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
