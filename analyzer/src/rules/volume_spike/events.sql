-- The first access to each patient on the flagged days of the flagged users (keys
-- `user|day`), which become the findings of a volume spike.
-- example users = ['555000000001']
-- example keys = ['555000000001|20424']
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, toString(day) AS detail
FROM
(
    SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
           intDiv(toUInt32(occurred_at), 86400) AS day
    FROM access_by_user
    WHERE user_id IN (SELECT arrayJoin({users}))
      AND has({keys}, concat(user_id, '|', toString(intDiv(toUInt32(occurred_at), 86400))))
    ORDER BY user_id, occurred_at, event_id
    LIMIT 1 BY user_id, day, patient_id
)
