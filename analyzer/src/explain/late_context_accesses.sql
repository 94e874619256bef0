-- The accesses to explain again when care context arrives late, beyond those with standing
-- findings: every access that nothing explains yet, that occurred less than `max_age_seconds`
-- ago, of a patient whose care relationships or merges became visible in the window (`since`,
-- `until`] of stored time (seconds, care_arrivals) no earlier than `margin_seconds` before
-- the access's latest explanation was evaluated: an admission recorded hours after the ward
-- looked explains every look of that stay, not only the ones a rule flagged, and an access
-- explained after the admission was visible has nothing new to learn from it (the month's care
-- context loaded before its accesses were first explained is not read again).
-- example since = 1767225600
-- example until = 1767229200
-- example max_age_seconds = 2592000
-- example margin_seconds = 3
SELECT event_id
FROM
(
    SELECT event_id, patient_id, toUInt32(max(evaluated_at)) AS evaluated
    FROM access_explanations
    WHERE patient_id IN (SELECT patient_id FROM ({@arrived_patients}))
      AND occurred_at > now() - {max_age_seconds}
    GROUP BY event_id, patient_id
    HAVING argMax(explained, version) = 0
) AS unexplained_1
ANY INNER JOIN
(
    {@arrived_patients}
) AS arrivals_2 USING patient_id
WHERE evaluated <= arrived + {margin_seconds}
