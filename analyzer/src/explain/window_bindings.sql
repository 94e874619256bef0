-- The latest explanation of each of `event_ids` among their arrivals stored in the window,
-- as bindings.sql gives it, read from explanations_by_arrival (the window's range of stored
-- time, not the patients' scattered granules): for a rule's candidates, which are accesses of
-- the window, just explained. The latest among the window's arrivals, as the rules built on
-- "unexplained" read it (fragments/unexplained_in_window.sql): a newer explanation written
-- only to another arrival of a re-sent event, outside the window, is not seen here (every
-- pass writes each arrival it covers, and late care context covers every recent one). Events
-- with no arrival in the window (volume_spike's accesses of earlier days) are not found here,
-- and an explained row without a binding was stored before migration 0025 gave this table the
-- evidence: the analyzer looks both up by patient (bindings.sql).
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
