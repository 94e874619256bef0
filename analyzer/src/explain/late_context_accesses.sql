-- The accesses to explain again when care context arrives late, beyond those with standing
-- findings: every access of a patient whose care relationships or merges were written after
-- `since` (ms, the care-context watermark), that occurred less than `max_age_seconds` ago and
-- that nothing explains yet. An admission recorded hours after the ward looked explains every
-- look of that stay, not only the ones a rule flagged.
-- example since = 1767225600000
-- example max_age_seconds = 2592000
SELECT event_id
FROM access_explanations
WHERE (patient_id IN (SELECT patient_id FROM care_relationships WHERE version > {since})
       OR patient_id IN (SELECT alias_id FROM patient_links WHERE version > {since})
       OR patient_id IN (SELECT canonical_id FROM patient_links WHERE version > {since}))
  AND occurred_at > now() - {max_age_seconds}
GROUP BY event_id, patient_id
HAVING argMax(explained, version) = 0
