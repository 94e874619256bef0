SELECT id
FROM cases
WHERE user_id = $1
  AND patient_id = $2
  AND state <> 'closed'
  AND last_event_at >= $3 - make_interval(secs => $4)
  AND first_event_at <= $3 + make_interval(secs => $4)
ORDER BY last_event_at DESC
LIMIT 1
FOR UPDATE
