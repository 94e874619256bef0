-- The patients whose care context became visible in the window (`since`, `until`] of stored
-- time, with the last second it did, at most `limit` of them (a caller that gets more treats
-- every patient as having new care context).
-- example since = 1767225600
-- example until = 1767229200
-- example limit = 100001
-- example parts = 1
-- example part = 0
SELECT patient_id, arrived
FROM ({@arrived_patients})
LIMIT {limit}
