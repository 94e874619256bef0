-- The cases a run opens, scored at the end of the run (update_case_scores.sql).
INSERT INTO cases (id, reference, org_code, user_id, patient_id, severity, score, first_event_at, last_event_at)
SELECT id, reference, org_code, user_id, patient_id, severity, 0, first_event_at, last_event_at
FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[])
     AS opened (id, reference, org_code, user_id, patient_id, severity, first_event_at, last_event_at)
ORDER BY id
