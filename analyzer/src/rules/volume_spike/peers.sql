-- Every user's distinct patients on each day the window touches, with the role they acted in
-- and their organisation's type: the peer groups of those days.
-- example window_start = 1764547200
-- example window_end = 1767225600
SELECT day, role, org_type, user_id, patients
FROM
(
    SELECT user_id, intDiv(toUInt32(occurred_at), 86400) AS day, uniqExact(patient_id) AS patients,
           any(if(length(user_roles) > 0, user_roles[1], '')) AS role, any(user_org) AS org
    FROM access_by_user
    WHERE intDiv(toUInt32(occurred_at), 86400) IN
        (
            SELECT DISTINCT intDiv(toUInt32(occurred_at), 86400) FROM access_arrivals
            WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
        )
    GROUP BY user_id, day
) AS source_2
ANY LEFT JOIN
(
    SELECT org_code AS org, argMax(org_type, version) AS org_type
    FROM organisations
    GROUP BY org_code
) AS joined_1 USING org
