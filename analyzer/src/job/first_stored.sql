-- The first stored time (seconds) at or after `from` and before `until` that holds an access,
-- and how many accesses the range holds (0: none, and the first time is meaningless). A
-- catch-up in bounded steps starts each step here, so a gap of stored time without events
-- (a new installation's watermark at 0, an outage) costs one range read, not a step per day.
-- Asked first of the next window's own range, and of the rest only when that is empty, so a
-- busy month's catch-up reads a day per step, not the remaining month.
-- example from = 1764547200
-- example until = 1767225600
SELECT toUInt32(min(stored_at)) AS first, count() AS accesses
FROM access_arrivals
WHERE stored_at >= toDateTime({from}) AND stored_at < toDateTime({until})
