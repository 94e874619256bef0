-- The latest explanation of each of `event_ids` among their arrivals stored in the window,
-- as bindings.sql gives it, read from explanations_by_arrival (the window's range of stored
-- time, not the patients' scattered granules): for a rule's candidates, which are accesses of
-- the window, just explained. An explained row without a binding was stored before migration
-- 0025 gave this table the evidence; the analyzer looks those accesses up by patient.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example event_ids = ['e-1']
SELECT event_id, argMax(explained, version) AS explained, argMax(kind, version) AS kind,
       argMax(binding, version) AS binding, argMax(relationship_id, version) AS relationship_id,
       argMax(source_channel, version) AS source_channel,
       argMax(source_message_id, version) AS source_message_id,
       toUInt32(argMax(evaluated_at, version)) AS evaluated
FROM explanations_by_arrival
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
  AND event_id IN (SELECT arrayJoin({event_ids}))
GROUP BY event_id
