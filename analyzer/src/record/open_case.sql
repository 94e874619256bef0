INSERT INTO cases (reference, org_code, user_id, patient_id, severity, score, first_event_at, last_event_at)
SELECT 'CA-' || lpad(nextval('case_reference_seq')::text, 6, '0'), $1, $2, patient_id, severity, 0, occurred_at, occurred_at
FROM pending_findings
WHERE id = ANY($3)
ORDER BY occurred_at, id
LIMIT 1
RETURNING id, reference
