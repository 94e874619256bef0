-- The open case about the same user whose accesses lie within the grouping window of this one.
SELECT id
FROM cases
WHERE user_id = $1
  AND state <> 'closed'
  AND last_event_at >= $2 - make_interval(secs => $3)
  AND first_event_at <= $2 + make_interval(secs => $3)
ORDER BY last_event_at DESC
LIMIT 1
FOR UPDATE
