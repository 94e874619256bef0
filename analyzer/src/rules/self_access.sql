-- Accesses in the window to the user's own record: the staff directory names the user's own
-- patient id, compared with the patient accessed directly and through a merge.
-- example window_start = 1764547200
-- example window_end = 1767225600
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, 'staff directory' AS detail
FROM
(
    SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, s_patient, l_canonical
    FROM
    (
        SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, s_patient
        FROM
        (
            SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id
            FROM access_arrivals
            WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
        ) AS source_3
        ANY INNER JOIN
        (
            SELECT user_id, argMax(patient_id, version) AS s_patient
            FROM ({@staff_rows})
            GROUP BY user_id
            HAVING s_patient != '' AND argMax(deleted, version) = 0
        ) AS joined_1 USING user_id
    ) AS source_4
    ANY LEFT JOIN
    (
        {@merged_patients}
    ) AS joined_2 USING patient_id
)
WHERE s_patient = patient_id OR (l_canonical != '' AND s_patient = l_canonical)
