UPDATE cases
SET severity = CASE WHEN array_position(ARRAY['low', 'medium', 'high', 'critical'], $2)
                         > array_position(ARRAY['low', 'medium', 'high', 'critical'], severity)
                    THEN $2 ELSE severity END,
    score = score + $3,
    first_event_at = LEAST(first_event_at, $4),
    last_event_at = GREATEST(last_event_at, $4)
WHERE id = $1
