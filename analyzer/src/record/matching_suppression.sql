-- The active suppression (not revoked, not expired) that covers a finding, if any.
SELECT id
FROM suppressions
WHERE revoked_at IS NULL
  AND expires_at > now()
  AND (rule_id IS NULL OR rule_id = $1)
  AND (user_id IS NULL OR user_id = $2)
  AND (patient_id IS NULL OR patient_id = $3)
  AND (org_code IS NULL OR org_code = $4)
ORDER BY id
LIMIT 1
