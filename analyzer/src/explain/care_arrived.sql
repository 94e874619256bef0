-- Whether care context (relationships, merges, staff) became visible in ClickHouse in the
-- window (`since`, `until`] of stored time, in seconds (care_arrivals, migration 0022): when
-- nothing arrived, no standing finding can have been explained since the last check. Also the
-- last second a staff statement did (0: none), since a change of team or organisation may
-- explain any user's access.
-- example since = 1767225600
-- example until = 1767229200
SELECT count() AS arrived, toUInt32(maxIf(stored_at, patient_id = '')) AS staff_arrived
FROM care_arrivals
WHERE stored_at > toDateTime({since}) AND stored_at <= toDateTime({until})
