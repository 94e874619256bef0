-- Accesses per organisation in a period, scoped to the reader's organisations (flag 1 = all).
SELECT user_org, count() AS accesses, uniqExact(patient_id) AS patients, uniqExact(user_id) AS users,
       sum(emergency_access) AS emergency
FROM access_by_user
WHERE occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
  AND (? = 1 OR has(?, user_org))
GROUP BY user_org
ORDER BY user_org
