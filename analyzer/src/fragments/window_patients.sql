-- The patients of the accesses stored in the window (for IN: reads only their rows).
SELECT patient_id FROM access_arrivals
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
