INSERT INTO cases (reference, org_code, user_id, patient_id, severity, score, first_event_at, last_event_at)
VALUES ('CA-' || lpad(nextval('case_reference_seq')::text, 6, '0'), $1, $2, $3, $4, $5, $6, $6)
RETURNING id, reference
