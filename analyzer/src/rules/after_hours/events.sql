-- The first access to each patient in the unusual hours (keys `user|day|hour`) of the flagged
-- user-days among the accesses stored in the window: the findings of the rule.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example users = ['555000000001']
-- example keys = ['555000000001|20424|3']
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
       concat(toString(intDiv(toUInt32(occurred_at), 86400)), '|', toString(toHour(occurred_at))) AS detail
FROM access_arrivals
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
  AND user_id IN (SELECT arrayJoin({users}))
  AND has({keys}, concat(user_id, '|', toString(intDiv(toUInt32(occurred_at), 86400)), '|', toString(toHour(occurred_at))))
ORDER BY user_id, occurred_at, event_id
LIMIT 1 BY user_id, patient_id, intDiv(toUInt32(occurred_at), 86400)
