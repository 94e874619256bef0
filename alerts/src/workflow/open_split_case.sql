INSERT INTO cases (reference, org_code, user_id, patient_id, state, assignee, assigned_at, severity, score,
                   first_event_at, last_event_at, notification_state)
SELECT 'CA-' || lpad(nextval('case_reference_seq')::text, 6, '0'), org_code, user_id, $2, state, assignee,
       assigned_at, $3, $4, $5, $6, 'queued'
FROM cases
WHERE id = $1
RETURNING id, reference
