-- The user's distinct patients per day over the baseline period.
SELECT toDate(occurred_at) AS day, uniqExact(patient_id) AS patients
FROM access_by_user
WHERE user_id = ?
  AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
GROUP BY day
ORDER BY day
