-- One more failed sign-in. At the threshold the account is locked for the lockout period and
-- the count starts again, so an expired lock does not re-lock on the very next mistake.
UPDATE app_users
SET failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= $2 THEN 0 ELSE failed_sign_ins + 1 END,
    locked_until = CASE WHEN failed_sign_ins + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE locked_until END
WHERE id = $1
RETURNING locked_until IS NOT NULL AND locked_until > now()
