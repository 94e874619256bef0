-- The patients of the accesses an explanation pass explains that an earlier pass left
-- unexplained, for IN: the covering pass reads the care context of the patients it can still
-- explain, not of every patient of the window. A superset (any explanation row that explains
-- nothing) that the pass's own join narrows to the latest explanation of each event.
SELECT patient_id
FROM explanations_by_arrival
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
  AND ({all_events} = 1 OR event_id IN (SELECT arrayJoin({event_ids})))
  AND explained = 0
