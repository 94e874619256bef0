-- The analyzer's latest explanation of each access to this patient (and merged identifiers).
SELECT event_id, explained, kind, binding, relationship_id, source_channel, source_message_id,
       valid_from, valid_to
FROM access_explanations FINAL
WHERE patient_id IN (
    SELECT ?
    UNION ALL
    SELECT alias_id FROM patient_links FINAL WHERE canonical_id = ? AND deleted = 0
    UNION ALL
    SELECT arrayElement(splitByChar('|', alias_id), -1) FROM patient_links FINAL WHERE canonical_id = ? AND deleted = 0
)
  AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
