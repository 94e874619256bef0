-- The accesses stored in the window, first per user, patient and hour, to test against each
-- user's working pattern.
-- example window_start = 1764547200
-- example window_end = 1767225600
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, '' AS detail
FROM access_arrivals
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
ORDER BY user_id, occurred_at, event_id
LIMIT 1 BY user_id, patient_id, toStartOfHour(occurred_at)
