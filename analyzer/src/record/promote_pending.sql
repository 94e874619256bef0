-- Moves pending findings into a case (they are one case now).
WITH moved AS (
    DELETE FROM pending_findings WHERE id = ANY($1)
    RETURNING rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence
)
INSERT INTO findings (rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence, case_id)
SELECT rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence, $2
FROM moved
ON CONFLICT (rule_id, event_id) DO NOTHING
RETURNING id, rule_id, severity, patient_id, occurred_at
