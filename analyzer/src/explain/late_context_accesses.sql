-- The accesses to explain again when care context arrives late: every access that nothing
-- explains yet, that occurred less than `max_age_seconds` ago, of a patient whose care
-- relationships or merges became visible in the window (`since`, `until`] of stored time
-- (seconds, care_arrivals), when the same user's accesses to that patient include one whose
-- latest explanation was evaluated no later than `margin_seconds` after the arrival. An
-- admission recorded hours after the ward looked explains every look of that stay, flagged or
-- not; an explanation evaluated after the admission was visible has nothing new to learn from
-- it, except through the pair's other accesses: a look the admission now explains is the
-- prior episode of the same user's later looks, however recently those were explained. So
-- the month's care context loaded before its accesses were first explained is not read again.
-- Ordered by patient, user and time, so an access is explained again before (or with) the
-- later accesses whose prior episode it may be. Asked in `parts` parts by a hash of the
-- patient (part `part`, from 0), so a first run over a month of new care context holds a part
-- of the month's accesses in memory at a time (a pair is always in one part).
-- example since = 1767225600
-- example until = 1767229200
-- example max_age_seconds = 2592000
-- example margin_seconds = 3
-- example parts = 1
-- example part = 0
SELECT event_id
FROM
(
    SELECT patient_id, user_id,
           max(evaluated <= arrived + {margin_seconds}) AS stale,
           groupArrayIf(event_id, e_explained = 0) AS unexplained,
           groupArrayIf(toUInt32(e_occurred), e_explained = 0) AS unexplained_at
    FROM
    (
        SELECT event_id, patient_id, user_id, any(occurred_at) AS e_occurred,
               argMax(explained, version) AS e_explained,
               toUInt32(argMax(evaluated_at, version)) AS evaluated
        FROM access_explanations_by_patient
        WHERE patient_id IN
            (
                SELECT patient_id FROM ({@arrived_patients})
            )
          AND occurred_at > now() - {max_age_seconds}
        GROUP BY event_id, patient_id, user_id
    ) AS accesses_1
    ANY INNER JOIN
    (
        {@arrived_patients}
    ) AS arrivals_2 USING patient_id
    GROUP BY patient_id, user_id
)
ARRAY JOIN unexplained AS event_id, unexplained_at AS at
WHERE stale = 1
ORDER BY patient_id, user_id, at
