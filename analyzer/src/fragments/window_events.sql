-- The accesses stored in the window.
SELECT event_id FROM access_arrivals
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
