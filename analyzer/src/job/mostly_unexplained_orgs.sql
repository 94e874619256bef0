-- The organisations whose accesses the care context mostly does not explain: more than a
-- quarter of at least 200 explanation rows of accesses that occurred since `since` (the run's
-- `unexplained_org_lookback_days`) are unexplained. The weak rules built on "unexplained"
-- (fragments/unexplained_in_window.sql) skip their users. Computed once per run, after the
-- explanation and before the rules, over recent partitions only (access_explanations is
-- partitioned by the month of occurred_at), so its cost is bounded by the lookback, not by the
-- stored history, and is paid once, not by every rule. Every explanation row counts, as the
-- rules' own inline judgement did (a re-explained access counts once per evaluation).
-- example since = 1764547200
SELECT user_org
FROM access_explanations
WHERE occurred_at >= toDateTime({since})
GROUP BY user_org
HAVING count() >= 200 AND avg(explained) < 0.75
ORDER BY user_org
