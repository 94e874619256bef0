-- Accesses in the window to a patient who works for the user's own organisation: the staff
-- directory links a member of staff other than the user to the patient's id, employed by the
-- organisation the user acted for; detail is that organisation.
-- example window_start = 1764547200
-- example window_end = 1767225600
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, user_org AS detail
FROM
(
    SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, c_orgs, c_users
    FROM
    (
        SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id
        FROM access_arrivals
        WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
          AND user_org != ''
    ) AS source_2
    ANY INNER JOIN
    (
        SELECT s_patient AS patient_id, groupArray(s_org) AS c_orgs, groupArray(user_id) AS c_users
        FROM
        (
            SELECT user_id, argMax(patient_id, version) AS s_patient, argMax(org_code, version) AS s_org
            FROM staff
            GROUP BY user_id
            HAVING s_patient != '' AND argMax(deleted, version) = 0
        )
        GROUP BY s_patient
    ) AS joined_1 USING patient_id
)
WHERE arrayExists((o, u, eo, eu) -> o = eo AND u != eu, c_orgs, c_users,
                  replicate(user_org, c_orgs), replicate(user_id, c_orgs))
  AND NOT has(c_users, user_id)
