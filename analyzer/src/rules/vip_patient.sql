-- Accesses in the window to a patient flagged high-profile (`vip`) or `confidential`, directly
-- or through a merge; detail names the flag.
-- example window_start = 1764547200
-- example window_end = 1767225600
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, f_flags AS detail
FROM
(
    SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
           if(l_canonical != '', l_canonical, patient_id) AS flagged_patient
    FROM
    (
        SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id
        FROM access_arrivals
        WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
    ) AS source_3
    ANY LEFT JOIN
    (
        {@merged_patients}
    ) AS joined_1 USING patient_id
) AS source_4
ANY INNER JOIN
(
    SELECT patient_id AS flagged_patient, arrayStringConcat(arraySort(groupArray(flag)), ', ') AS f_flags
    FROM
    (
        SELECT patient_id, flag
        FROM patient_flags
        WHERE has(['vip', 'confidential'], flag)
        GROUP BY patient_id, flag
        HAVING argMax(value, version) = 1 AND argMax(deleted, version) = 0
    )
    GROUP BY patient_id
) AS joined_2 USING flagged_patient
