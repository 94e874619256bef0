UPDATE cases
SET score = $2,
    score_components = $3,
    severity = $4,
    first_event_at = LEAST(first_event_at, COALESCE($5, first_event_at)),
    last_event_at = GREATEST(last_event_at, COALESCE($6, last_event_at))
WHERE id = $1
