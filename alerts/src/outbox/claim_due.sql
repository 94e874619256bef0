-- Claims due entries for one worker: a lease until $1 + $2 seconds and a claim token, so only
-- this worker's mark counts and a crashed worker's entries come back when the lease ends.
UPDATE notification_outbox
SET locked_until = $1 + make_interval(secs => $2),
    attempts = attempts + 1,
    claim_token = $4
WHERE id IN (
    SELECT id
    FROM notification_outbox
    WHERE state = 'pending'
      AND next_attempt_at <= $1
      AND (locked_until IS NULL OR locked_until < $1)
    ORDER BY next_attempt_at, id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
RETURNING id, channel, recipient, subject, body, attempts, kind, org_code, delivery_id, webhook_endpoint_id
