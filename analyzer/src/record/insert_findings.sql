-- Findings joining cases, in the order the run decided them (ids follow that order).
INSERT INTO findings (rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence, case_id)
SELECT rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence, case_id
FROM UNNEST($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::bigint[])
     WITH ORDINALITY AS added (rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence, case_id, position)
ORDER BY position
ON CONFLICT (rule_id, event_id) DO NOTHING
RETURNING id, rule_id, event_id
