-- For the accesses stored in the window: distinct patients per user, UTC day and hour, to test
-- against each user's working pattern (the flagged days' accesses are fetched afterwards).
-- example window_start = 1764547200
-- example window_end = 1767225600
SELECT user_id, intDiv(toUInt32(occurred_at), 86400) AS day, toUInt8(toHour(occurred_at)) AS hour,
       uniqExact(patient_id) AS patients
FROM access_arrivals
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
GROUP BY user_id, day, hour
