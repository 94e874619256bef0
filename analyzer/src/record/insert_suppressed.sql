INSERT INTO suppressed_findings (suppression_id, rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (rule_id, event_id) DO NOTHING
