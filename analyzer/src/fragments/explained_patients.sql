-- The patients of the accesses an explanation pass explains (for IN: the first pass reads only
-- their care context, so explaining a few events of a busy window stays cheap).
SELECT patient_id FROM access_arrivals
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
  AND ({all_events} = 1 OR event_id IN (SELECT arrayJoin({event_ids})))
