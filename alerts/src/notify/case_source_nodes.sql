-- The exchange nodes that served a case's events: a bounded read by the table's primary key
-- (patient_id, occurred_at, event_id) and its monthly partitions (the case's patients, the
-- seconds its events span), then the events themselves. A `has()` over an array reads every
-- stored event instead.
SELECT DISTINCT source_node
FROM access_events
WHERE patient_id IN (SELECT arrayJoin(?))
  AND occurred_at >= toDateTime(?)
  AND occurred_at <= toDateTime(?)
  AND event_id IN (SELECT arrayJoin(?))
