-- Accesses in the window that invoked emergency access, broke the glass or self-claimed a
-- relationship; detail is the reason the user gave.
-- example window_start = 1764547200
-- example window_end = 1767225600
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, emergency_reason AS detail
FROM access_arrivals
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
  AND emergency_access = 1
