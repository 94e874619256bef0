-- Accesses in the window to a patient who died more than `days_after_death` days before the
-- access (the record of a death is kept by the latest patient statement); detail is the date of
-- death.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example days_after_death = 30
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
       concat('died ', toString(assumeNotNull(p_death))) AS detail
FROM
(
    SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id
    FROM access_arrivals
    WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
) AS source_2
ANY INNER JOIN
(
    SELECT patient_id, argMax(death_date, version) AS p_death
    FROM patients
    WHERE patient_id IN
        (
            {@window_patients}
        )
    GROUP BY patient_id
    HAVING p_death IS NOT NULL AND argMax(deleted, version) = 0
) AS joined_1 USING patient_id
WHERE toDate(occurred_at) > assumeNotNull(p_death) + {days_after_death}
