-- Accesses in the window that came from a demographic search (a search interaction among the
-- event's subtypes, or a query event type) rather than from a worklist or a launch in the
-- patient's context, and that no care relationship explains; detail is the search subtype.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example skipped_orgs = ['NHS111']
-- example search_codes = ['search', 'search-type', 'search-system', '110112']
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
       arrayStringConcat(arrayFilter(code -> has({search_codes}, code),
           arrayMap(s -> replaceRegexpOne(s, '^.*\\|', ''), arrayPushBack(event_subtypes, event_type))), ', ') AS detail
FROM access_arrivals
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
  AND arrayExists(s -> has({search_codes}, replaceRegexpOne(s, '^.*\\|', '')), arrayPushBack(event_subtypes, event_type))
  AND event_id IN
(
    {@unexplained_in_window}
)
