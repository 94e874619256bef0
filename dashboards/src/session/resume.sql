-- A live session: not past its absolute expiry, not idle for longer than allowed, of an account
-- that is not disabled. Reading it also restarts its idle timer.
UPDATE app_sessions s
SET last_seen_at = now()
FROM app_users u
WHERE s.token_sha256 = $1
  AND u.id = s.user_id
  AND NOT u.disabled
  AND s.expires_at > now()
  AND s.last_seen_at > now() - make_interval(secs => $2)
RETURNING s.user_id, s.csrf_token, s.auth_method
