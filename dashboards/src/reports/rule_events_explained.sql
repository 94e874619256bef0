-- Of the accesses a rule flagged, how many the analyzer's care context explained anyway.
SELECT event_id, explained
FROM access_explanations FINAL
WHERE occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
  AND has(?, event_id)
