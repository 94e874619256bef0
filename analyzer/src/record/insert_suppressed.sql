-- The run's findings a suppression held back, with the suppression that did it.
INSERT INTO suppressed_findings (suppression_id, rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence)
SELECT suppression_id, rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence
FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[])
     WITH ORDINALITY AS held (suppression_id, rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence, position)
ORDER BY position
ON CONFLICT (rule_id, event_id) DO NOTHING
