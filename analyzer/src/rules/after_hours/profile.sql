-- The learned working pattern of every user with an access stored in the window: their
-- accesses per hour of the day (UTC) and their active days over the `lookback_days` before the
-- window's earliest day.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example lookback_days = 28
SELECT user_id, toUInt8(toHour(occurred_at)) AS hour, count() AS accesses,
       uniqExact(toDate(occurred_at)) AS days
FROM access_by_user
WHERE user_id IN
    (
        SELECT user_id FROM access_arrivals
        WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
    )
  AND occurred_at < toDateTime(
    (
        SELECT intDiv(toUInt32(min(occurred_at)), 86400) * 86400 FROM access_arrivals
        WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
    ))
  AND occurred_at >= toDateTime(
    (
        SELECT intDiv(toUInt32(min(occurred_at)), 86400) * 86400 FROM access_arrivals
        WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
    ) - {lookback_days} * 86400)
GROUP BY user_id, hour
