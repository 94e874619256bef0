-- The suppressions in force (not revoked, not expired) for a rule.
SELECT id, user_id, patient_id, org_code
FROM suppressions
WHERE revoked_at IS NULL
  AND expires_at > now()
  AND (rule_id IS NULL OR rule_id = $1)
ORDER BY id
