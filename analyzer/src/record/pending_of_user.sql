-- A user's findings not yet in a case, within the grouping window of an access.
SELECT id, rule_id, severity, patient_id, evidence
FROM pending_findings
WHERE user_id = $1
  AND occurred_at >= $2 - make_interval(secs => $3)
  AND occurred_at <= $2 + make_interval(secs => $3)
ORDER BY occurred_at, id
FOR UPDATE
