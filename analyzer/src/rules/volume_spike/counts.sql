-- For every user with an access stored in the window: their distinct patients per day (UTC)
-- over the `lookback_days` before the earliest day the window touches and up to the latest,
-- and whether the window touched that day. The role the user acted in (first role code) and
-- their organisation's type place them in a peer group.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example lookback_days = 28
SELECT user_id, day, patients, role, org_type, toUInt8(has(window_days, day)) AS in_window
FROM
(
    SELECT user_id, day, patients, role, org_type, window_days
    FROM
    (
    SELECT user_id, day, patients, role, org_type
    FROM
    (
        SELECT user_id, intDiv(toUInt32(occurred_at), 86400) AS day, uniqExact(patient_id) AS patients,
               any(if(length(user_roles) > 0, user_roles[1], '')) AS role, any(user_org) AS org
        FROM access_by_user
        WHERE user_id IN
            (
                SELECT user_id FROM access_arrivals
                WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
            )
          AND occurred_at >= toDateTime(
            (
                SELECT intDiv(toUInt32(min(occurred_at)), 86400) * 86400 FROM access_arrivals
                WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
            ) - {lookback_days} * 86400)
        GROUP BY user_id, day
    ) AS source_3
    ANY LEFT JOIN
    (
        SELECT org_code AS org, argMax(org_type, version) AS org_type
        FROM organisations
        GROUP BY org_code
    ) AS joined_1 USING org
    ) AS source_4
    ANY LEFT JOIN
    (
        SELECT user_id, groupUniqArray(intDiv(toUInt32(occurred_at), 86400)) AS window_days
        FROM access_arrivals
        WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
        GROUP BY user_id
    ) AS joined_2 USING user_id
)
