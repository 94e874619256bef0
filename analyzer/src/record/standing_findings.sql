-- The findings of these cases that still stand (not explained away), as the score sees them.
SELECT case_id, rule_id, severity, patient_id, evidence, occurred_at
FROM findings
WHERE case_id = ANY($1) AND explained_away_at IS NULL
