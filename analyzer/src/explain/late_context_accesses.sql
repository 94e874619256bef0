-- The accesses to explain again when care context arrives late, beyond those with standing
-- findings: every access of a patient whose care relationships or merges became visible in the
-- window (`since`, `until`] of stored time (seconds, care_arrivals), that occurred less than
-- `max_age_seconds` ago and that nothing explains yet. An admission recorded hours after the
-- ward looked explains every look of that stay, not only the ones a rule flagged.
-- example since = 1767225600
-- example until = 1767229200
-- example max_age_seconds = 2592000
SELECT event_id
FROM access_explanations
WHERE patient_id IN (
        SELECT patient_id FROM care_arrivals
        WHERE stored_at > toDateTime({since}) AND stored_at <= toDateTime({until})
          AND patient_id != '')
  AND occurred_at > now() - {max_age_seconds}
GROUP BY event_id, patient_id
HAVING argMax(explained, version) = 0
