-- The patients of the accesses stored in the window that an explanation left unexplained, for
-- IN: a rule over the window's unexplained accesses reads the care context of these patients
-- only (a few thousand of a day's 300,000). A superset (any explanation row that explains
-- nothing, also one a later pass superseded, also of the organisations the weak rules skip)
-- that the rule's join with `unexplained_in_window` narrows: the latest explanation per event
-- (argMax) here cost ClickHouse 18.16 more as an IN set than the reads it saved.
SELECT patient_id
FROM explanations_by_arrival
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
  AND explained = 0
