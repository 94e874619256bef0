-- How many of the period's accesses the analyzer evaluated and explained, per organisation.
SELECT user_org, count() AS evaluated, sum(explained) AS explained
FROM access_explanations FINAL
WHERE occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
  AND (? = 1 OR has(?, user_org))
GROUP BY user_org
ORDER BY user_org
