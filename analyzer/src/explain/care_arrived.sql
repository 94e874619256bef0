-- Whether care context (relationships, merges, staff) became visible in ClickHouse in the
-- window (`since`, `until`] of stored time, in seconds (care_arrivals, migration 0022): when
-- nothing arrived, no standing finding can have been explained since the last check.
-- example since = 1767225600
-- example until = 1767229200
SELECT count() AS arrived
FROM care_arrivals
WHERE stored_at > toDateTime({since}) AND stored_at <= toDateTime({until})
