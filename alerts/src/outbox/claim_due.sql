UPDATE notification_outbox
SET locked_until = now() + make_interval(secs => $1),
    attempts = attempts + 1
WHERE id IN (
    SELECT id
    FROM notification_outbox
    WHERE state = 'pending'
      AND next_attempt_at <= now()
      AND (locked_until IS NULL OR locked_until < now())
    ORDER BY id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
RETURNING id, channel, recipient, subject, body, attempts
