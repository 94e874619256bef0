-- Accesses in the window by a user whose staff record says they had left (the access is after
-- the leaving date) or had not started yet (more than `early_start_days` before the start
-- date); detail is `left <date>` or `starts <date>`.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example early_start_days = 7
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
       if(s_leave IS NOT NULL AND toDate(occurred_at) > assumeNotNull(s_leave),
          concat('left ', toString(assumeNotNull(s_leave))),
          concat('starts ', toString(assumeNotNull(s_start)))) AS detail
FROM
(
    SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id
    FROM access_arrivals
    WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
) AS source_2
ANY INNER JOIN
(
    SELECT user_id, argMax(leave_date, version) AS s_leave, argMax(start_date, version) AS s_start
    FROM ({@staff_rows})
    GROUP BY user_id
    HAVING argMax(deleted, version) = 0
) AS joined_1 USING user_id
WHERE (s_leave IS NOT NULL AND toDate(occurred_at) > assumeNotNull(s_leave))
   OR (s_start IS NOT NULL AND toDate(occurred_at) + {early_start_days} < assumeNotNull(s_start))
