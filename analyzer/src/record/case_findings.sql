-- The findings of a case that still stand (not explained away), as the score sees them.
SELECT rule_id, severity, patient_id, evidence, occurred_at
FROM findings
WHERE case_id = $1 AND explained_away_at IS NULL
