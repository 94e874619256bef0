-- The run's findings that wait for more evidence about their user, in the run's order.
INSERT INTO pending_findings (rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence)
SELECT rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence
FROM UNNEST($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[])
     WITH ORDINALITY AS waiting (rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence, position)
ORDER BY position
ON CONFLICT (rule_id, event_id) DO NOTHING
