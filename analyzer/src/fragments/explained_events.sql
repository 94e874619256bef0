-- The accesses an explanation pass explains: every access stored in the window
-- (`all_events` = 1), or only `event_ids` of them (a fast rule's candidates, or findings to
-- re-explain after late care context).
SELECT event_id FROM access_arrivals
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
  AND ({all_events} = 1 OR event_id IN (SELECT arrayJoin({event_ids})))
